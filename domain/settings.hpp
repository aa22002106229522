#pragma once
/// Runtime settings as events (stream "settings"): referral commission rate, platform fee,
/// the USD -> USDT rate, hold timeout, the withdrawal amount above which a second operator must
/// approve. Each key has a default, a validator, and cross-key rules.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::settings {

struct changed {
  static constexpr std::string_view type_name = "settings.changed";
  static constexpr std::uint16_t version = 1;
  std::string key;
  std::string value;
  std::string by;
  void write(json_object_writer& w) const;
  static result<changed> read(const json_value& v);
  friend bool operator==(const changed&, const changed&) = default;
};

using event = std::variant<changed>;

struct state {
  std::uint32_t referral_rate_bps = 300;        // 3% of a referee's deposits and purchases
  std::uint32_t platform_fee_bps = 1000;        // 10% of each payment
  std::uint64_t usd_usdt_rate_e8 = 100'000'000;  // 1 USD = 1 USDT
  std::int64_t hold_timeout_seconds = 900;      // purchases and transfers settle within this
  amount withdrawal_approval_usdt = amount(asset::usdt, pow10_u128(18) * 1000);
  friend bool operator==(const state&, const state&) = default;

  conversion_rate usd_to_usdt() const { return {asset::usd, asset::usdt, usd_usdt_rate_e8}; }
};

/// The keys, in the order /settings lists them.
inline constexpr std::string_view keys[] = {"hold_timeout_seconds", "platform_fee_bps",
                                            "referral_rate_bps", "usd_usdt_rate",
                                            "withdrawal_approval_usdt"};

/// The current value of `key` as text.
result<std::string> get(const state& s, std::string_view key);

struct set {
  std::string key;
  std::string value;
  std::string by;
};

using command = std::variant<set>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::settings
