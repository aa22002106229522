#pragma once
// telepay-bench chain: the chain gateway's hot paths on one core, no network.
//   (a) deposit scanning: eth_getLogs replies (JSON text, as a node sends them, in windows of
//       `logs_per_reply`) decoded and matched against `addresses` watched deposit addresses;
//   (b) payouts signed: ERC-20 transfer transactions built, RLP-encoded, hashed and signed with
//       secp256k1 (legacy EIP-155 and EIP-1559), the work a send does before it is recorded;
//   (c) deposit addresses derived from an xpub (BIP32 public derivation, two levels).

#include <cstdint>
#include <string>

namespace telepay::tools {

struct chain_bench_options {
  std::uint64_t addresses = 1'000'000;
  std::uint64_t logs = 1'000'000;
  std::uint64_t logs_per_reply = 5'000;
  /// One log in this many pays a watched address. Default: 100 (1%).
  std::uint64_t hit_every = 100;
  std::uint64_t signatures = 20'000;
  std::uint64_t derivations = 5'000;
  std::uint64_t seed = 42;
};

struct chain_bench_result {
  std::uint64_t addresses = 0;
  std::uint64_t logs = 0;
  std::uint64_t hits = 0;
  double decode_logs_per_second = 0;   // JSON reply -> typed logs
  double match_logs_per_second = 0;    // typed logs -> deposits (hash map of the addresses)
  double scan_logs_per_second = 0;     // both, as the watcher does them
  double build_seconds = 0;            // filling the address map
  double legacy_signed_per_second = 0;
  double eip1559_signed_per_second = 0;
  double derivations_per_second = 0;
  std::string error;
};

chain_bench_result run_chain_bench(const chain_bench_options& options);

}  // namespace telepay::tools
