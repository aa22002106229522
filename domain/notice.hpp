#pragma once
/// The Telegram outbox: what the bot must do for a user, stream "notice-{telegram_id}". A
/// notice is a durable request carried out by the Telegram gateway's rate-limited sender: send
/// a message (with an optional inline keyboard), edit one, answer a callback query, create a
/// per-purchase invite link (join request approved only for this user, valid 24 h), approve or
/// decline a join request, or remove the user from a channel (ban then unban). The ledger
/// never calls Telegram inline.
///
/// Each request names its origin (the ledger's notifier, the bot, a broadcast) and the seq of
/// the event that caused it; a stream ignores a request at or below the last source seq it
/// recorded from that origin, so followers that re-read the log after a restart record
/// nothing twice. The sender records each notice's outcome (notice.delivered) once it has
/// been carried out, so a restart sends only what is still pending.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::notice {

enum class kind : std::uint8_t {
  message = 1,  // text (+ buttons) to the user's private chat
  invite = 2,   // a join-request invite link for chat_id, sent to the user with text
  remove = 3,   // ban then unban the user in chat_id
  edit = 4,     // replace message_id's text (+ buttons); no text: only its buttons (none: removed)
  answer = 5,   // answer callback query `ref` (with an optional short text)
  approve = 6,  // approve the user's join request to chat_id
  decline = 7,  // decline the user's join request to chat_id
};
std::string_view kind_name(kind k);

/// The origin of requests from the ledger's notifier (the default).
inline constexpr std::string_view ledger_origin = "ledger";

/// An inline keyboard button: callback data (1-64 bytes) or a URL.
struct button {
  std::string text;
  std::string data;
  std::string url;
  friend bool operator==(const button&, const button&) = default;
};
using keyboard = std::vector<std::vector<button>>;

inline constexpr std::int64_t invite_lifetime_us = 24LL * 3600 * 1'000'000;

std::string stream(user_id user);

struct item {
  kind type = kind::message;
  std::int64_t chat_id = 0;        // the channel for invite, remove, approve, decline; else 0
  std::string ref;                 // invite: the purchase id; answer: the callback query id
  std::int64_t expires_at_us = 0;  // invite: when the link stops working
  std::string text;                // message, edit, invite: what to tell the user (English)
  keyboard buttons;                // message, edit: an inline keyboard
  std::int64_t message_id = 0;     // edit: the message to edit
  friend bool operator==(const item&, const item&) = default;
};

struct requested {
  static constexpr std::string_view type_name = "notice.requested";
  static constexpr std::uint16_t version = 1;
  std::uint64_t source_seq = 0;
  std::uint32_t index = 0;  // position among the notices of that source event
  item what;
  std::string origin = std::string(ledger_origin);  // written only when not the ledger
  void write(json_object_writer& w) const;
  static result<requested> read(const json_value& v);
  friend bool operator==(const requested&, const requested&) = default;
};

/// The sender's record of a notice carried out (ok) or given up (not ok; detail says why:
/// "blocked" when the user blocked the bot). detail: the message id, the invite link, or the
/// Bot API's description.
struct delivered {
  static constexpr std::string_view type_name = "notice.delivered";
  static constexpr std::uint16_t version = 1;
  std::uint64_t notice = 0;  // the stream version of the notice.requested event
  bool ok = false;
  std::string detail;
  void write(json_object_writer& w) const;
  static result<delivered> read(const json_value& v);
  friend bool operator==(const delivered&, const delivered&) = default;
};

using event = std::variant<requested, delivered>;

struct state {
  user_id user;
  std::map<std::string, std::uint64_t> last_source;  // by origin
  std::uint64_t version = 0;                         // events in the stream
  std::uint64_t count = 0;                           // notices requested
  std::set<std::uint64_t> pending;                   // versions requested, not yet delivered

  state() = default;
  explicit state(user_id u) : user(u) {}
  friend bool operator==(const state&, const state&) = default;
};

struct request {
  std::uint64_t source_seq = 0;
  std::vector<item> items;
  std::string origin = std::string(ledger_origin);
};
struct deliver {
  std::uint64_t notice = 0;
  bool ok = false;
  std::string detail;
};
using command = std::variant<request, deliver>;

/// request: no events for a source at or below the last recorded one of its origin. deliver:
/// no events for a notice not pending (recorded before). Errors: invalid_argument (a notice
/// that was never requested, over-long text, bad callback data, an unknown origin form).
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// The notices one stored event calls for (nullopt for most events): subscription activated
/// (invite link and message; a message only when it extends an active subscription),
/// reminded, expired (remove and how to renew), NOWPayments payments that did not simply
/// grant the purchase (partially paid, credited, under review, expired, failed, refunded), and
/// withdrawals that ended (sent with their transaction, failed, declined), and on-chain
/// deposits once confirmed.
struct plan_result {
  user_id user;
  std::vector<item> items;
};
std::optional<plan_result> plan(std::string_view stream, std::string_view type,
                                std::uint16_t schema_version, std::string_view payload,
                                std::int64_t recorded_at_us);

}  // namespace telepay::domain::notice
