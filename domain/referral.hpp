#pragma once
/// Referral rules: commission on a referee's confirmed deposits and paid purchases, and tiers by
/// lifetime referral earnings in USD.

#include <cstdint>
#include <string_view>

#include "domain/money/amount.hpp"

namespace telepay::domain::referral {

enum class tier : std::uint8_t { bronze = 1, silver = 2, gold = 3, platinum = 4, diamond = 5 };

constexpr std::string_view tier_name(tier t) {
  switch (t) {
    case tier::bronze: return "Bronze";
    case tier::silver: return "Silver";
    case tier::gold: return "Gold";
    case tier::platinum: return "Platinum";
    case tier::diamond: return "Diamond";
  }
  return "";
}

/// Lower bound of each tier in USD cents: Bronze 0, Silver 100, Gold 500, Platinum 1000,
/// Diamond 5000 USD.
constexpr std::uint64_t tier_floor_cents(tier t) {
  switch (t) {
    case tier::bronze: return 0;
    case tier::silver: return 10'000;
    case tier::gold: return 50'000;
    case tier::platinum: return 100'000;
    case tier::diamond: return 500'000;
  }
  return 0;
}

/// The tier of a referrer with these lifetime earnings. REQUIRES: earnings in USD.
tier tier_for(const amount& lifetime_earnings_usd);

/// Lifetime earnings in USDT counted in USD at `rate` (USD -> USDT), rounded down to a cent.
amount usdt_to_usd(const amount& usdt, std::uint64_t usd_usdt_rate_e8);

/// The commission on `paid`: floor(paid * rate_bps / 10000).
amount commission(const amount& paid, std::uint32_t rate_bps);

}  // namespace telepay::domain::referral
