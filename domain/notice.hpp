#pragma once
/// The Telegram outbox: what the bot must do for a user because of something the ledger
/// recorded, stream "notice-{telegram_id}". A notice is a durable request: send a message,
/// create a per-purchase invite link (join request approved only for this user, valid 24 h),
/// or remove the user from a channel (ban then unban). The Telegram gateway follows these
/// streams and carries them out; the ledger never calls Telegram inline.
///
/// Notices are planned from events by a pure function (plan), and recorded at most once per
/// source event: a request carries the seq of the event that caused it and a stream ignores
/// sources at or below the last one it recorded.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::notice {

enum class kind : std::uint8_t { message = 1, invite = 2, remove = 3 };
std::string_view kind_name(kind k);

inline constexpr std::int64_t invite_lifetime_us = 24LL * 3600 * 1'000'000;

std::string stream(user_id user);

struct item {
  kind type = kind::message;
  std::int64_t chat_id = 0;        // the channel for invite and remove; 0 for a message
  std::string ref;                 // invite: the purchase id the link is for
  std::int64_t expires_at_us = 0;  // invite: when the link stops working
  std::string text;                // message: what to tell the user (English)
  friend bool operator==(const item&, const item&) = default;
};

struct requested {
  static constexpr std::string_view type_name = "notice.requested";
  static constexpr std::uint16_t version = 1;
  std::uint64_t source_seq = 0;
  std::uint32_t index = 0;  // position among the notices of that source event
  item what;
  void write(json_object_writer& w) const;
  static result<requested> read(const json_value& v);
  friend bool operator==(const requested&, const requested&) = default;
};

using event = std::variant<requested>;

struct state {
  user_id user;
  std::uint64_t last_source_seq = 0;
  std::uint64_t count = 0;

  state() = default;
  explicit state(user_id u) : user(u) {}
  friend bool operator==(const state&, const state&) = default;
};

struct request {
  std::uint64_t source_seq = 0;
  std::vector<item> items;
};
using command = std::variant<request>;

/// No events for a source at or below the last recorded one. Errors: invalid_argument.
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// The notices one stored event calls for (nullopt for most events): subscription activated
/// (invite link and message; a message only when it extends an active subscription),
/// reminded, expired (remove and how to renew), and NOWPayments payments that did not simply
/// grant the purchase (partially paid, credited, under review, expired, failed, refunded).
struct plan_result {
  user_id user;
  std::vector<item> items;
};
std::optional<plan_result> plan(std::string_view stream, std::string_view type,
                                std::uint16_t schema_version, std::string_view payload,
                                std::int64_t recorded_at_us);

}  // namespace telepay::domain::notice
