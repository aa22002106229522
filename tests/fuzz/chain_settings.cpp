// Fuzzes telepayd's [chain] settings (tools/telepayd/chain_config.cpp, chain_options): every
// value as the config file or the TELEPAY_CHAIN_* environment gives it, checked into the chain
// gateway's options (compiled in; it links only the pure chain codec for the hot key's parse).
//
// Input: line 1 is the rpc_url list (comma-separated); every further line is one `key=value`
// of [chain]. `hot_key_file` is dropped (it reads the disk: tests/tools/api_hardening_test.cpp
// covers it); `hot_key` (the environment's key text) is kept.
//
// Properties beyond "no crash": accepted settings have at least one RPC URL, none empty or
// padded with spaces; chain id, confirmations, windows and periods within their documented
// ranges; tx_type 0 or 2; fee caps 1..10^15 wei.
//
// fuzz-dict: chain_settings

#include <algorithm>

#include "tests/fuzz/fuzz.hpp"
#include "tools/telepayd/chain_config.hpp"

using namespace telepay;
using namespace telepay::tools;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  daemon_config config;
  config.chain_rpc_url = std::string(in.line());
  while (!in.rest().empty()) {
    const std::string_view line = in.line();
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(line.substr(0, eq));
    if (key == "hot_key_file") continue;
    config.chain[std::move(key)] = std::string(line.substr(eq + 1));
  }
  auto options = chain_options(config);
  if (!options) return 0;
  const auto& o = *options;
  TELEPAY_FUZZ_CHECK(!o.rpc_urls.empty(), config.chain_rpc_url);
  for (const std::string& url : o.rpc_urls) {
    TELEPAY_FUZZ_CHECK(!url.empty() && url.front() != ' ' && url.back() != ' ', url);
  }
  TELEPAY_FUZZ_CHECK(o.chain_id >= 1 && o.chain_id <= (std::uint64_t{1} << 53), "chain_id");
  TELEPAY_FUZZ_CHECK(o.token_decimals <= 77, "token_decimals");
  TELEPAY_FUZZ_CHECK(o.confirmations >= 1 && o.confirmations <= 10'000, "confirmations");
  TELEPAY_FUZZ_CHECK(o.payout_confirmations >= 1 && o.payout_confirmations <= 10'000, "payout_confirmations");
  TELEPAY_FUZZ_CHECK(o.scan_window >= 1 && o.scan_window <= 100'000, "scan_window");
  TELEPAY_FUZZ_CHECK(o.poll_every.count() >= 10 && o.poll_every.count() <= 600'000, "poll_ms");
  TELEPAY_FUZZ_CHECK(o.tx_type == 0 || o.tx_type == 2, "tx_type");
  constexpr u128 wei_max = 1'000'000'000'000'000;
  TELEPAY_FUZZ_CHECK(o.max_fee_per_gas >= 1 && o.max_fee_per_gas <= wei_max, "max_fee_per_gas_wei");
  TELEPAY_FUZZ_CHECK(o.priority_fee_per_gas >= 1 && o.priority_fee_per_gas <= wei_max, "priority_fee_per_gas_wei");
  TELEPAY_FUZZ_CHECK(o.replace_after.count() >= 100 && o.replace_after.count() <= 86'400'000, "replace_after_ms");
  return 0;
}
