#include "tools/bench/chain_bench.hpp"

#include <chrono>
#include <random>
#include <vector>

#include "gateways/chain/abi.hpp"
#include "gateways/chain/bip32.hpp"
#include "gateways/chain/rpc_codec.hpp"
#include "gateways/chain/transaction.hpp"
#include "gateways/chain/watcher.hpp"
#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

namespace chain = gateways::chain;

chain::address random_address(std::mt19937_64& rng) {
  chain::address a;
  for (std::size_t i = 0; i < a.bytes.size(); i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t j = 0; j < 8 && i + j < a.bytes.size(); ++j) a.bytes[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  return a;
}

std::string random_hash(std::mt19937_64& rng) {
  hash256 h;
  for (std::size_t i = 0; i < h.size(); i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t j = 0; j < 8; ++j) h[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  return chain::to_data(h);
}

std::string topic_of(const chain::address& a) { return chain::to_data(chain::abi::address_word(a)); }

/// One eth_getLogs reply of `count` Transfer logs of `token`, as a node prints it.
std::string logs_reply(std::uint64_t id, std::uint64_t first_block, std::uint64_t count, const chain::address& token,
                       const std::vector<chain::address>& watched, std::uint64_t hit_every, std::mt19937_64& rng,
                       std::uint64_t& hits) {
  const std::string topic0 = chain::to_data(chain::abi::transfer_topic());
  const std::string contract = chain::to_lower_hex(token);
  std::string out = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":[)";
  out.reserve(count * 760);
  std::string block_hash = random_hash(rng);
  std::uint64_t block = first_block;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i % 200 == 0 && i > 0) {  // ~200 transfers per block
      ++block;
      block_hash = random_hash(rng);
    }
    const bool hit = rng() % hit_every == 0;
    if (hit) ++hits;
    const chain::address to = hit ? watched[rng() % watched.size()] : random_address(rng);
    const u128 value = (rng() % 1'000'000 + 1) * pow10_u128(15);
    if (i) out += ',';
    out += R"({"address":")" + contract + R"(","topics":[")" + topic0 + R"(",")" + topic_of(random_address(rng)) +
           R"(",")" + topic_of(to) + R"("],"data":")" + chain::to_data(std::string_view(
                                                           reinterpret_cast<const char*>(chain::to_word(chain::u256::of(value)).data()), 32)) +
           R"(","blockNumber":")" + chain::to_quantity(block) + R"(","transactionHash":")" + random_hash(rng) +
           R"(","transactionIndex":"0x1","blockHash":")" + block_hash + R"(","logIndex":")" +
           chain::to_quantity(i % 200) + R"(","removed":false})";
  }
  out += "]}";
  return out;
}

}  // namespace

chain_bench_result run_chain_bench(const chain_bench_options& options) {
  chain_bench_result out;
  std::mt19937_64 rng(options.seed);
  const chain::address token = chain::parse_address("0x55d398326f99059fF775485246999027B3197955").value();

  // The watched addresses.
  auto started = std::chrono::steady_clock::now();
  chain::deposit_matcher matcher;
  matcher.reserve(options.addresses);
  std::vector<chain::address> watched;
  watched.reserve(options.addresses);
  for (std::uint64_t i = 0; i < options.addresses; ++i) {
    watched.push_back(random_address(rng));
    matcher.add(watched.back(), static_cast<std::int64_t>(i + 1));
  }
  out.addresses = matcher.size();
  out.build_seconds = seconds_since(started);

  // The replies, built before timing.
  std::vector<std::string> replies;
  std::uint64_t made = 0;
  while (made < options.logs) {
    const std::uint64_t n = std::min(options.logs_per_reply, options.logs - made);
    replies.push_back(logs_reply(replies.size() + 1, 40'000'000 + made / 200, n, token, watched,
                                 std::max<std::uint64_t>(options.hit_every, 1), rng, out.hits));
    made += n;
  }
  out.logs = made;

  // (a) decode, then match, timed apart and together.
  std::vector<std::vector<chain::rpc::log_entry>> decoded;
  decoded.reserve(replies.size());
  started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto logs = chain::rpc::decode_logs(replies[i], i + 1);
    if (!logs) {
      out.error = "decode: " + logs.error().message;
      return out;
    }
    decoded.push_back(std::move(*logs));
  }
  const double decode_s = seconds_since(started);
  std::uint64_t matched = 0;
  started = std::chrono::steady_clock::now();
  for (const auto& logs : decoded) matched += matcher.match(logs, token).size();
  const double match_s = seconds_since(started);
  decoded.clear();
  std::uint64_t scanned_hits = 0;
  started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto logs = chain::rpc::decode_logs(replies[i], i + 1);
    if (logs) scanned_hits += matcher.match(*logs, token).size();
  }
  const double scan_s = seconds_since(started);
  if (matched != out.hits || scanned_hits != out.hits) {
    out.error = "matched " + std::to_string(matched) + " logs, expected " + std::to_string(out.hits);
  }
  out.decode_logs_per_second = static_cast<double>(out.logs) / std::max(decode_s, 1e-9);
  out.match_logs_per_second = static_cast<double>(out.logs) / std::max(match_s, 1e-9);
  out.scan_logs_per_second = static_cast<double>(out.logs) / std::max(scan_s, 1e-9);

  // (b) signing.
  const auto key = chain::secret_key::parse("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").value();
  const std::string data = chain::abi::transfer_call(watched[0], chain::u256::of(25 * pow10_u128(18)));
  std::uint64_t check = 0;
  started = std::chrono::steady_clock::now();
  for (std::uint64_t n = 0; n < options.signatures; ++n) {
    const auto s = chain::sign(chain::legacy_tx{56, n, u128{3'000'000'000}, 65'000, token, 0, data}, key);
    check += s.raw.size();
  }
  out.legacy_signed_per_second = static_cast<double>(options.signatures) / std::max(seconds_since(started), 1e-9);
  started = std::chrono::steady_clock::now();
  for (std::uint64_t n = 0; n < options.signatures; ++n) {
    const auto s = chain::sign(
        chain::eip1559_tx{56, n, u128{1'000'000'000}, u128{3'000'000'000}, 65'000, token, 0, data}, key);
    check += s.raw.size();
  }
  out.eip1559_signed_per_second = static_cast<double>(options.signatures) / std::max(seconds_since(started), 1e-9);
  if (check == 0) out.error = "signing produced nothing";

  // (c) deposit addresses from the xpub.
  const auto account = chain::parse_xpub(
      "xpub6F6pNxoNoTs7PYpRxv3PqWtYUaVyVpjRjvzkbpNKmg8hHAEBCpqWj2Aoy31TpY4Pw7CJA5U3mHEHszHrEAi9QG6tgfGVcFeexBacF1D2SVC");
  if (!account) {
    out.error = account.error().message;
    return out;
  }
  started = std::chrono::steady_clock::now();
  std::uint64_t derived = 0;
  for (std::uint64_t n = 1; n <= options.derivations; ++n) {
    if (chain::deposit_address(*account, static_cast<std::int64_t>(5'000'000'000 + n))) ++derived;
  }
  out.derivations_per_second = static_cast<double>(derived) / std::max(seconds_since(started), 1e-9);
  return out;
}

}  // namespace telepay::tools
