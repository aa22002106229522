#include "domain/money/decimal.hpp"

#include <algorithm>

#include "domain/base/json.hpp"

namespace telepay::domain {
namespace {

constexpr std::int32_t exponent_limit = 60;

error bad(std::string_view text, std::string_view why) {
  return make_error(errc::amount_invalid,
                    "number '" + utf8_prefix(text, 64) + "': " + std::string(why));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

decimal normalized(u128 coefficient, std::int64_t exponent) {
  if (coefficient == 0) {
    return decimal{0, 0};
  }
  while (coefficient % 10 == 0) {
    coefficient /= 10;
    exponent += 1;
  }
  return decimal{coefficient, static_cast<std::int32_t>(exponent)};
}

/// Both values as integers over a common power of ten: a * 10^shift_a vs b * 10^shift_b.
/// nullopt if a shifted coefficient would overflow (then the exponents decide).
std::optional<std::pair<u128, u128>> aligned(const decimal& a, const decimal& b) {
  const std::int32_t low = std::min(a.exponent, b.exponent);
  const auto shift = [](u128 c, std::int32_t by) -> std::optional<u128> {
    if (by > 38) {
      return c == 0 ? std::optional<u128>(0) : std::nullopt;
    }
    return checked_mul(c, pow10_u128(static_cast<unsigned>(by)));
  };
  auto x = shift(a.coefficient, a.exponent - low);
  auto y = shift(b.coefficient, b.exponent - low);
  if (!x || !y) {
    return std::nullopt;
  }
  return std::make_pair(*x, *y);
}

}  // namespace

result<decimal> parse_decimal(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (n == 0) {
    return bad(text, "empty");
  }
  if (text.size() > 128) {
    return bad(text, "too long");
  }
  u128 coefficient = 0;
  int digits = 0;
  std::int64_t exponent = 0;
  const auto take = [&](char c) -> bool {
    if (coefficient == 0 && c == '0') {
      return true;  // leading zeros of the coefficient carry no digits
    }
    if (++digits > 38) {
      return false;
    }
    coefficient = coefficient * 10 + static_cast<unsigned>(c - '0');
    return true;
  };
  if (!is_digit(text[0])) {
    return bad(text, "must start with a digit (no sign)");
  }
  if (text[0] == '0' && n > 1 && is_digit(text[1])) {
    return bad(text, "leading zeros");
  }
  while (i < n && is_digit(text[i])) {
    if (!take(text[i++])) return bad(text, "more than 38 significant digits");
  }
  if (i < n && text[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < n && is_digit(text[i])) {
      if (!take(text[i++])) return bad(text, "more than 38 significant digits");
      exponent -= 1;
    }
    if (i == start) {
      return bad(text, "no digits after '.'");
    }
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      negative = text[i] == '-';
      ++i;
    }
    const std::size_t start = i;
    std::int64_t e = 0;
    while (i < n && is_digit(text[i])) {
      e = e * 10 + (text[i++] - '0');
      if (e > 1000) return bad(text, "exponent out of range");
    }
    if (i == start) {
      return bad(text, "no digits in the exponent");
    }
    exponent += negative ? -e : e;
  }
  if (i != n) {
    return bad(text, "unexpected character");
  }
  decimal out = normalized(coefficient, exponent);
  if (out.exponent > exponent_limit || out.exponent < -exponent_limit) {
    return bad(text, "exponent out of range");
  }
  return out;
}

std::string format_decimal(const decimal& value) {
  std::string digits = u128_to_string(value.coefficient);
  if (value.coefficient == 0) {
    return "0";
  }
  if (value.exponent >= 0) {
    return digits + std::string(static_cast<std::size_t>(value.exponent), '0');
  }
  const auto fraction = static_cast<std::size_t>(-value.exponent);
  if (digits.size() <= fraction) {
    return "0." + std::string(fraction - digits.size(), '0') + digits;
  }
  return digits.substr(0, digits.size() - fraction) + "." + digits.substr(digits.size() - fraction);
}

int compare(const decimal& a, const decimal& b) {
  if (auto both = aligned(a, b)) {
    return both->first < both->second ? -1 : (both->first > both->second ? 1 : 0);
  }
  // Too far apart to align: the one with more integer digits is larger.
  const auto magnitude = [](const decimal& d) {
    return static_cast<std::int64_t>(u128_to_string(d.coefficient).size()) + d.exponent;
  };
  return magnitude(a) < magnitude(b) ? -1 : 1;
}

bool equals_amount(const decimal& value, const amount& units) {
  const auto scale = static_cast<std::int32_t>(asset_scale(units.currency()));
  const decimal as_decimal = normalized(units.units(), -scale);
  return compare(value, as_decimal) == 0;
}

result<amount> scale_by_ratio(const amount& base, const decimal& numerator,
                              const decimal& denominator) {
  if (denominator.is_zero()) {
    return make_error(errc::amount_invalid, "ratio with a zero denominator");
  }
  u128 num = numerator.coefficient;
  u128 den = denominator.coefficient;
  const std::int32_t shift = numerator.exponent - denominator.exponent;
  const auto overflow = [] { return make_error(errc::amount_overflow, "ratio overflows 128 bits"); };
  if (shift > 38 || shift < -38) {
    return overflow();
  }
  if (shift > 0) {
    auto scaled = checked_mul(num, pow10_u128(static_cast<unsigned>(shift)));
    if (!scaled) return overflow();
    num = *scaled;
  } else if (shift < 0) {
    auto scaled = checked_mul(den, pow10_u128(static_cast<unsigned>(-shift)));
    if (!scaled) return overflow();
    den = *scaled;
  }
  auto out = mul_div_floor(base.units(), num, den);
  if (!out) {
    return overflow();
  }
  return amount(base.currency(), *out);
}

}  // namespace telepay::domain
