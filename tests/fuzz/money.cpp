// Fuzzes the exact money parsers (domain/money): amounts in both assets, foreign-currency
// decimals (what NOWPayments reports), conversion rates and bare u128 digits.
//
// Properties beyond "no crash": a parsed amount prints and parses back to itself (amount.hpp
// promises it for every value); a decimal that re-parses from its printed form is the same
// value, and compares equal to itself; a rate prints and parses back; u128 digits round-trip.

#include "domain/money/amount.hpp"
#include "domain/money/decimal.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::domain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  for (const asset a : asset_all) {
    auto parsed = parse_amount(text, a);
    if (parsed) {
      const std::string printed = format_amount(*parsed);
      auto again = parse_amount(printed, a);
      TELEPAY_FUZZ_CHECK(again.has_value() && *again == *parsed, printed);
      auto positive = parse_positive_amount(text, a);
      TELEPAY_FUZZ_CHECK(positive.has_value() == !parsed->is_zero(), printed);
    }
  }

  if (auto d = parse_decimal(text)) {
    TELEPAY_FUZZ_CHECK(compare(*d, *d) == 0, text);
    const std::string printed = format_decimal(*d);
    if (auto again = parse_decimal(printed)) {
      TELEPAY_FUZZ_CHECK(*again == *d, printed);
    }
    // Ratios and exact comparisons against an amount are what the payment flow does with it.
    const amount price(asset::usd, 999);
    (void)equals_amount(*d, price);
    (void)scale_by_ratio(amount(asset::usdt, u128{1'000'000'000'000'000'000u}), *d, *d);
    (void)scale_by_ratio(price, decimal{1, 0}, *d);
  }

  if (auto rate = parse_rate_e8(text)) {
    const std::string printed = format_rate_e8(*rate);
    auto again = parse_rate_e8(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *rate, printed);
    (void)convert(amount(asset::usd, u128_max / 3), conversion_rate{asset::usd, asset::usdt, *rate});
  }

  if (auto units = parse_u128(text)) {
    const std::string printed = u128_to_string(*units);
    auto again = parse_u128(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *units, printed);
  }
  (void)parse_asset(text);
  return 0;
}
