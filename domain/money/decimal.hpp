#pragma once
/// Non-negative decimal numbers as external services print them ("0.17070286", "1e-7", "6.0",
/// "25"): a 128-bit coefficient and a power of ten, exact, never a double. Used for amounts in
/// a foreign currency (what a NOWPayments customer actually paid in TRX or USDT-BSC), which the
/// ledger records as text and only ever compares or uses as a ratio.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "domain/base/u128.hpp"
#include "domain/money/amount.hpp"

namespace telepay::domain {

struct decimal {
  u128 coefficient = 0;
  std::int32_t exponent = 0;  // value = coefficient * 10^exponent; normalized: no trailing zeros

  bool is_zero() const { return coefficient == 0; }
  friend bool operator==(const decimal&, const decimal&) = default;
};

/// Parses JSON number syntax without a sign: digits, optional fraction, optional exponent
/// ("10.0412", "1e-7", "6.0", "1E+3"). Leading zeros are refused as JSON refuses them; the
/// value must fit 38 significant digits and an exponent within +-60. Errors: amount_invalid.
result<decimal> parse_decimal(std::string_view text);

/// Plain decimal notation, shortest: "0.0000001", "6", "25.31".
std::string format_decimal(const decimal& value);

/// -1, 0, 1.
int compare(const decimal& a, const decimal& b);

/// True when `value` equals `units` base units of `a` exactly (no rounding).
bool equals_amount(const decimal& value, const amount& units);

/// floor(base * numerator / denominator) in base's asset; errors when the denominator is zero
/// or the product does not fit 128 bits (amount_overflow).
result<amount> scale_by_ratio(const amount& base, const decimal& numerator,
                              const decimal& denominator);

}  // namespace telepay::domain
