#include "tools/telepayd/chain_config.hpp"

#include <charconv>

#include <sys/stat.h>

namespace telepay::tools {
namespace {

result<std::uint64_t> number(const daemon_config& config, const std::string& key, std::uint64_t low,
                             std::uint64_t high, std::uint64_t fallback) {
  const auto it = config.chain.find(key);
  if (it == config.chain.end()) return fallback;
  std::uint64_t v = 0;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < low || v > high) {
    return make_error(errc::invalid_argument, "chain." + key + " must be an integer " + std::to_string(low) + ".." +
                                                  std::to_string(high) + ", got '" + text.substr(0, 40) + "'");
  }
  return v;
}

result<u128> wei(const daemon_config& config, const std::string& key, u128 fallback) {
  const auto it = config.chain.find(key);
  if (it == config.chain.end()) return fallback;
  // 10^15 wei (a million gwei) per gas is far above any fee a chain charges: a larger value
  // is a typo that would let one payout spend the hot wallet's gas.
  constexpr u128 wei_per_gas_max = 1'000'000'000'000'000;
  const auto v = parse_u128(it->second);
  if (!v || *v == 0 || *v > wei_per_gas_max) {
    return make_error(errc::invalid_argument, "chain." + key + " must be an integer 1..10^15 (wei per gas)");
  }
  return *v;
}

std::string text(const daemon_config& config, const std::string& key, std::string fallback) {
  const auto it = config.chain.find(key);
  return it == config.chain.end() ? std::move(fallback) : it->second;
}

}  // namespace

result<gateways::chain::service_options> chain_options(const daemon_config& config) {
  gateways::chain::service_options o;
  std::string_view urls = config.chain_rpc_url;
  while (!urls.empty()) {
    const auto comma = urls.find(',');
    std::string one(urls.substr(0, comma));
    while (!one.empty() && one.front() == ' ') one.erase(one.begin());
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (!one.empty()) o.rpc_urls.push_back(one);
    urls = comma == std::string_view::npos ? std::string_view() : urls.substr(comma + 1);
  }
  if (o.rpc_urls.empty()) return make_error(errc::invalid_argument, "chain.rpc_url is empty");
  TELEPAY_TRY(chain_id, number(config, "chain_id", 1, 1ULL << 53, 56));
  o.chain_id = chain_id;
  o.token = text(config, "token", o.token);
  TELEPAY_TRY(decimals, number(config, "token_decimals", 0, 77, 18));
  o.token_decimals = static_cast<unsigned>(decimals);
  o.xpub = text(config, "xpub", "");
  TELEPAY_TRY(confirmations, number(config, "confirmations", 1, 10'000, 12));
  o.confirmations = confirmations;
  TELEPAY_TRY(payout_confirmations, number(config, "payout_confirmations", 1, 10'000, confirmations));
  o.payout_confirmations = payout_confirmations;
  if (config.chain.contains("start_block")) {
    TELEPAY_TRY(start, number(config, "start_block", 0, 1ULL << 62, 0));
    o.start_block = start;
  }
  TELEPAY_TRY(window, number(config, "scan_window", 1, 100'000, 500));
  o.scan_window = window;
  TELEPAY_TRY(poll, number(config, "poll_ms", 10, 600'000, 1'000));
  o.poll_every = std::chrono::milliseconds(poll);
  TELEPAY_TRY(type, number(config, "tx_type", 0, 2, 0));
  if (type == 1) return make_error(errc::invalid_argument, "chain.tx_type must be 0 (legacy) or 2 (EIP-1559)");
  o.tx_type = static_cast<std::uint8_t>(type);
  TELEPAY_TRY(cap, wei(config, "max_fee_per_gas_wei", o.max_fee_per_gas));
  o.max_fee_per_gas = cap;
  TELEPAY_TRY(tip, wei(config, "priority_fee_per_gas_wei", o.priority_fee_per_gas));
  o.priority_fee_per_gas = tip;
  TELEPAY_TRY(replace, number(config, "replace_after_ms", 100, 86'400'000, 60'000));
  o.replace_after = std::chrono::milliseconds(replace);
  TELEPAY_TRY(rebroadcast, number(config, "rebroadcast_ms", 100, 86'400'000, 15'000));
  o.rebroadcast_every = std::chrono::milliseconds(rebroadcast);
  o.http.ca_file = text(config, "ca_file", "");
  o.http.timeout = std::chrono::milliseconds(5'000);
  const std::string key_file = text(config, "hot_key_file", "");
  const std::string key_inline = text(config, "hot_key", "");
  if (!key_file.empty() && !key_inline.empty()) {
    return make_error(errc::invalid_argument, "give the hot-wallet key by file or by TELEPAY_CHAIN_HOT_KEY, not both");
  }
  if (!key_file.empty()) {
    // The key moves money: a file others can read is refused, not merely warned about.
    struct stat info {};
    if (::stat(key_file.c_str(), &info) != 0) {
      return make_error(errc::invalid_argument, "chain.hot_key_file " + key_file + " cannot be read");
    }
    if (!S_ISREG(info.st_mode)) {
      // A FIFO would block the start for ever, a device could be read without end.
      return make_error(errc::invalid_argument, "chain.hot_key_file " + key_file + " is not a regular file");
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return make_error(errc::invalid_argument, "chain.hot_key_file " + key_file +
                                                    " is accessible by group or others: chmod 600 it");
    }
    TELEPAY_TRY(key, gateways::chain::secret_key::from_file(key_file));
    o.hot_key = key;
  } else if (!key_inline.empty()) {
    auto key = gateways::chain::secret_key::parse(key_inline);
    if (!key) return make_error(errc::invalid_argument, "TELEPAY_CHAIN_HOT_KEY: " + key.error().message);
    o.hot_key = *key;
  }
  o.test_crash_after_sign = config.test_crash_after_sign;
  return o;
}

}  // namespace telepay::tools
