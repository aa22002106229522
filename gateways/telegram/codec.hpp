#pragma once
/// Telegram Bot API wire formats (pure: no I/O). Requests are JSON bodies for
/// `POST https://api.telegram.org/bot<token>/<method>`; answers are the Bot API envelope
/// {"ok":true,"result":...} or {"ok":false,"error_code":N,"description":...,"parameters":
/// {"retry_after":S}}. Updates are read into the few fields the bot needs; everything else
/// is ignored. Identifiers are int64 (Telegram: up to 52 significant bits).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::gateways::telegram {

inline constexpr std::size_t max_callback_data_bytes = 64;
inline constexpr std::size_t max_message_chars = 4096;

enum class update_kind : std::uint8_t { other, message, callback_query, chat_join_request, chat_member };
std::string_view update_kind_name(update_kind k);

struct update {
  std::int64_t update_id = 0;
  update_kind kind = update_kind::other;
  std::int64_t from_id = 0;  // the user who acted (0 when absent)
  bool from_is_bot = false;
  std::string from_username;
  std::string from_first_name;
  std::int64_t chat_id = 0;  // message/callback: the chat; join request/member: the channel
  std::string chat_type;     // private | group | supergroup | channel
  std::int64_t message_id = 0;
  std::int64_t date = 0;       // Unix seconds
  std::string text;            // message: its text
  std::string callback_id;     // callback_query: the id to answer
  std::string callback_data;   // callback_query: the button's data
  std::string invite_link;     // join request / chat member: the link used
  std::int64_t user_chat_id = 0;  // join request: the private chat with the requester
  std::string old_status;         // chat_member: old_chat_member.status
  std::string new_status;         // chat_member: new_chat_member.status
};

/// One Update object. Errors: invalid_argument naming the problem (not JSON, no update_id,
/// a field of the wrong type).
result<update> read_update(std::string_view json);

/// The raw JSON text of each Update in a getUpdates answer's result array (minified), so it
/// can be recorded as it came. Errors: invalid_argument.
result<std::vector<std::string>> split_updates(std::string_view result_json);

/// Whether `token` may go into the request path "/bot{token}/{method}": 1-256 bytes of
/// A-Z a-z 0-9 : _ - (Telegram's "123456:ABC-DEF..."). Anything else could change the request
/// (CR/LF, '/', '?', '#', '%', spaces).
inline constexpr std::size_t bot_token_bytes_max = 256;
bool valid_bot_token(std::string_view token);

/// A Bot API answer. `result` is the raw JSON of the result when ok.
struct answer {
  bool ok = false;
  std::string result;
  int error_code = 0;              // 0 when absent, else 1..999 (an HTTP-like status)
  std::string description;
  std::int64_t retry_after_s = 0;  // parameters.retry_after (429): 0 when absent, else 1..3600
};
/// Errors: invalid_argument when the body is not a Bot API envelope, or its error_code is
/// outside 0..999 (a status we would misread: 4294967725 must not become 429). A retry_after
/// is clamped to [retry_after_s_min, retry_after_s_max] (flood.hpp).
result<answer> read_answer(std::string_view body);

/// Delivery details are recorded (notice.delivered, conversation.blocked): at most this many
/// bytes, cut on a character boundary so the recorded text stays UTF-8.
inline constexpr std::size_t delivery_detail_bytes_max = 300;
/// `text` cut to delivery_detail_bytes_max on a character boundary.
std::string delivery_detail(std::string_view text);
/// The detail recorded for a Bot API refusal of a message: the description, with "blocked: "
/// in front when the user blocked the bot (the sender keys on that prefix), within
/// delivery_detail_bytes_max.
std::string refusal_detail(std::string_view description);

/// The content of the getUpdates offset file: one non-negative integer, optionally followed by
/// a newline. Errors: invalid_argument (empty, negative, not a number, trailing junk): a
/// negative offset would make Telegram skip unconfirmed updates.
result<std::int64_t> parse_offset(std::string_view text);

/// The poller's count of failed attempts at recording one update whose failure is not
/// transient (the ledger refused it; asking again the same way will not help). After
/// `attempts_max` failures in a row the update is skipped, so one bad update cannot stop the
/// bot for everyone. Pure; not thread-safe.
inline constexpr int record_attempts_max = 5;
class record_failures {
 public:
  explicit record_failures(int attempts_max = record_attempts_max) : attempts_max_(attempts_max) {}
  /// One more failed attempt at `update_id`. True once it has failed attempts_max times in a
  /// row: give up on it (the count then starts again).
  bool failed(std::int64_t update_id);
  /// The update being tried was recorded: nothing is failing any more.
  void recorded() { attempts_ = 0; }

 private:
  int attempts_max_;
  std::int64_t update_id_ = 0;
  int attempts_ = 0;
};

/// An inline keyboard: rows of buttons, each with callback data or a URL.
struct button {
  std::string text;
  std::string callback_data;  // 1-64 bytes, or empty with url set
  std::string url;
};
using keyboard = std::vector<std::vector<button>>;

/// 1-64 bytes (bytes, not characters: Cyrillic takes two).
bool valid_callback_data(std::string_view data);

/// Request bodies. Preconditions are checked: errors invalid_argument (empty or over-long
/// text, callback data outside 1-64 bytes, a button with neither data nor URL).
result<std::string> send_message(std::int64_t chat_id, std::string_view text, const keyboard& buttons = {});
result<std::string> edit_message_text(std::int64_t chat_id, std::int64_t message_id, std::string_view text,
                                      const keyboard& buttons = {});
std::string edit_message_reply_markup(std::int64_t chat_id, std::int64_t message_id, const keyboard& buttons);
std::string answer_callback_query(std::string_view callback_id, std::string_view text = {});
/// A join-request link (creates_join_request, so no member_limit) named after what it is for.
std::string create_chat_invite_link(std::int64_t chat_id, std::string_view name, std::int64_t expire_date_s);
std::string revoke_chat_invite_link(std::int64_t chat_id, std::string_view invite_link);
std::string approve_chat_join_request(std::int64_t chat_id, std::int64_t user_id);
std::string decline_chat_join_request(std::int64_t chat_id, std::int64_t user_id);
std::string ban_chat_member(std::int64_t chat_id, std::int64_t user_id);
std::string unban_chat_member(std::int64_t chat_id, std::int64_t user_id, bool only_if_banned);
/// Long polling; lists chat_member and chat_join_request explicitly (not in the default set).
std::string get_updates(std::int64_t offset, int timeout_s, int limit = 100);

/// The invite_link of a ChatInviteLink result; the message_id of a Message result.
result<std::string> read_invite_link(std::string_view result_json);
result<std::int64_t> read_message_id(std::string_view result_json);

}  // namespace telepay::gateways::telegram
