#pragma once
/// A paid channel: its owner, title, 1-3 subscription tiers (USD price + days), donations
/// (USD 4.99 to 9999.99 when enabled), payout strategy (instant, or threshold in USD) and an
/// EIP-55 payout address on BSC.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::channel {

inline constexpr std::size_t tiers_max = 3;
inline constexpr std::size_t title_bytes_max = 128;
inline constexpr std::uint32_t tier_days_max = 3650;
inline const amount donation_min = amount(asset::usd, 499);      // 4.99
inline const amount donation_max = amount(asset::usd, 999'999);  // 9999.99
inline const amount tier_price_max = amount(asset::usd, 999'999);
inline const amount threshold_max = amount(asset::usd, 100'000'000);  // 1,000,000.00

struct tier {
  amount price = amount(asset::usd, 0);
  std::uint32_t days = 0;
  friend bool operator==(const tier&, const tier&) = default;
};

enum class payout_strategy : std::uint8_t { instant = 1, threshold = 2 };
std::string_view strategy_name(payout_strategy s);
result<payout_strategy> parse_strategy(std::string_view text);

struct registered {
  static constexpr std::string_view type_name = "channel.registered";
  static constexpr std::uint16_t version = 1;
  channel_id id;
  user_id owner;
  std::string title;
  std::vector<tier> tiers;
  bool donations_enabled = false;
  payout_strategy strategy = payout_strategy::instant;
  amount threshold = amount(asset::usd, 0);
  std::string payout_address;
  void write(json_object_writer& w) const;
  static result<registered> read(const json_value& v);
  friend bool operator==(const registered&, const registered&) = default;
};

struct tiers_set {
  static constexpr std::string_view type_name = "channel.tiers_set";
  static constexpr std::uint16_t version = 1;
  std::vector<tier> tiers;
  void write(json_object_writer& w) const;
  static result<tiers_set> read(const json_value& v);
  friend bool operator==(const tiers_set&, const tiers_set&) = default;
};

struct donations_set {
  static constexpr std::string_view type_name = "channel.donations_set";
  static constexpr std::uint16_t version = 1;
  bool enabled = false;
  void write(json_object_writer& w) const;
  static result<donations_set> read(const json_value& v);
  friend bool operator==(const donations_set&, const donations_set&) = default;
};

struct payout_strategy_set {
  static constexpr std::string_view type_name = "channel.payout_strategy_set";
  static constexpr std::uint16_t version = 1;
  payout_strategy strategy = payout_strategy::instant;
  amount threshold = amount(asset::usd, 0);
  void write(json_object_writer& w) const;
  static result<payout_strategy_set> read(const json_value& v);
  friend bool operator==(const payout_strategy_set&, const payout_strategy_set&) = default;
};

struct payout_address_changed {
  static constexpr std::string_view type_name = "channel.payout_address_changed";
  static constexpr std::uint16_t version = 1;
  std::string address;
  std::string by;
  void write(json_object_writer& w) const;
  static result<payout_address_changed> read(const json_value& v);
  friend bool operator==(const payout_address_changed&, const payout_address_changed&) = default;
};

/// A new payout address waits for a second operator (PRODUCT: any change of a payout wallet).
struct payout_address_change_requested {
  static constexpr std::string_view type_name = "channel.payout_address_change_requested";
  static constexpr std::uint16_t version = 1;
  std::string address;
  std::string by;
  void write(json_object_writer& w) const;
  static result<payout_address_change_requested> read(const json_value& v);
  friend bool operator==(const payout_address_change_requested&, const payout_address_change_requested&) = default;
};

struct disabled {
  static constexpr std::string_view type_name = "channel.disabled";
  static constexpr std::uint16_t version = 1;
  std::string reason;
  std::string by;
  void write(json_object_writer& w) const;
  static result<disabled> read(const json_value& v);
  friend bool operator==(const disabled&, const disabled&) = default;
};

struct enabled {
  static constexpr std::string_view type_name = "channel.enabled";
  static constexpr std::uint16_t version = 1;
  std::string by;
  void write(json_object_writer& w) const;
  static result<enabled> read(const json_value& v);
  friend bool operator==(const enabled&, const enabled&) = default;
};

using event = std::variant<registered, tiers_set, donations_set, payout_strategy_set,
                           payout_address_changed, disabled, enabled, payout_address_change_requested>;

struct state {
  channel_id id;
  bool is_registered = false;
  user_id owner;
  std::string title;
  std::vector<tier> tiers;
  bool donations_enabled = false;
  payout_strategy strategy = payout_strategy::instant;
  amount threshold = amount(asset::usd, 0);
  std::string payout_address;
  std::string pending_payout_address;  // "" when no change waits for approval
  std::string pending_payout_address_by;
  bool is_disabled = false;

  explicit state(channel_id c = channel_id(1)) : id(c) {}
  friend bool operator==(const state&, const state&) = default;
};

struct register_channel {
  user_id owner;
  std::string title;
  std::vector<tier> tiers;
  bool donations_enabled = false;
  payout_strategy strategy = payout_strategy::instant;
  amount threshold = amount(asset::usd, 0);
  std::string payout_address;
};
struct set_tiers {
  std::vector<tier> tiers;
};
struct set_donations {
  bool enabled = false;
};
struct set_payout_strategy {
  payout_strategy strategy = payout_strategy::instant;
  amount threshold = amount(asset::usd, 0);
};
/// Asks for a new payout address; it applies only once another operator approves it. A new
/// request replaces a pending one. Nothing when it is the current address (and none pends).
struct change_payout_address {
  std::string address;
  std::string by;
};
/// Applies the pending address. Errors: approval_same_operator (the requester); invalid_argument
/// when nothing is pending or the address differs from the one pending (the approver confirms
/// what they saw).
struct approve_payout_address {
  std::string address;
  std::string by;
};
struct disable {
  std::string reason;
  std::string by;
};
struct enable {
  std::string by;
};

using command = std::variant<register_channel, set_tiers, set_donations, set_payout_strategy,
                             change_payout_address, disable, enable, approve_payout_address>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// The tier a buyer picked (1-based index as shown to users), if the channel sells.
result<tier> find_tier(const state& s, std::uint32_t tier_number);
/// Whether a donation of `value` (USD) is accepted now.
status check_donation(const state& s, const amount& value);

}  // namespace telepay::domain::channel
