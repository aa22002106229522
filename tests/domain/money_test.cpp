// Goal: money is exact. Amounts parse and print without loss at every scale, refuse every
// malformed or out-of-range spelling, and arithmetic never wraps or mixes assets.
// Method: table-driven cases on both sides of each boundary (zero, one base unit, the 128-bit
// maximum, the asset's decimal places).

#include <gtest/gtest.h>

#include "domain/money/amount.hpp"

namespace telepay::domain {
namespace {

TEST(AmountParse, AcceptsExactDecimals) {
  EXPECT_EQ(parse_amount("0", asset::usdt)->units(), 0u);
  EXPECT_EQ(parse_amount("1", asset::usd)->units(), 100u);
  EXPECT_EQ(parse_amount("12.34", asset::usd)->units(), 1234u);
  EXPECT_EQ(parse_amount("0.000000000000000001", asset::usdt)->units(), 1u);
  EXPECT_EQ(parse_amount("1.5", asset::usdt)->units(), u128{15} * pow10_u128(17));
}

TEST(AmountParse, RefusesMalformedInput) {
  for (const char* bad : {"", "-1", "+1", "1e5", " 1", "1 ", "1.", ".5", "01", "1,5", "1.2.3",
                          "0x10", "NaN", "１", "1.234"}) {
    auto r = parse_amount(bad, asset::usd);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, errc::amount_invalid) << bad;
  }
  EXPECT_EQ(parse_amount("0.0000000000000000001", asset::usdt).error().code, errc::amount_invalid);
}

TEST(AmountParse, TheMaximumFitsAndOneMoreOverflows) {
  const std::string max = u128_to_string(u128_max);  // 340282366920938463463374607431768211455
  // As USDT base units: max / 10^18 with 18 decimals.
  const std::string text = max.substr(0, max.size() - 18) + "." + max.substr(max.size() - 18);
  auto parsed = parse_amount(text, asset::usdt);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->units(), u128_max);
  EXPECT_EQ(format_amount(*parsed), text);
  std::string bigger = text;  // the maximum plus one base unit
  bigger.back() = '6';
  EXPECT_EQ(parse_amount(bigger, asset::usdt).error().code, errc::amount_overflow);
  EXPECT_EQ(parse_amount("1" + std::string(40, '0'), asset::usd).error().code, errc::amount_overflow);
}

TEST(AmountParse, PositiveRefusesZero) {
  EXPECT_EQ(parse_positive_amount("0", asset::usd).error().code, errc::amount_must_be_positive);
  EXPECT_EQ(parse_positive_amount("0.00", asset::usd).error().code, errc::amount_must_be_positive);
  EXPECT_TRUE(parse_positive_amount("0.01", asset::usd).has_value());
}

TEST(AmountFormat, IsShortestExactAndRoundTrips) {
  EXPECT_EQ(format_amount(amount(asset::usd, 0)), "0");
  EXPECT_EQ(format_amount(amount(asset::usd, 1)), "0.01");
  EXPECT_EQ(format_amount(amount(asset::usd, 1230)), "12.3");
  EXPECT_EQ(format_amount(amount(asset::usdt, pow10_u128(18) * 7)), "7");
  for (u128 units : {u128{0}, u128{1}, u128{999}, pow10_u128(18) - 1, pow10_u128(30) + 7, u128_max}) {
    const amount a(asset::usdt, units);
    EXPECT_EQ(parse_amount(format_amount(a), asset::usdt)->units(), units);
  }
}

TEST(AmountMath, IsCheckedAndNeverMixesAssets) {
  const amount one(asset::usd, 100);
  EXPECT_EQ(one.plus(one)->units(), 200u);
  EXPECT_EQ(one.minus(one)->units(), 0u);
  EXPECT_EQ(one.minus(amount(asset::usd, 101)).error().code, errc::insufficient_funds);
  EXPECT_EQ(amount(asset::usd, u128_max).plus(amount(asset::usd, 1)).error().code, errc::amount_overflow);
  EXPECT_EQ(one.plus(amount(asset::usdt, 1)).error().code, errc::asset_mismatch);
}

TEST(AmountMath, PercentRoundsDownExactly) {
  EXPECT_EQ(percent_of(amount(asset::usd, 1000), 300).units(), 30u);   // 3% of 10.00
  EXPECT_EQ(percent_of(amount(asset::usd, 499), 300).units(), 14u);    // 3% of 4.99 = 0.1497
  EXPECT_EQ(percent_of(amount(asset::usd, 12345), 10000).units(), 12345u);
  EXPECT_EQ(percent_of(amount(asset::usdt, u128_max), 10000).units(), u128_max);
  EXPECT_EQ(percent_of(amount(asset::usdt, u128_max), 0).units(), 0u);
}

TEST(Conversion, UsdToUsdtIsExactAtTheRate) {
  const conversion_rate one{asset::usd, asset::usdt, 100'000'000};
  EXPECT_EQ(format_amount(*convert(amount(asset::usd, 499), one)), "4.99");
  const conversion_rate premium{asset::usd, asset::usdt, *parse_rate_e8("1.0025")};
  EXPECT_EQ(format_amount(*convert(amount(asset::usd, 1000), premium)), "10.025");
  EXPECT_EQ(convert(amount(asset::usdt, 1), one).error().code, errc::asset_mismatch);
}

TEST(Conversion, RatesParseStrictly) {
  EXPECT_EQ(*parse_rate_e8("1"), 100'000'000u);
  EXPECT_EQ(*parse_rate_e8("0.00000001"), 1u);
  EXPECT_EQ(format_rate_e8(*parse_rate_e8("0.99875")), "0.99875");
  for (const char* bad : {"0", "0.0", "-1", "1.123456789", "", "1.", "abc", "01"}) {
    EXPECT_FALSE(parse_rate_e8(bad).has_value()) << bad;
  }
}

TEST(Assets, CodesRoundTripAndUnknownIsAnError) {
  for (asset a : asset_all) {
    EXPECT_EQ(*parse_asset(asset_code(a)), a);
  }
  EXPECT_EQ(parse_asset("usdt").error().code, errc::asset_unknown);
  EXPECT_EQ(asset_scale(asset::usdt), 18u);
  EXPECT_EQ(asset_scale(asset::usd), 2u);
}

}  // namespace
}  // namespace telepay::domain
