#pragma once
/// Unsigned 128-bit integers for money: checked arithmetic and exact decimal text.
/// Every operation that can overflow returns std::nullopt instead of wrapping.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telepay {

__extension__ using u128 = unsigned __int128;

inline constexpr u128 u128_max = ~u128{0};

[[nodiscard]] constexpr std::optional<u128> checked_add(u128 a, u128 b) {
  u128 out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

[[nodiscard]] constexpr std::optional<u128> checked_sub(u128 a, u128 b) {
  if (b > a) {
    return std::nullopt;
  }
  return a - b;
}

[[nodiscard]] constexpr std::optional<u128> checked_mul(u128 a, u128 b) {
  u128 out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

/// 10^exponent. REQUIRES: exponent <= 38 (the largest power of ten below 2^128).
u128 pow10_u128(unsigned exponent);

/// floor(a * numerator / denominator) without intermediate overflow when a * numerator fits;
/// nullopt if it does not or denominator is 0.
[[nodiscard]] std::optional<u128> mul_div_floor(u128 a, u128 numerator, u128 denominator);

/// Decimal digits, no sign, no leading zeros ("0" for zero).
std::string u128_to_string(u128 value);

/// Parses 1 to 39 decimal digits (no sign, no spaces, leading zeros allowed); nullopt on
/// anything else or on overflow.
std::optional<u128> parse_u128(std::string_view text);

}  // namespace telepay
