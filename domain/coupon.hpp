#pragma once
/// Coupons: percent or fixed (USD) discounts with a usage limit, once per user, an expiry, and
/// an optional channel and tier restriction.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::coupon {

enum class kind : std::uint8_t { percent = 1, fixed = 2 };

/// Coupon codes: 3-32 characters of A-Z 0-9 _ - (stored upper case).
result<std::string> normalize_code(std::string_view code);

struct created {
  static constexpr std::string_view type_name = "coupon.created";
  static constexpr std::uint16_t version = 1;
  std::string code;
  kind type = kind::percent;
  std::uint32_t percent_bps = 0;               // kind::percent
  amount fixed = amount(asset::usd, 0);        // kind::fixed
  std::uint32_t usage_limit = 0;               // 0: unlimited
  std::int64_t expires_at_us = 0;
  std::optional<channel_id> channel;
  std::uint32_t tier = 0;                      // 0: any tier
  std::string by;
  void write(json_object_writer& w) const;
  static result<created> read(const json_value& v);
  friend bool operator==(const created&, const created&) = default;
};

struct redeemed {
  static constexpr std::string_view type_name = "coupon.redeemed";
  static constexpr std::uint16_t version = 1;
  user_id user;
  std::string purchase_id;
  amount discount = amount(asset::usd, 0);
  void write(json_object_writer& w) const;
  static result<redeemed> read(const json_value& v);
  friend bool operator==(const redeemed&, const redeemed&) = default;
};

struct disabled {
  static constexpr std::string_view type_name = "coupon.disabled";
  static constexpr std::uint16_t version = 1;
  std::string by;
  void write(json_object_writer& w) const;
  static result<disabled> read(const json_value& v);
  friend bool operator==(const disabled&, const disabled&) = default;
};

using event = std::variant<created, redeemed, disabled>;

struct state {
  std::string code;
  bool exists = false;
  created terms;
  std::uint32_t uses = 0;
  std::map<std::int64_t, std::string> used_by;  // user id -> purchase id
  bool is_disabled = false;

  explicit state(std::string c = {}) : code(std::move(c)) {}
  friend bool operator==(const state&, const state&) = default;
};

struct create {
  kind type = kind::percent;
  std::uint32_t percent_bps = 0;
  amount fixed = amount(asset::usd, 0);
  std::uint32_t usage_limit = 0;
  std::int64_t expires_at_us = 0;
  std::optional<channel_id> channel;
  std::uint32_t tier = 0;
  std::string by;
};
struct redeem {
  user_id user;
  channel_id channel;
  std::uint32_t tier = 0;
  amount price = amount(asset::usd, 0);
  std::string purchase_id;
};
struct disable {
  std::string by;
};

using command = std::variant<create, redeem, disable>;

/// The discount `user` would get on `price` for (channel, tier) at `now`, without redeeming.
result<amount> quote(const state& s, user_id user, channel_id channel, std::uint32_t tier,
                     const amount& price, std::int64_t now_us);

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::coupon
