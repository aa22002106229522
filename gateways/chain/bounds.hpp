#pragma once
/// The bounds the chain gateway puts on what a node says before it reaches arithmetic or the
/// ledger. A node (or whoever answers in its place) controls block numbers, gas estimates,
/// base fees and nonces; an absurd value must be refused or saturated, never wrap around into
/// a plausible one. Pure, header-only; the service and the sender use these.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "domain/base/result.hpp"
#include "domain/base/u128.hpp"

namespace telepay::gateways::chain {

/// The highest block number accepted from a node (eth_blockNumber, block headers, logs,
/// receipts). 2^62 one-second blocks is about 1.5 * 10^11 years; staying this far below 2^64
/// keeps `n + 1` and `n + window` from wrapping anywhere in the watcher.
inline constexpr std::uint64_t block_number_max = std::uint64_t{1} << 62;

/// The last block of a scan range that starts at `from`: from + window - 1, at most `head`,
/// saturating instead of wrapping. REQUIRES: window >= 1.
constexpr std::uint64_t scan_range_end(std::uint64_t from, std::uint64_t window, std::uint64_t head) {
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t last = window - 1 > top - from ? top : from + (window - 1);
  return std::min(head, last);
}

/// The window after eth_getLogs failed over [from, to]: half the blocks asked for, at least 1.
/// A range with to < from (never asked for) gives 1 rather than a wrapped 2^63.
constexpr std::uint64_t halved_window(std::uint64_t from, std::uint64_t to) {
  if (to < from) return 1;
  const std::uint64_t span_minus_one = to - from;  // (span_minus_one + 1) / 2 without the + 1 wrapping
  return std::max<std::uint64_t>(1, span_minus_one / 2 + span_minus_one % 2);
}

/// The most eth_getLogs windows an operator's rescan reads in one watcher tick (it also stops
/// after poll_every of reading, so the live scan comes back in time).
inline constexpr unsigned rescan_windows_per_tick_max = 200;

/// The largest eth_estimateGas answer a send accepts. A BEP-20 transfer costs about 50,000
/// gas and a BSC block holds about 140 million; an estimate above this is a broken or
/// hostile node, and the padded limit must never wrap into a tiny one.
inline constexpr std::uint64_t gas_estimate_max = 10'000'000;

/// The gas limit signed for an estimate: 20% and 1,000 gas of headroom. Errors:
/// chain_reply_malformed naming eth_estimateGas when the estimate exceeds gas_estimate_max.
inline result<std::uint64_t> gas_limit_for(std::uint64_t estimate) {
  if (estimate > gas_estimate_max) {
    return make_error(errc::chain_reply_malformed, "eth_estimateGas answered " + std::to_string(estimate) +
                                                       " gas, above the cap of " + std::to_string(gas_estimate_max));
  }
  return estimate + estimate / 5 + 1'000;
}

/// The largest fee per gas (wei) the configuration may allow: 10^6 gwei, far above anything
/// BSC or Ethereum has charged. Every fee signed is at most the configured cap, so gas_limit *
/// fee stays far inside 128 bits.
inline constexpr u128 fee_per_gas_max = u128{1'000'000'000'000'000};
static_assert(u128{gas_estimate_max * 2} * fee_per_gas_max < (u128{1} << 100),
              "the largest gas limit times the largest fee is far inside 128 bits");

/// A type-2 fee cap: max(2 * base fee + tip, the node's quoted price), never above `max_fee`.
/// The base fee comes from the node; the sum saturates at `max_fee` instead of wrapping.
constexpr u128 type2_fee_cap(u128 base_fee, u128 tip, u128 quoted, u128 max_fee) {
  const auto doubled = checked_mul(base_fee, 2);
  const auto wanted = doubled ? checked_add(*doubled, tip) : std::nullopt;
  return std::min(std::max(wanted.value_or(u128_max), quoted), max_fee);
}

/// gas_limit * fee_per_gas in wei; nullopt when it does not fit 128 bits.
inline std::optional<u128> gas_cost(std::uint64_t gas_limit, u128 fee_per_gas) {
  return checked_mul(u128{gas_limit}, fee_per_gas);
}

/// How far the chain's nonce for the hot wallet may be ahead of the ledger's before the
/// ledger skips to it. A few transactions sent with the key elsewhere are plausible; ten
/// thousand are not, and skipping to a nonce near 2^64 would wrap the next one.
inline constexpr std::uint64_t nonce_jump_max = 10'000;

/// Whether the ledger may skip from `ledger_next` to the chain's `chain_next` (ahead of it).
constexpr bool nonce_jump_acceptable(std::uint64_t ledger_next, std::uint64_t chain_next) {
  return chain_next <= ledger_next || chain_next - ledger_next <= nonce_jump_max;
}

}  // namespace telepay::gateways::chain
