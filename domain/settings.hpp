#pragma once
/// Runtime settings as events (stream "settings"): referral commission rate, platform fee,
/// the USD -> USDT rate, hold timeout, the withdrawal amount above which a second operator must
/// approve. Each key has a default, a validator, and cross-key rules.

#include <cstdint>
#include <map>
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
  std::string approved_by{};  // the second admin of a change that weakened a control (optional field)
  void write(json_object_writer& w) const;
  static result<changed> read(const json_value& v);
  friend bool operator==(const changed&, const changed&) = default;
};

/// A change that weakens a control (raises a withdrawal limit), asked for while dual control
/// is on: it waits for a second admin (approve with the same value).
struct change_requested {
  static constexpr std::string_view type_name = "settings.change_requested";
  static constexpr std::uint16_t version = 1;
  std::string key;
  std::string value;
  std::string by;
  void write(json_object_writer& w) const;
  static result<change_requested> read(const json_value& v);
  friend bool operator==(const change_requested&, const change_requested&) = default;
};

using event = std::variant<changed, change_requested>;

struct pending_change {
  std::string value;
  std::string by;
  friend bool operator==(const pending_change&, const pending_change&) = default;
};

struct state {
  std::uint32_t referral_rate_bps = 300;        // 3% of a referee's deposits and purchases
  std::uint32_t platform_fee_bps = 1000;        // 10% of each payment
  std::uint64_t usd_usdt_rate_e8 = 100'000'000;  // 1 USD = 1 USDT
  std::int64_t hold_timeout_seconds = 900;      // purchases and transfers settle within this
  amount withdrawal_approval_usdt = amount(asset::usdt, pow10_u128(18) * 1000);
  /// Withdrawals of one user within any 24 hours, and those one operator requested within any
  /// 24 hours, above which a second operator approves (whatever each one's size).
  amount withdrawal_user_daily_usdt = amount(asset::usdt, pow10_u128(18) * 2000);
  amount withdrawal_operator_daily_usdt = amount(asset::usdt, pow10_u128(18) * 10000);
  /// The smallest withdrawal (a smaller one costs more gas than it is worth, or is a typo).
  amount withdrawal_min_usdt = amount(asset::usdt, pow10_u128(18) * 10);
  /// Changes waiting for a second admin, by key.
  std::map<std::string, pending_change> pending;
  friend bool operator==(const state&, const state&) = default;

  conversion_rate usd_to_usdt() const { return {asset::usd, asset::usdt, usd_usdt_rate_e8}; }
};

/// The keys, in the order /settings lists them.
inline constexpr std::string_view keys[] = {"hold_timeout_seconds",     "platform_fee_bps",
                                            "referral_rate_bps",        "usd_usdt_rate",
                                            "withdrawal_approval_usdt", "withdrawal_min_usdt",
                                            "withdrawal_operator_daily_usdt", "withdrawal_user_daily_usdt"};

/// What a setting means and its unit, for operators reading them back (GET /v1/settings); ""
/// for an unknown key.
std::string_view description(std::string_view key);

/// Whether setting `key` to `value` weakens a control (raises a withdrawal limit). Errors as
/// for an invalid setting.
result<bool> weakens(const state& s, std::string_view key, std::string_view value);

/// The current value of `key` as text.
result<std::string> get(const state& s, std::string_view key);

/// Applies at once, unless it weakens a control and `second_admin_required` (the caller knows
/// whether dual control is on): then it is recorded as a request for a second admin.
struct set {
  std::string key;
  std::string value;
  std::string by;
  bool second_admin_required = false;
};
/// A second admin approves the pending change of `key` to `value`. Errors:
/// approval_state_invalid (nothing pending, or another value), approval_same_operator.
struct approve {
  std::string key;
  std::string value;
  std::string by;
};

using command = std::variant<set, approve>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::settings
