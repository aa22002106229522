// Fuzzes the snapshot codecs read back on rehydration: a wallet's state and the hot wallet's
// send queue (domain/wallet.hpp, domain/chain_send.hpp). Snapshots are stored bytes like events;
// a damaged one must be refused (snapshot_invalid), never trusted or crashed on.
//
// Input: byte 0 even: a wallet snapshot, odd: a send-queue snapshot; then one line: the wallet's
// stream ("wallet-42-USDT"; anything unparsable uses wallet-42-USDT) or the hot wallet's address
// (chain 56); then the JSON.
//
// Property beyond "no crash": a decoded snapshot re-encodes to bytes that decode and encode again
// to the same bytes.
//
// TELEPAY_FUZZ_WRITE_SEEDS=DIR writes the encodings of empty states as seeds and exits.
//
// fuzz-dict: json

#include <fstream>

#include "domain/chain_send.hpp"
#include "domain/wallet.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::domain;

wallet_key fallback_wallet() {
  return wallet_key{wallet_owner::of(make_user_id(42).value()), asset::usdt};
}

constexpr std::string_view hot_wallet = "0x7f31abea73053a3e049eaa0f8e73d351da173229";

template <class Key, class Decode, class Encode>
void round_trip(const Key& key, std::string_view json, Decode decode, Encode encode) {
  auto state = decode(key, json);
  if (!state) return;
  const std::string first = encode(*state);
  auto again = decode(key, first);
  TELEPAY_FUZZ_CHECK(again.has_value(), first + ": " + (again ? "" : again.error().message));
  TELEPAY_FUZZ_CHECK(encode(*again) == first, first);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("TELEPAY_FUZZ_WRITE_SEEDS")) {
    std::ofstream(std::string(dir) + "/empty-wallet")
        << '\0' << fallback_wallet().stream() << '\n' << wallet::encode_snapshot(wallet::state(fallback_wallet()));
    chain_send::state queue(chain_send::key{56, std::string(hot_wallet)});
    std::ofstream(std::string(dir) + "/empty-send-queue")
        << '\1' << hot_wallet << '\n' << chain_send::encode_snapshot(queue);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const bool wallet_snapshot = in.byte() % 2 == 0;
  const std::string_view line = in.line();
  const std::string_view json = in.rest();
  if (wallet_snapshot) {
    auto key = parse_wallet_stream(line);
    round_trip(key ? *key : fallback_wallet(), json,
               [](const wallet_key& k, std::string_view j) { return wallet::decode_snapshot(k, j); },
               [](const wallet::state& s) { return wallet::encode_snapshot(s); });
  } else {
    const chain_send::key key{56, std::string(line.empty() ? hot_wallet : line)};
    round_trip(key, json,
               [](const chain_send::key& k, std::string_view j) { return chain_send::decode_snapshot(k, j); },
               [](const chain_send::state& s) { return chain_send::encode_snapshot(s); });
  }
  return 0;
}
