#pragma once
/// A user, registered from a Telegram id on first /start. The referrer is linked once, forever:
/// never oneself, never a user whose own referral chain leads back (no cycles). Banned users are
/// ignored by the bot; blacklisted Telegram ids cannot register.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::user {

inline constexpr std::size_t username_bytes_max = 64;
inline constexpr std::size_t reason_bytes_max = 256;
inline constexpr std::size_t referral_depth_max = 64;

struct registered {
  static constexpr std::string_view type_name = "user.registered";
  static constexpr std::uint16_t version = 1;
  user_id id;
  std::string username;
  std::string referral_code;
  void write(json_object_writer& w) const;
  static result<registered> read(const json_value& v);
  friend bool operator==(const registered&, const registered&) = default;
};

struct referrer_linked {
  static constexpr std::string_view type_name = "user.referrer_linked";
  static constexpr std::uint16_t version = 1;
  user_id id;
  user_id referrer;
  void write(json_object_writer& w) const;
  static result<referrer_linked> read(const json_value& v);
  friend bool operator==(const referrer_linked&, const referrer_linked&) = default;
};

struct banned {
  static constexpr std::string_view type_name = "user.banned";
  static constexpr std::uint16_t version = 1;
  user_id id;
  std::string reason;
  std::string by;
  void write(json_object_writer& w) const;
  static result<banned> read(const json_value& v);
  friend bool operator==(const banned&, const banned&) = default;
};

struct unbanned {
  static constexpr std::string_view type_name = "user.unbanned";
  static constexpr std::uint16_t version = 1;
  user_id id;
  std::string by;
  void write(json_object_writer& w) const;
  static result<unbanned> read(const json_value& v);
  friend bool operator==(const unbanned&, const unbanned&) = default;
};

/// The user's personal deposit address on a chain (derived from the account xpub by the chain
/// gateway; recorded so the watcher and auditors know whose it is).
struct deposit_address_assigned {
  static constexpr std::string_view type_name = "user.deposit_address_assigned";
  static constexpr std::uint16_t version = 1;
  user_id id;
  std::uint64_t chain_id = 0;
  std::string address;  // EIP-55
  std::string path;     // derivation below the account xpub, "{high}/{low}"
  void write(json_object_writer& w) const;
  static result<deposit_address_assigned> read(const json_value& v);
  friend bool operator==(const deposit_address_assigned&, const deposit_address_assigned&) = default;
};

using event = std::variant<registered, referrer_linked, banned, unbanned, deposit_address_assigned>;

struct state {
  user_id id;
  bool is_registered = false;
  std::string username;
  std::optional<user_id> referrer;
  bool is_banned = false;
  std::string ban_reason;
  std::map<std::uint64_t, std::string> deposit_addresses;  // chain id -> address

  explicit state(user_id user = user_id(1)) : id(user) {}
  friend bool operator==(const state&, const state&) = default;
};

/// What the caller found out about a prospective referrer before sending the command (the
/// domain has no I/O): whether it is registered, and its referral chain upwards (its referrer,
/// that one's referrer, ...), at most referral_depth_max long.
struct referrer_facts {
  user_id id;
  bool is_registered = false;
  std::vector<user_id> ancestors;
};

/// First /start: registers (repeats are no-ops) and links the referrer if one is given and the
/// user has none yet. `blacklisted`: the caller checked the blacklist for this Telegram id.
struct register_user {
  std::string username;
  std::optional<referrer_facts> referrer;
  bool blacklisted = false;
};
struct link_referrer {
  referrer_facts referrer;
};
struct ban {
  std::string reason;
  std::string by;
};
struct unban {
  std::string by;
};
/// Records the address once per chain; the same again decides nothing, another is
/// invalid_argument (an address never changes owner). Errors: payout_address_invalid.
struct assign_deposit_address {
  std::uint64_t chain_id = 0;
  std::string address;
  std::string path;
};

using command = std::variant<register_user, link_referrer, ban, unban, assign_deposit_address>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::user
