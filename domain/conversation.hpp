#pragma once
/// A user's conversation with the bot, stream "conversation-{telegram_id}": every Telegram
/// update the user caused (recorded before anything acts on it, so none is lost and none is
/// handled twice) and the state of a multi-step dialogue (the donation keypad, a coupon being
/// typed). Restart-safe because it is events.
///
/// Updates are deduplicated by update_id against the user's most recent ids (Telegram repeats
/// only unconfirmed updates, which are recent; update ids are not reliably monotonic after a
/// week of silence, so set membership is used, never ordering). Each update carries its
/// receipt time so the per-user request rate can be judged the same way whenever it is read.
///
/// A dialogue change names the update seq that caused it; a change at or below the last one
/// is ignored, so the bot can re-run an update after a crash without effect.

#include <cstdint>
#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::conversation {

inline constexpr std::size_t recent_updates_kept = 256;
inline constexpr std::size_t raw_update_bytes_max = 16 * 1024;
inline constexpr std::int64_t keypad_timeout_us = 5LL * 60 * 1'000'000;
inline constexpr std::int64_t rate_window_us = 60LL * 1'000'000;
inline constexpr std::size_t rate_limit = 30;  // updates per user per minute

std::string stream(user_id user);

struct update_received {
  static constexpr std::string_view type_name = "telegram.update_received";
  static constexpr std::uint16_t version = 1;
  std::int64_t update_id = 0;
  std::string kind;  // message | callback_query | chat_join_request | chat_member | other
  std::int64_t received_at_us = 0;
  std::string raw;   // the update's JSON as Telegram sent it
  void write(json_object_writer& w) const;
  static result<update_received> read(const json_value& v);
  friend bool operator==(const update_received&, const update_received&) = default;
};

/// offer: the pay buttons the bot showed last (channel, tier, a donation's amount in `digits`,
/// a coupon): a press pays only for that, once.
enum class mode : std::uint8_t { idle = 1, donation = 2, coupon = 3, offer = 4 };
std::string_view mode_name(mode m);

/// The dialogue: the donation keypad (channel, digits typed, the keypad message) or a coupon
/// being typed for a channel tier.
struct dialogue {
  conversation::mode mode = mode::idle;
  std::int64_t channel = 0;
  std::uint32_t tier = 0;
  std::string digits;
  std::int64_t message_id = 0;
  std::int64_t started_at_us = 0;
  std::string coupon;  // a coupon accepted for the tier being bought
  friend bool operator==(const dialogue&, const dialogue&) = default;
};

struct changed {
  static constexpr std::string_view type_name = "conversation.changed";
  static constexpr std::uint16_t version = 1;
  std::uint64_t source_seq = 0;
  conversation::dialogue now;
  void write(json_object_writer& w) const;
  static result<changed> read(const json_value& v);
  friend bool operator==(const changed&, const changed&) = default;
};

/// The user blocked the bot (a send was refused "bot was blocked by the user"): inactive, left
/// out of broadcasts, until they write to the bot again.
struct blocked {
  static constexpr std::string_view type_name = "conversation.bot_blocked";
  static constexpr std::uint16_t version = 1;
  std::string detail;
  void write(json_object_writer& w) const;
  static result<blocked> read(const json_value& v);
  friend bool operator==(const blocked&, const blocked&) = default;
};

using event = std::variant<update_received, changed, blocked>;

struct recent_update {
  std::int64_t update_id = 0;
  std::int64_t received_at_us = 0;
  friend bool operator==(const recent_update&, const recent_update&) = default;
};

struct state {
  user_id user;
  std::deque<recent_update> recent;  // newest last, at most recent_updates_kept
  std::uint64_t updates = 0;
  conversation::dialogue dialogue;
  std::uint64_t last_source_seq = 0;
  bool bot_blocked = false;  // inactive: blocked the bot, has not written since

  state() = default;
  explicit state(user_id u) : user(u) {}
  bool seen(std::int64_t update_id) const;
  /// Updates received in the minute up to and including `at_us` (the one at `at_us` counted).
  std::size_t received_within_minute(std::int64_t at_us) const;
  friend bool operator==(const state&, const state&) = default;
};

struct receive {
  std::int64_t update_id = 0;
  std::string kind;
  std::string raw;
};
struct change {
  std::uint64_t source_seq = 0;
  conversation::dialogue now;
};
struct mark_blocked {
  std::string detail;
};
using command = std::variant<receive, change, mark_blocked>;

/// receive: no events for an update id seen before. change: no events for a source at or
/// below the last one, or when nothing changes. Errors: invalid_argument (negative update
/// id, raw update not UTF-8 or over 16 KiB, a keypad with non-digit input, unknown kind).
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::conversation
