#include "domain/base/u128.hpp"

#include <algorithm>

#include "domain/base/assert.hpp"

namespace telepay {

u128 pow10_u128(unsigned exponent) {
  LEDGER_ASSERT(exponent <= 38, "10^", exponent, " does not fit in 128 bits");
  u128 out = 1;
  for (unsigned i = 0; i < exponent; ++i) {
    out *= 10;
  }
  return out;
}

std::optional<u128> mul_div_floor(u128 a, u128 numerator, u128 denominator) {
  if (denominator == 0) {
    return std::nullopt;
  }
  const auto product = checked_mul(a, numerator);
  if (!product) {
    return std::nullopt;
  }
  return *product / denominator;
}

std::string u128_to_string(u128 value) {
  if (value == 0) {
    return "0";
  }
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<u128> parse_u128(std::string_view text) {
  if (text.empty() || text.size() > 39) {
    return std::nullopt;
  }
  u128 out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto shifted = checked_mul(out, 10);
    if (!shifted) {
      return std::nullopt;
    }
    const auto next = checked_add(*shifted, static_cast<u128>(c - '0'));
    if (!next) {
      return std::nullopt;
    }
    out = *next;
  }
  return out;
}

}  // namespace telepay
