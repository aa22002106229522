#pragma once
/// Money: an unsigned 128-bit count of base units of one asset, each asset with a fixed scale.
/// No floating point anywhere; decimal text only at the edges, parsed and printed exactly.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "domain/base/u128.hpp"

namespace telepay::domain {

/// Assets the ledger knows. Values are pinned (they may appear in snapshots).
enum class asset : std::uint8_t {
  usdt = 1,  // Tether USD on BSC (BEP-20), 18 decimals
  usd = 2,   // US dollars, prices and limits, 2 decimals (cents)
};

inline constexpr asset asset_all[] = {asset::usdt, asset::usd};

/// Number of decimal places of one base unit. Fixed forever per asset.
constexpr unsigned asset_scale(asset a) {
  switch (a) {
    case asset::usdt: return 18;
    case asset::usd: return 2;
  }
  return 0;
}

/// "USDT", "USD".
constexpr std::string_view asset_code(asset a) {
  switch (a) {
    case asset::usdt: return "USDT";
    case asset::usd: return "USD";
  }
  return "";
}

/// Accepts the codes above exactly (upper case).
result<asset> parse_asset(std::string_view code);

/// An amount of one asset in base units. Arithmetic is checked and never mixes assets.
class amount {
 public:
  amount() = default;
  constexpr amount(asset a, u128 units) : asset_(a), units_(units) {}

  static amount zero(asset a) { return amount(a, 0); }

  asset currency() const { return asset_; }
  u128 units() const { return units_; }
  bool is_zero() const { return units_ == 0; }

  /// nullopt-free checked math: errors are amount_overflow / insufficient_funds / asset_mismatch.
  result<amount> plus(const amount& other) const;
  result<amount> minus(const amount& other) const;

  friend bool operator==(const amount&, const amount&) = default;

 private:
  asset asset_ = asset::usdt;
  u128 units_ = 0;
};

/// Parses a non-negative decimal string ("12.34", "0.5", "7") into base units of `a`, exactly.
/// Refuses signs, exponents, spaces, empty parts ("1.", ".5"), leading zeros ("01"), more
/// fraction digits than the asset's scale and values above 2^128-1 base units.
result<amount> parse_amount(std::string_view text, asset a);

/// Like parse_amount, and the amount must be > 0.
result<amount> parse_positive_amount(std::string_view text, asset a);

/// The shortest exact decimal form: no trailing fraction zeros, no '.' for whole numbers
/// ("12.34", "0.5", "7", "0"). parse_amount(format_amount(x)) == x for every x.
std::string format_amount(const amount& value);

/// floor(value * basis_points / 10000). REQUIRES: basis_points <= 10000.
amount percent_of(const amount& value, std::uint32_t basis_points);

/// A price conversion rate: units of `to` per one unit of `from`, with 8 decimals
/// (rate_e8 = 100000000 means 1:1).
struct conversion_rate {
  asset from = asset::usd;
  asset to = asset::usdt;
  std::uint64_t rate_e8 = 100'000'000;

  friend bool operator==(const conversion_rate&, const conversion_rate&) = default;
};

/// Parses a rate such as "1" or "0.99875" (at most 8 decimals, > 0).
result<std::uint64_t> parse_rate_e8(std::string_view text);
std::string format_rate_e8(std::uint64_t rate_e8);

/// Converts `value` (of rate.from) into rate.to, rounding down to a base unit of rate.to.
result<amount> convert(const amount& value, const conversion_rate& rate);

}  // namespace telepay::domain
