#include "domain/conversation.hpp"

#include <algorithm>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::domain::conversation {
namespace {

error invalid(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

bool known_kind(std::string_view kind) {
  return kind == "message" || kind == "callback_query" || kind == "chat_join_request" || kind == "chat_member" ||
         kind == "other";
}

result<mode> parse_mode(std::string_view text) {
  if (text == "idle") return mode::idle;
  if (text == "donation") return mode::donation;
  if (text == "coupon") return mode::coupon;
  if (text == "offer") return mode::offer;
  return make_error(errc::event_decode_failed, "unknown conversation mode '" + std::string(text) + "'");
}

bool digits_ok(std::string_view digits) {
  // A decimal being typed: digits, at most one '.', at most two decimals, at most 7 integer digits.
  const auto dot = digits.find('.');
  if (dot != std::string_view::npos && digits.find('.', dot + 1) != std::string_view::npos) return false;
  for (char c : digits) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  const std::size_t integer = dot == std::string_view::npos ? digits.size() : dot;
  const std::size_t decimals = dot == std::string_view::npos ? 0 : digits.size() - dot - 1;
  return integer <= 7 && decimals <= 2;
}

}  // namespace

std::string stream(user_id user) { return "conversation-" + std::to_string(user.value()); }

std::string_view mode_name(mode m) {
  switch (m) {
    case mode::idle: return "idle";
    case mode::donation: return "donation";
    case mode::coupon: return "coupon";
    case mode::offer: return "offer";
  }
  return "idle";
}

void update_received::write(json_object_writer& w) const {
  w.str("kind", kind).str("raw", raw).time("received_at", received_at_us).i64("update_id", update_id);
}

result<update_received> update_received::read(const json_value& v) {
  update_received out;
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(raw, v.str("raw"));
  TELEPAY_TRY(at, v.time("received_at"));
  TELEPAY_TRY(id, v.i64("update_id"));
  out.kind = std::move(kind);
  out.raw = std::move(raw);
  out.received_at_us = at;
  out.update_id = id;
  return out;
}

void changed::write(json_object_writer& w) const {
  w.i64("channel_id", now.channel).str("coupon", now.coupon).str("digits", now.digits)
      .i64("message_id", now.message_id).str("mode", mode_name(now.mode)).u64("source_seq", source_seq)
      .time("started_at", now.started_at_us).u64("tier", now.tier);
}

result<changed> changed::read(const json_value& v) {
  changed out;
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(coupon, v.str("coupon"));
  TELEPAY_TRY(digits, v.str("digits"));
  TELEPAY_TRY(message_id, v.i64("message_id"));
  TELEPAY_TRY(mode_text, v.str("mode"));
  TELEPAY_TRY(m, parse_mode(mode_text));
  TELEPAY_TRY(source, v.u64("source_seq"));
  TELEPAY_TRY(started, v.time("started_at"));
  TELEPAY_TRY(tier, v.u32("tier"));
  out.now.channel = channel;
  out.now.coupon = std::move(coupon);
  out.now.digits = std::move(digits);
  out.now.message_id = message_id;
  out.now.mode = m;
  out.source_seq = source;
  out.now.started_at_us = started;
  out.now.tier = tier;
  return out;
}

void blocked::write(json_object_writer& w) const { w.str("detail", detail); }

result<blocked> blocked::read(const json_value& v) {
  TELEPAY_TRY(detail, v.str("detail"));
  return blocked{std::move(detail)};
}

bool state::seen(std::int64_t update_id) const {
  return std::any_of(recent.begin(), recent.end(), [&](const recent_update& r) { return r.update_id == update_id; });
}

std::size_t state::received_within_minute(std::int64_t at_us) const {
  return static_cast<std::size_t>(std::count_if(recent.begin(), recent.end(), [&](const recent_update& r) {
    return r.received_at_us <= at_us && r.received_at_us > at_us - rate_window_us;
  }));
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const receive& r) -> decision {
            if (r.update_id < 0) return invalid("an update id is not negative");
            if (!known_kind(r.kind)) return invalid("unknown update kind '" + utf8_prefix(r.kind, 32) + "'");
            if (r.raw.empty() || r.raw.size() > raw_update_bytes_max || !is_valid_utf8(r.raw)) {
              return invalid("an update is 1 byte to 16 KiB of UTF-8 JSON");
            }
            if (s.seen(r.update_id)) return std::vector<event>{};  // a repeated delivery
            return std::vector<event>{update_received{r.update_id, r.kind, now_us, r.raw}};
          },
          [&](const mark_blocked& m) -> decision {
            if (s.bot_blocked) return std::vector<event>{};
            // The detail is the Bot API's text: cut on a character boundary.
            return std::vector<event>{blocked{utf8_prefix(m.detail, 300)}};
          },
          [&](const change& ch) -> decision {
            if (ch.source_seq == 0) return invalid("a dialogue change names the update that caused it");
            if (!digits_ok(ch.now.digits)) return invalid("keypad input is digits with at most one point and two decimals");
            if (ch.now.coupon.size() > 64) return invalid("a coupon code is at most 64 bytes");
            if (ch.source_seq <= s.last_source_seq || ch.now == s.dialogue) return std::vector<event>{};
            return std::vector<event>{changed{ch.source_seq, ch.now}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const update_received& u) {
                   s.recent.push_back(recent_update{u.update_id, u.received_at_us});
                   while (s.recent.size() > recent_updates_kept) s.recent.pop_front();
                   s.updates += 1;
                   s.bot_blocked = false;  // writing to the bot again means it is not blocked
                 },
                 [&](const blocked&) { s.bot_blocked = true; },
                 [&](const changed& ch) {
                   s.dialogue = ch.now;
                   s.last_source_seq = std::max(s.last_source_seq, ch.source_seq);
                 },
             },
             e);
}

std::string idempotency_key(const state&, const command&) {
  // Idempotent by state (recent update ids, the last source seq). Not a store key: update ids
  // may be reused by Telegram after a week of silence and must then be recorded again.
  return "";
}

}  // namespace telepay::domain::conversation
