#pragma once
/// Which block holds the transaction that used a nonce: the sender's proof, before it gives a
/// send up, that another transaction took its nonce. Pure, header-only; the node is reached
/// through `count_at` (eth_getTransactionCount at a block number).

#include <cstdint>
#include <optional>

namespace telepay::gateways::chain {

/// The most eth_getTransactionCount reads one search makes: a gallop down from the top and a
/// bisection, each at most 63 steps over 64-bit block numbers, with room to spare.
inline constexpr unsigned nonce_search_reads_max = 140;

/// The block B <= top whose transactions include the one with nonce `nonce` of an account:
/// count_at(B - 1) <= nonce < count_at(B) (count_at(b): the account's nonce after block b, or
/// nullopt when the node did not answer). Gallops down from `top` (the transaction is usually
/// recent), then bisects. nullopt when count_at(top) <= nonce, when no block at or above 1 has
/// a count at or below `nonce` (an account whose nonce is past it from genesis: a node that
/// lies), when a read fails, or after nonce_search_reads_max reads.
template <class CountAt>
std::optional<std::uint64_t> block_using_nonce(std::uint64_t nonce, std::uint64_t top, CountAt&& count_at) {
  unsigned reads = 0;
  const auto past = [&](std::uint64_t block) -> std::optional<bool> {
    if (++reads > nonce_search_reads_max) return std::nullopt;
    const std::optional<std::uint64_t> count = count_at(block);
    if (!count) return std::nullopt;
    return *count > nonce;
  };
  const auto at_top = past(top);
  if (!at_top || !*at_top || top == 0) return std::nullopt;
  // Gallop: hi is past the nonce; find lo below it that is not.
  std::uint64_t hi = top;
  std::uint64_t lo = 0;
  for (std::uint64_t step = 1;; step = step > (std::uint64_t{1} << 62) ? step : step * 2) {
    lo = hi > step ? hi - step : 0;
    const auto at_lo = past(lo);
    if (!at_lo) return std::nullopt;
    if (!*at_lo) break;
    if (lo == 0) return std::nullopt;  // past it at genesis
    hi = lo;
  }
  // Bisect: count_at(lo) <= nonce < count_at(hi).
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const auto at_mid = past(mid);
    if (!at_mid) return std::nullopt;
    (*at_mid ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace telepay::gateways::chain
