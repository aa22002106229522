#include "gateways/telegram/codec.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "domain/base/json.hpp"
#include "gateways/telegram/flood.hpp"

namespace telepay::gateways::telegram {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

error bad(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

/// An optional field: absent is fine, present with another type is an error.
template <typename T>
bool optional_field(object o, std::string_view key, T& out, std::string& problem) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return true;
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (e.get_int64().get(out) == simdjson::SUCCESS) return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (e.get_bool().get(out) == simdjson::SUCCESS) return true;
  } else {
    std::string_view text;
    if (e.get_string().get(text) == simdjson::SUCCESS) {
      out = std::string(text);
      return true;
    }
  }
  problem = "field '" + std::string(key) + "' has the wrong type";
  return false;
}

bool read_user(object parent, std::string_view key, update& u, std::string& problem) {
  object from;
  if (parent[key].get_object().get(from) != simdjson::SUCCESS) return true;
  return optional_field(from, "id", u.from_id, problem) && optional_field(from, "is_bot", u.from_is_bot, problem) &&
         optional_field(from, "username", u.from_username, problem) &&
         optional_field(from, "first_name", u.from_first_name, problem);
}

bool read_chat(object parent, update& u, std::string& problem) {
  object chat;
  if (parent["chat"].get_object().get(chat) != simdjson::SUCCESS) return true;
  return optional_field(chat, "id", u.chat_id, problem) && optional_field(chat, "type", u.chat_type, problem);
}

bool read_message(object m, update& u, std::string& problem) {
  return optional_field(m, "message_id", u.message_id, problem) && optional_field(m, "date", u.date, problem) &&
         optional_field(m, "text", u.text, problem) && read_user(m, "from", u, problem) && read_chat(m, u, problem);
}

bool read_link(object parent, update& u, std::string& problem) {
  object link;
  if (parent["invite_link"].get_object().get(link) != simdjson::SUCCESS) return true;
  return optional_field(link, "invite_link", u.invite_link, problem);
}

std::string status_of(object parent, std::string_view key) {
  object member;
  std::string_view status;
  if (parent[key].get_object().get(member) != simdjson::SUCCESS) return {};
  if (member["status"].get_string().get(status) != simdjson::SUCCESS) return {};
  return std::string(status);
}

result<std::string> keyboard_json(const keyboard& rows) {
  std::string out = "{\"inline_keyboard\":[";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r) out += ',';
    out += '[';
    for (std::size_t b = 0; b < rows[r].size(); ++b) {
      const button& k = rows[r][b];
      if (k.text.empty()) return bad("a button needs a text");
      if (b) out += ',';
      if (!k.url.empty()) {
        out += "{\"text\":";
        append_json_string(out, k.text);
        out += ",\"url\":";
        append_json_string(out, k.url);
        out += '}';
      } else {
        if (!valid_callback_data(k.callback_data)) {
          return bad("callback data must be 1-64 bytes: '" + utf8_prefix(k.callback_data, 80) + "'");
        }
        out += "{\"callback_data\":";
        append_json_string(out, k.callback_data);
        out += ",\"text\":";
        append_json_string(out, k.text);
        out += '}';
      }
    }
    out += ']';
  }
  out += "]}";
  return out;
}

/// Characters as Telegram counts them (UTF-16 code units would be exact; code points are
/// close enough for the 4096 bound and never under-count bytes).
std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

result<std::string> message_body(std::string_view head, std::string_view text, const keyboard& buttons) {
  if (text.empty() || code_points(text) > max_message_chars) return bad("a message text is 1-4096 characters");
  if (!is_valid_utf8(text)) return bad("a message text must be UTF-8");
  std::string out(head);
  if (!buttons.empty()) {
    auto markup = keyboard_json(buttons);
    if (!markup) return markup.error();
    out += ",\"reply_markup\":" + *markup;
  }
  out += ",\"text\":";
  append_json_string(out, text);
  out += '}';
  return out;
}

}  // namespace

std::string_view update_kind_name(update_kind k) {
  switch (k) {
    case update_kind::message: return "message";
    case update_kind::callback_query: return "callback_query";
    case update_kind::chat_join_request: return "chat_join_request";
    case update_kind::chat_member: return "chat_member";
    case update_kind::other: break;
  }
  return "other";
}

result<update> read_update(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return bad("an update must be JSON");
  object o;
  if (root.get_object().get(o) != simdjson::SUCCESS) return bad("an update must be a JSON object");
  update u;
  // The poller confirms an update with offset update_id + 1, which must fit in int64.
  if (o["update_id"].get_int64().get(u.update_id) != simdjson::SUCCESS || u.update_id < 0 ||
      u.update_id == std::numeric_limits<std::int64_t>::max()) {
    return bad("an update needs an integer update_id in 0..2^63-2");
  }
  std::string problem;
  object part;
  bool ok = true;
  if (o["message"].get_object().get(part) == simdjson::SUCCESS) {
    u.kind = update_kind::message;
    ok = read_message(part, u, problem);
  } else if (o["callback_query"].get_object().get(part) == simdjson::SUCCESS) {
    u.kind = update_kind::callback_query;
    ok = optional_field(part, "id", u.callback_id, problem) && optional_field(part, "data", u.callback_data, problem) &&
         read_user(part, "from", u, problem);
    object message;
    if (ok && part["message"].get_object().get(message) == simdjson::SUCCESS) {
      std::int64_t from_id = u.from_id;  // the button's message is the bot's: keep the presser
      ok = optional_field(message, "message_id", u.message_id, problem) && read_chat(message, u, problem);
      u.from_id = from_id;
    }
    if (ok && u.callback_id.empty()) ok = false, problem = "a callback query needs an id";
  } else if (o["chat_join_request"].get_object().get(part) == simdjson::SUCCESS) {
    u.kind = update_kind::chat_join_request;
    ok = read_chat(part, u, problem) && read_user(part, "from", u, problem) &&
         optional_field(part, "user_chat_id", u.user_chat_id, problem) && optional_field(part, "date", u.date, problem) &&
         read_link(part, u, problem);
  } else if (o["chat_member"].get_object().get(part) == simdjson::SUCCESS) {
    u.kind = update_kind::chat_member;
    ok = read_chat(part, u, problem) && optional_field(part, "date", u.date, problem) && read_link(part, u, problem);
    u.old_status = status_of(part, "old_chat_member");
    u.new_status = status_of(part, "new_chat_member");
    object member;
    if (ok && part["new_chat_member"].get_object().get(member) == simdjson::SUCCESS) {
      ok = read_user(member, "user", u, problem);
    }
  }
  if (!ok) return bad("update " + std::to_string(u.update_id) + ": " + problem);
  return u;
}

result<std::vector<std::string>> split_updates(std::string_view result_json) {
  simdjson::dom::parser parser;
  element root;
  simdjson::dom::array items;
  if (parser.parse(result_json.data(), result_json.size()).get(root) != simdjson::SUCCESS ||
      root.get_array().get(items) != simdjson::SUCCESS) {
    return bad("getUpdates must answer an array");
  }
  std::vector<std::string> out;
  for (element item : items) {
    if (!item.is_object()) return bad("getUpdates answered a non-object update");
    out.push_back(simdjson::minify(item));
  }
  return out;
}

result<answer> read_answer(std::string_view body) {
  simdjson::dom::parser parser;
  element root;
  object o;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(o) != simdjson::SUCCESS) {
    return bad("the Bot API answered something that is not a JSON object");
  }
  answer a;
  if (o["ok"].get_bool().get(a.ok) != simdjson::SUCCESS) return bad("the Bot API answer has no boolean 'ok'");
  if (a.ok) {
    element r;
    if (o["result"].get(r) != simdjson::SUCCESS) return bad("the Bot API answered ok without a result");
    a.result = simdjson::minify(r);
    return a;
  }
  std::int64_t code = 0;
  if (o["error_code"].get_int64().get(code) != simdjson::SUCCESS) code = 0;
  // Codes are HTTP-like; narrowing a larger one to int could turn it into 429 or 5xx.
  if (code < 0 || code > 999) return bad("the Bot API answered an error_code outside 0..999");
  a.error_code = static_cast<int>(code);
  std::string_view description;
  if (o["description"].get_string().get(description) == simdjson::SUCCESS) a.description = std::string(description);
  object parameters;
  if (o["parameters"].get_object().get(parameters) == simdjson::SUCCESS) {
    std::int64_t retry_after = 0;
    if (parameters["retry_after"].get_int64().get(retry_after) == simdjson::SUCCESS) {
      a.retry_after_s = bounded_retry_after_s(retry_after);
    }
  }
  return a;
}

std::string delivery_detail(std::string_view text) { return utf8_prefix(text, delivery_detail_bytes_max); }

std::string refusal_detail(std::string_view description) {
  if (description.find("blocked") == std::string_view::npos) return delivery_detail(description);
  return delivery_detail("blocked: " + std::string(description));
}

result<std::int64_t> parse_offset(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::int64_t offset = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return bad("the offset file must hold one integer");
  }
  if (offset < 0) return bad("the offset file holds a negative offset");
  return offset;
}

bool record_failures::failed(std::int64_t update_id) {
  if (attempts_ == 0 || update_id != update_id_) {
    update_id_ = update_id;
    attempts_ = 0;
  }
  if (++attempts_ < attempts_max_) return false;
  attempts_ = 0;
  return true;
}

bool valid_bot_token(std::string_view token) {
  if (token.empty() || token.size() > bot_token_bytes_max) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
           c == '-';
  });
}

bool valid_callback_data(std::string_view data) { return !data.empty() && data.size() <= max_callback_data_bytes; }

result<std::string> send_message(std::int64_t chat_id, std::string_view text, const keyboard& buttons) {
  return message_body("{\"chat_id\":" + std::to_string(chat_id), text, buttons);
}

result<std::string> edit_message_text(std::int64_t chat_id, std::int64_t message_id, std::string_view text,
                                      const keyboard& buttons) {
  return message_body("{\"chat_id\":" + std::to_string(chat_id) + ",\"message_id\":" + std::to_string(message_id),
                      text, buttons);
}

std::string edit_message_reply_markup(std::int64_t chat_id, std::int64_t message_id, const keyboard& buttons) {
  auto markup = keyboard_json(buttons);
  return "{\"chat_id\":" + std::to_string(chat_id) + ",\"message_id\":" + std::to_string(message_id) +
         ",\"reply_markup\":" + (markup ? *markup : std::string("{\"inline_keyboard\":[]}")) + "}";
}

std::string answer_callback_query(std::string_view callback_id, std::string_view text) {
  std::string out = "{\"callback_query_id\":";
  append_json_string(out, callback_id);
  if (!text.empty()) {
    out += ",\"text\":";
    append_json_string(out, utf8_prefix(text, 200));
  }
  out += '}';
  return out;
}

std::string create_chat_invite_link(std::int64_t chat_id, std::string_view name, std::int64_t expire_date_s) {
  std::string out = "{\"chat_id\":" + std::to_string(chat_id) +
                    ",\"creates_join_request\":true,\"expire_date\":" + std::to_string(expire_date_s) + ",\"name\":";
  append_json_string(out, utf8_prefix(name, 32));
  out += '}';
  return out;
}

std::string revoke_chat_invite_link(std::int64_t chat_id, std::string_view invite_link) {
  std::string out = "{\"chat_id\":" + std::to_string(chat_id) + ",\"invite_link\":";
  append_json_string(out, invite_link);
  out += '}';
  return out;
}

std::string approve_chat_join_request(std::int64_t chat_id, std::int64_t user_id) {
  return "{\"chat_id\":" + std::to_string(chat_id) + ",\"user_id\":" + std::to_string(user_id) + "}";
}

std::string decline_chat_join_request(std::int64_t chat_id, std::int64_t user_id) {
  return approve_chat_join_request(chat_id, user_id);
}

std::string ban_chat_member(std::int64_t chat_id, std::int64_t user_id) {
  return "{\"chat_id\":" + std::to_string(chat_id) + ",\"user_id\":" + std::to_string(user_id) + "}";
}

std::string unban_chat_member(std::int64_t chat_id, std::int64_t user_id, bool only_if_banned) {
  return "{\"chat_id\":" + std::to_string(chat_id) + ",\"only_if_banned\":" + (only_if_banned ? "true" : "false") +
         ",\"user_id\":" + std::to_string(user_id) + "}";
}

std::string get_updates(std::int64_t offset, int timeout_s, int limit) {
  return "{\"allowed_updates\":[\"message\",\"callback_query\",\"chat_join_request\",\"chat_member\"],\"limit\":" +
         std::to_string(limit) + ",\"offset\":" + std::to_string(offset) + ",\"timeout\":" + std::to_string(timeout_s) +
         "}";
}

result<std::string> read_invite_link(std::string_view result_json) {
  simdjson::dom::parser parser;
  element root;
  std::string_view link;
  if (parser.parse(result_json.data(), result_json.size()).get(root) != simdjson::SUCCESS ||
      root["invite_link"].get_string().get(link) != simdjson::SUCCESS || link.empty()) {
    return bad("createChatInviteLink answered no invite_link");
  }
  return std::string(link);
}

result<std::int64_t> read_message_id(std::string_view result_json) {
  simdjson::dom::parser parser;
  element root;
  std::int64_t id = 0;
  if (parser.parse(result_json.data(), result_json.size()).get(root) != simdjson::SUCCESS ||
      root["message_id"].get_int64().get(id) != simdjson::SUCCESS) {
    return bad("the Bot API answered no message_id");
  }
  return id;
}

}  // namespace telepay::gateways::telegram
