#include "domain/money/amount.hpp"

#include "domain/base/json.hpp"

namespace telepay::domain {
namespace {

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

error bad_amount(std::string_view text, asset a, std::string_view why) {
  return make_error(errc::amount_invalid, "amount '" + utf8_prefix(text, 64) + "' (" +
                                              std::string(asset_code(a)) + "): " +
                                              std::string(why));
}

}  // namespace

result<asset> parse_asset(std::string_view code) {
  for (asset a : asset_all) {
    if (asset_code(a) == code) {
      return a;
    }
  }
  return make_error(errc::asset_unknown, "unknown asset '" + utf8_prefix(code, 16) +
                                             "' (known: USDT, USD)");
}

result<amount> amount::plus(const amount& other) const {
  if (other.asset_ != asset_) {
    return make_error(errc::asset_mismatch, "cannot add " + std::string(asset_code(other.asset_)) +
                                                " to " + std::string(asset_code(asset_)));
  }
  const auto sum = checked_add(units_, other.units_);
  if (!sum) {
    return make_error(errc::amount_overflow, "amount overflows 128 bits");
  }
  return amount(asset_, *sum);
}

result<amount> amount::minus(const amount& other) const {
  if (other.asset_ != asset_) {
    return make_error(errc::asset_mismatch, "cannot subtract " +
                                                std::string(asset_code(other.asset_)) + " from " +
                                                std::string(asset_code(asset_)));
  }
  const auto difference = checked_sub(units_, other.units_);
  if (!difference) {
    return make_error(errc::insufficient_funds, format_amount(other) + " exceeds " +
                                                    format_amount(*this));
  }
  return amount(asset_, *difference);
}

result<amount> parse_amount(std::string_view text, asset a) {
  if (text.empty()) {
    return bad_amount(text, a, "empty");
  }
  if (text.size() > 80) {
    return bad_amount(text, a, "too long");
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || !all_digits(whole)) {
    return bad_amount(text, a, "expected digits with an optional '.' and fraction digits");
  }
  if (dot != std::string_view::npos && (fraction.empty() || !all_digits(fraction))) {
    return bad_amount(text, a, "expected digits after '.'");
  }
  if (whole.size() > 1 && whole.front() == '0') {
    return bad_amount(text, a, "leading zeros");
  }
  const unsigned scale = asset_scale(a);
  if (fraction.size() > scale) {
    return bad_amount(text, a, "more than " + std::to_string(scale) + " decimal places");
  }
  const auto whole_units = parse_u128(whole);
  if (!whole_units) {
    return make_error(errc::amount_overflow, "amount '" + std::string(text) + "' is too large");
  }
  std::string padded(fraction);
  padded.append(scale - fraction.size(), '0');
  const auto fraction_units = padded.empty() ? std::optional<u128>(0) : parse_u128(padded);
  const auto scaled = checked_mul(*whole_units, pow10_u128(scale));
  const auto total = scaled && fraction_units ? checked_add(*scaled, *fraction_units)
                                              : std::optional<u128>();
  if (!total) {
    return make_error(errc::amount_overflow, "amount '" + std::string(text) + "' is too large");
  }
  return amount(a, *total);
}

result<amount> parse_positive_amount(std::string_view text, asset a) {
  auto parsed = parse_amount(text, a);
  if (parsed && parsed->is_zero()) {
    return make_error(errc::amount_must_be_positive, "amount must be greater than zero");
  }
  return parsed;
}

std::string format_amount(const amount& value) {
  const unsigned scale = asset_scale(value.currency());
  const u128 unit = pow10_u128(scale);
  std::string out = u128_to_string(value.units() / unit);
  u128 fraction = value.units() % unit;
  if (fraction == 0) {
    return out;
  }
  std::string digits = u128_to_string(fraction);
  digits.insert(0, scale - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
  }
  out.push_back('.');
  out.append(digits);
  return out;
}

amount percent_of(const amount& value, std::uint32_t basis_points) {
  LEDGER_ASSERT(basis_points <= 10000, "basis points above 100%: ", basis_points);
  // units * 10000 can overflow for astronomically large amounts: split to stay exact.
  const u128 whole = value.units() / 10000;
  const u128 rest = value.units() % 10000;
  const u128 units = whole * basis_points + rest * basis_points / 10000;
  return amount(value.currency(), units);
}

result<std::uint64_t> parse_rate_e8(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const bool shape_ok = !whole.empty() && all_digits(whole) && whole.size() <= 10 &&
                        (whole.size() == 1 || whole.front() != '0') &&
                        (dot == std::string_view::npos || (!fraction.empty() && all_digits(fraction))) &&
                        fraction.size() <= 8;
  if (!shape_ok) {
    return make_error(errc::rate_invalid, "rate '" + utf8_prefix(text, 32) +
                                              "' must be a positive decimal with at most 8 places");
  }
  std::string padded(fraction);
  padded.append(8 - fraction.size(), '0');
  const u128 value = *parse_u128(whole) * 100'000'000 + *parse_u128(padded);
  if (value == 0) {
    return make_error(errc::rate_invalid, "rate must be greater than zero");
  }
  return static_cast<std::uint64_t>(value);
}

std::string format_rate_e8(std::uint64_t rate_e8) {
  std::string out = std::to_string(rate_e8 / 100'000'000);
  std::string digits = std::to_string(rate_e8 % 100'000'000);
  if (rate_e8 % 100'000'000 == 0) {
    return out;
  }
  digits.insert(0, 8 - digits.size(), '0');
  while (digits.back() == '0') {
    digits.pop_back();
  }
  return out + "." + digits;
}

result<amount> convert(const amount& value, const conversion_rate& rate) {
  if (value.currency() != rate.from) {
    return make_error(errc::asset_mismatch, "rate converts " + std::string(asset_code(rate.from)) +
                                                ", not " + std::string(asset_code(value.currency())));
  }
  const unsigned from_scale = asset_scale(rate.from);
  const unsigned to_scale = asset_scale(rate.to);
  // to_units = from_units * 10^(to_scale - from_scale) * rate_e8 / 10^8, exactly, floor.
  u128 numerator = rate.rate_e8;
  u128 denominator = 100'000'000;
  if (to_scale >= from_scale) {
    const auto scaled = checked_mul(numerator, pow10_u128(to_scale - from_scale));
    if (!scaled) {
      return make_error(errc::amount_overflow, "conversion overflows");
    }
    numerator = *scaled;
  } else {
    denominator *= pow10_u128(from_scale - to_scale);
  }
  const auto units = mul_div_floor(value.units(), numerator, denominator);
  if (!units) {
    return make_error(errc::amount_overflow, "conversion of " + format_amount(value) +
                                                 " overflows");
  }
  return amount(rate.to, *units);
}

}  // namespace telepay::domain
