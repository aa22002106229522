#include "domain/referral.hpp"

namespace telepay::domain::referral {

tier tier_for(const amount& lifetime_earnings_usd) {
  LEDGER_ASSERT(lifetime_earnings_usd.currency() == asset::usd, "tiers are counted in USD");
  const u128 cents = lifetime_earnings_usd.units();
  for (tier t : {tier::diamond, tier::platinum, tier::gold, tier::silver}) {
    if (cents >= tier_floor_cents(t)) {
      return t;
    }
  }
  return tier::bronze;
}

amount usdt_to_usd(const amount& usdt, std::uint64_t usd_usdt_rate_e8) {
  LEDGER_ASSERT(usdt.currency() == asset::usdt, "expected USDT");
  LEDGER_ASSERT(usd_usdt_rate_e8 > 0, "rate must be positive");
  // usd_cents = usdt_units / 10^16 / rate, i.e. usdt_units * 10^8 / (rate_e8 * 10^16).
  const auto converted = convert(usdt, conversion_rate{asset::usdt, asset::usd,
                                                       static_cast<std::uint64_t>(
                                                           u128{10'000'000'000'000'000ULL} /
                                                           usd_usdt_rate_e8)});
  LEDGER_ASSERT(converted.has_value(), "USDT to USD conversion overflowed");
  return *converted;
}

amount commission(const amount& paid, std::uint32_t rate_bps) { return percent_of(paid, rate_bps); }

}  // namespace telepay::domain::referral
