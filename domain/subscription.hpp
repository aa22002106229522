#pragma once
/// A user's subscription to one channel. Activation or extension sets the new expiry to
/// max(now, old expiry) + tier days; reminders go out once at 3 days and once at 1 day before
/// expiry; expiry is recorded once (the gateway then removes the user from the channel).
/// Idempotent by purchase id: a purchase extends a subscription at most once.

#include <cstdint>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::subscription {

inline constexpr std::int64_t day_us = 86'400'000'000;
/// The latest expiry an activation may set (9999-12-31T23:59:59.999999Z): repeated long
/// activations stop there with invalid_argument instead of overflowing the timestamp.
inline constexpr std::int64_t expires_at_us_max = 253'402'300'799'999'999;
static_assert(expires_at_us_max < INT64_MAX - 3650 * day_us);

struct activated {
  static constexpr std::string_view type_name = "subscription.activated";
  static constexpr std::uint16_t version = 1;
  std::string purchase_id;
  std::uint32_t tier = 0;
  std::uint32_t days = 0;
  std::int64_t previous_expires_at_us = 0;  // 0 for a first activation
  std::int64_t expires_at_us = 0;
  void write(json_object_writer& w) const;
  static result<activated> read(const json_value& v);
  friend bool operator==(const activated&, const activated&) = default;
};

struct reminded {
  static constexpr std::string_view type_name = "subscription.reminded";
  static constexpr std::uint16_t version = 1;
  std::uint32_t days_before = 0;  // 3 or 1
  std::int64_t expires_at_us = 0;
  void write(json_object_writer& w) const;
  static result<reminded> read(const json_value& v);
  friend bool operator==(const reminded&, const reminded&) = default;
};

struct expired {
  static constexpr std::string_view type_name = "subscription.expired";
  static constexpr std::uint16_t version = 1;
  std::int64_t expires_at_us = 0;
  void write(json_object_writer& w) const;
  static result<expired> read(const json_value& v);
  friend bool operator==(const expired&, const expired&) = default;
};

/// A refund took back the days one purchase added: the expiry moves earlier by them (to the
/// past when those were the only days left; the expiry scheduler then records the expiry and
/// the gateway removes the user, as for any expiry).
struct shortened {
  static constexpr std::string_view type_name = "subscription.shortened";
  static constexpr std::uint16_t version = 1;
  std::string purchase_id;
  std::uint32_t days = 0;
  std::int64_t previous_expires_at_us = 0;
  std::int64_t expires_at_us = 0;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<shortened> read(const json_value& v);
  friend bool operator==(const shortened&, const shortened&) = default;
};

using event = std::variant<activated, reminded, expired, shortened>;

struct state {
  user_id user;
  channel_id channel;
  std::int64_t expires_at_us = 0;  // 0: never subscribed
  std::uint32_t tier = 0;
  bool reminded_3_days = false;    // for the current expiry
  bool reminded_1_day = false;
  bool expiry_recorded = false;    // the current expiry has been acted on
  std::set<std::string> purchases;
  std::set<std::string> refunded;  // purchases whose days were taken back

  state() = default;
  state(user_id u, channel_id c) : user(u), channel(c) {}
  bool active_at(std::int64_t now_us) const { return expires_at_us > now_us; }
  friend bool operator==(const state&, const state&) = default;
};

struct activate {
  std::string purchase_id;
  std::uint32_t tier = 0;
  std::uint32_t days = 0;
};
/// Records the reminder that is due now, if any (no events otherwise).
struct remind {};
/// Records the expiry. Error subscription_not_expired before the expiry time.
struct expire {};
/// Takes back the days purchase `purchase_id` added (a refund). refund_refused for a purchase
/// that did not extend this subscription; a repeat decides nothing.
struct shorten {
  std::string purchase_id;
  std::uint32_t days = 0;
  std::string reason;
};

using command = std::variant<activate, remind, expire, shorten>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);

/// What the expiry scheduler owes a subscription now: nothing, a reminder (3 days, then
/// 1 day before expiry) or the expiry. `reminded_days_before`: 0 (none yet), 3 or 1.
enum class due_kind : std::uint8_t { none = 0, remind = 1, expire = 2 };
due_kind due(std::int64_t expires_at_us, std::uint32_t reminded_days_before, bool expiry_recorded,
             std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::subscription
