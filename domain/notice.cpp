#include "domain/notice.hpp"

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/base/visit.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/invoice.hpp"
#include "domain/subscription.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::domain::notice {
namespace {

std::string_view after(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix ? text.substr(prefix.size()) : std::string_view();
}

std::optional<std::int64_t> to_i64(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// "subscription-{user}-{channel}" (channels are negative: "-100...").
std::optional<std::pair<std::int64_t, std::int64_t>> subscription_parties(std::string_view stream) {
  const std::string_view rest = after(stream, "subscription-");
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto u = to_i64(rest.substr(0, dash));
  auto c = to_i64(rest.substr(dash + 1));
  if (!u || !c) return std::nullopt;
  return std::make_pair(*u, *c);
}

std::string day(std::int64_t micros) { return format_utc_micros(micros).substr(0, 16) + " UTC"; }

item message(std::string text) { return item{kind::message, 0, "", 0, std::move(text), {}, 0}; }

std::optional<plan_result> plan_subscription(std::string_view stream, std::string_view type,
                                             std::uint16_t version, std::string_view payload,
                                             std::int64_t at_us) {
  auto parties = subscription_parties(stream);
  auto user = parties ? make_user_id(parties->first) : result<user_id>(make_error(errc::invalid_argument, ""));
  if (!user) return std::nullopt;
  const std::int64_t chat = parties->second;
  const std::string channel = std::to_string(chat);
  auto ev = decode_event<subscription::event>(type, version, payload);
  if (!ev) return std::nullopt;
  plan_result out{*user, {}};
  // Each event names what it tells the user: a new one must not default to "removed".
  std::visit(overload{
                 [&](const subscription::activated& a) {
                   if (a.previous_expires_at_us > at_us) {
                     out.items.push_back(message("Your subscription to channel " + channel + " is extended until " +
                                                 day(a.expires_at_us) + "."));
                     return;
                   }
                   out.items.push_back(item{kind::invite, chat, a.purchase_id, at_us + invite_lifetime_us, "", {}, 0});
                   out.items.push_back(message("Payment received: your subscription to channel " + channel +
                                               " (tier " + std::to_string(a.tier) + ") is active until " +
                                               day(a.expires_at_us) +
                                               ". Your invite link comes in a separate message: it works "
                                               "for you only and expires in 24 hours. If it does not come, send /link " +
                                               channel + "."));
                 },
                 [&](const subscription::reminded& r) {
                   out.items.push_back(message(
                       "Your subscription to channel " + channel + " expires in " +
                       (r.days_before == 1 ? std::string("1 day") : std::to_string(r.days_before) + " days") +
                       " (" + day(r.expires_at_us) + "). Renew with /subscribe " + channel + " to keep your access."));
                 },
                 [&](const subscription::shortened& sh) {
                   out.items.push_back(message(
                       "A purchase was refunded to your balance and its " + std::to_string(sh.days) +
                       (sh.days == 1 ? " day was" : " days were") +
                       " taken off your subscription to channel " + channel +
                       (sh.expires_at_us > at_us ? ", which now runs until " + day(sh.expires_at_us) + "."
                                                 : ", which has ended.")));
                 },
                 [&](const subscription::expired&) {
                   out.items.push_back(item{kind::remove, chat, "", 0, "", {}, 0});
                   out.items.push_back(message("Your subscription to channel " + channel +
                                               " has expired and you were removed from the channel. Renew any time "
                                               "with /subscribe " + channel + " and you will get a new invite link."));
                 },
             },
             *ev);
  return out;
}

std::optional<plan_result> plan_invoice(std::string_view stream, std::string_view type,
                                        std::uint16_t version, std::string_view payload) {
  if (type != invoice::payment_recorded::type_name) return std::nullopt;
  auto ev = decode_event<invoice::event>(type, version, payload);
  if (!ev) return std::nullopt;
  const auto& p = std::get<invoice::payment_recorded>(*ev);
  const auto& r = p.reported;
  const std::string order(after(stream, "invoice-"));
  const std::string payment = std::to_string(r.payment_id);
  plan_result out{p.buyer, {}};
  switch (p.decided) {
    case invoice::action::credit:
      if (r.state == invoice::status::partially_paid) {
        out.items.push_back(message(
            "We received " + r.actually_paid + " " + r.pay_currency + " of the " + r.pay_amount +
            " asked for order " + order + ". " + format_amount(p.credit) +
            " USDT was credited to your balance; the purchase was not completed. Top up the "
            "difference and pay from your balance with /subscribe."));
      } else {
        out.items.push_back(message("Payment " + payment + " for order " + order +
                                    ", which was already paid, was credited to your balance: " +
                                    format_amount(p.credit) + " USDT."));
      }
      return out;
    case invoice::action::review:
      out.items.push_back(message("Payment " + payment + " for order " + order +
                                  " needs a manual check by our team. Nothing is lost: we will "
                                  "credit it or contact you."));
      return out;
    case invoice::action::fund_purchase:
      return std::nullopt;  // the subscription or donation tells the user
    case invoice::action::none:
      break;
  }
  switch (r.state) {
    case invoice::status::expired:
      out.items.push_back(message("The invoice for order " + order +
                                  " expired without a payment. Start again with /subscribe."));
      return out;
    case invoice::status::failed:
      out.items.push_back(message("Payment " + payment + " for order " + order +
                                  " failed at NOWPayments. Start again with /subscribe."));
      return out;
    case invoice::status::refunded:
      out.items.push_back(message("Payment " + payment + " for order " + order + " was refunded to you."));
      return out;
    case invoice::status::waiting:
    case invoice::status::confirming:
    case invoice::status::confirmed:
    case invoice::status::sending:
    case invoice::status::finished:
    case invoice::status::partially_paid:
      return std::nullopt;  // nothing to tell beyond what the decided action said
  }
  return std::nullopt;
}

}  // namespace

std::string_view kind_name(kind k) {
  switch (k) {
    case kind::message: return "message";
    case kind::invite: return "invite";
    case kind::remove: return "remove";
    case kind::edit: return "edit";
    case kind::answer: return "answer";
    case kind::approve: return "approve";
    case kind::decline: return "decline";
  }
  return "";
}

namespace {

result<kind> parse_kind(std::string_view text) {
  for (kind k : {kind::message, kind::invite, kind::remove, kind::edit, kind::answer, kind::approve, kind::decline}) {
    if (kind_name(k) == text) return k;
  }
  return make_error(errc::event_decode_failed, "unknown notice kind '" + std::string(text) + "'");
}

std::string keyboard_json(const keyboard& rows) {
  std::string out = "[";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r) out += ',';
    out += '[';
    for (std::size_t b = 0; b < rows[r].size(); ++b) {
      if (b) out += ',';
      std::string one;
      {
        json_object_writer w(one);
        w.str("data", rows[r][b].data).str("text", rows[r][b].text).str("url", rows[r][b].url);
      }
      out += one;
    }
    out += ']';
  }
  out += ']';
  return out;
}

result<keyboard> read_keyboard(const json_value& v) {
  keyboard out;
  TELEPAY_TRY(rows, v.elements());
  for (const json_value& row : rows) {
    TELEPAY_TRY(cells, row.elements());
    std::vector<button> line;
    for (const json_value& cell : cells) {
      TELEPAY_TRY(data, cell.str("data"));
      TELEPAY_TRY(text, cell.str("text"));
      TELEPAY_TRY(url, cell.str("url"));
      line.push_back(button{std::move(text), std::move(data), std::move(url)});
    }
    out.push_back(std::move(line));
  }
  return out;
}

bool valid_origin(std::string_view origin) {
  if (origin.empty() || origin.size() > 64) return false;
  for (char c : origin) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> item_problem(const item& it) {
  if (it.text.size() > 4096 || it.ref.size() > 64) return "a notice text is at most 4096 bytes, a ref 64";
  // Texts reach the notice stream from titles, commands and upstream answers: refuse bytes that
  // are not UTF-8 here, naming the field, instead of storing them.
  if (!is_valid_utf8(it.text)) return "a notice text is not valid UTF-8";
  if (!is_valid_utf8(it.ref)) return "a notice ref is not valid UTF-8";
  const bool has_text = !it.text.empty();
  switch (it.type) {
    case kind::message:
      if (!has_text) return "a message needs a text";
      break;
    case kind::edit:
      if (it.message_id <= 0) return "an edit needs a message id";
      break;
    case kind::answer:
      if (it.ref.empty()) return "an answer needs the callback query id";
      if (it.text.size() > 200) return "an answer's text is at most 200 bytes";
      break;
    case kind::invite:
    case kind::remove:
    case kind::approve:
    case kind::decline:
      if (it.chat_id == 0) return "a channel notice needs its chat id";
      break;
  }
  std::size_t count = 0;
  for (const auto& row : it.buttons) {
    for (const auto& b : row) {
      ++count;
      if (b.text.empty() || b.text.size() > 128) return "a button needs a text of at most 128 bytes";
      if (!is_valid_utf8(b.text) || !is_valid_utf8(b.data) || !is_valid_utf8(b.url)) {
        return "a button's text, callback data or URL is not valid UTF-8";
      }
      if (b.url.empty() && (b.data.empty() || b.data.size() > 64)) return "a button's callback data is 1-64 bytes";
      if (!b.url.empty() && !b.data.empty()) return "a button has callback data or a URL, not both";
    }
  }
  if (count > 100) return "at most 100 buttons";
  return std::nullopt;
}

}  // namespace

std::string stream(user_id user) { return "notice-" + std::to_string(user.value()); }

void requested::write(json_object_writer& w) const {
  if (!what.buttons.empty()) w.raw("buttons", keyboard_json(what.buttons));
  w.i64("chat_id", what.chat_id).time("expires_at", what.expires_at_us).u64("index", index)
      .str("kind", kind_name(what.type));
  if (what.message_id != 0) w.i64("message_id", what.message_id);
  if (origin != ledger_origin) w.str("origin", origin);
  w.str("ref", what.ref).u64("source_seq", source_seq).str("text", what.text);
}

result<requested> requested::read(const json_value& v) {
  requested out;
  if (v.has("buttons")) {
    TELEPAY_TRY(buttons_value, v.field("buttons"));
    TELEPAY_TRY(buttons, read_keyboard(buttons_value));
    out.what.buttons = std::move(buttons);
  }
  TELEPAY_TRY(chat, v.i64("chat_id"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(index, v.u32("index"));
  TELEPAY_TRY(kind_text, v.str("kind"));
  TELEPAY_TRY(k, parse_kind(kind_text));
  if (v.has("message_id")) {
    TELEPAY_TRY(message_id, v.i64("message_id"));
    out.what.message_id = message_id;
  }
  if (v.has("origin")) {
    TELEPAY_TRY(origin, v.str("origin"));
    out.origin = std::move(origin);
  }
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(source, v.u64("source_seq"));
  TELEPAY_TRY(text, v.str("text"));
  out.what.type = k;
  out.what.chat_id = chat;
  out.what.expires_at_us = expires;
  out.index = index;
  out.what.ref = std::move(ref);
  out.source_seq = source;
  out.what.text = std::move(text);
  return out;
}

void delivered::write(json_object_writer& w) const {
  w.str("detail", detail).u64("notice", notice).boolean("ok", ok);
}

result<delivered> delivered::read(const json_value& v) {
  delivered out;
  TELEPAY_TRY(detail, v.str("detail"));
  TELEPAY_TRY(notice, v.u64("notice"));
  TELEPAY_TRY(ok, v.boolean("ok"));
  out.detail = std::move(detail);
  out.notice = notice;
  out.ok = ok;
  return out;
}

namespace {

result<std::vector<event>> decide_deliver(const state& s, const deliver& d) {
  if (d.notice == 0 || d.notice > s.version) {
    return make_error(errc::invalid_argument, "notice " + std::to_string(d.notice) + " was never requested");
  }
  if (d.detail.size() > 512) return make_error(errc::invalid_argument, "a delivery detail is at most 512 bytes");
  if (!is_valid_utf8(d.detail)) return make_error(errc::invalid_argument, "a delivery detail is not valid UTF-8");
  if (!s.pending.contains(d.notice)) return std::vector<event>{};  // recorded before
  return std::vector<event>{delivered{d.notice, d.ok, d.detail}};
}

result<std::vector<event>> decide_request(const state& s, const request& r) {
  if (r.source_seq == 0 || r.items.empty() || r.items.size() > 8) {
    return make_error(errc::invalid_argument, "a notice request names its source and 1-8 notices");
  }
  if (!valid_origin(r.origin)) {
    return make_error(errc::invalid_argument, "a notice origin is 1-64 of a-z 0-9 - : _");
  }
  const auto last = s.last_source.find(r.origin);
  if (last != s.last_source.end() && r.source_seq <= last->second) {
    return std::vector<event>{};  // recorded before (a follower replays after a restart)
  }
  std::vector<event> out;
  for (std::uint32_t i = 0; i < r.items.size(); ++i) {
    if (auto problem = item_problem(r.items[i])) return make_error(errc::invalid_argument, *problem);
    out.emplace_back(requested{r.source_seq, i, r.items[i], r.origin});
  }
  return out;
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(overload{
                        [&](const deliver& d) -> decision { return decide_deliver(s, d); },
                        [&](const request& r) -> decision { return decide_request(s, r); },
                    },
                    c);
}

void evolve(state& s, const event& e) {
  s.version += 1;
  std::visit(overload{
                 [&](const delivered& d) { s.pending.erase(d.notice); },
                 [&](const requested& r) {
                   auto& last = s.last_source[r.origin];
                   last = std::max(last, r.source_seq);
                   s.count += 1;
                   s.pending.insert(s.version);
                 },
             },
             e);
}

std::string idempotency_key(const state& s, const command& c) {
  // Store keys are global: qualified by the user (a broadcast's source is shared by many).
  return std::visit(overload{
                        [&](const request& r) {
                          return "notice:" + std::to_string(s.user.value()) + ":" + r.origin + ":" +
                                 std::to_string(r.source_seq);
                        },
                        [&](const deliver&) { return std::string(); },  // idempotent by the pending set
                    },
                    c);
}

std::optional<plan_result> plan_withdrawal(std::string_view stream, std::string_view type,
                                           std::uint16_t version, std::string_view payload) {
  // Not decoded at all: the steps before an outcome tell the user nothing.
  if (type == withdrawal::requested::type_name || type == withdrawal::approved::type_name) return std::nullopt;
  auto ev = decode_event<withdrawal::event>(type, version, payload);
  if (!ev) return std::nullopt;
  const std::string id(after(stream, "withdrawal-"));
  const auto describe = [&](const withdrawal::outcome_facts& f) {
    return "Your withdrawal " + id + " of " + format_amount(f.value) + " USDT to " + f.address;
  };
  using plan_t = std::optional<plan_result>;
  return std::visit(
      overload{
          [&](const withdrawal::requested&) -> plan_t { return std::nullopt; },
          [&](const withdrawal::approved&) -> plan_t { return std::nullopt; },
          [&](const withdrawal::completed& c) -> plan_t {
            return plan_result{c.facts.user, {message(describe(c.facts) + " was sent: transaction " + c.tx_hash + ".")}};
          },
          [&](const withdrawal::failed& f) -> plan_t {
            if (f.nothing_held) return std::nullopt;  // refused at once: the requester was answered
            return plan_result{f.facts.user, {message(describe(f.facts) + " was not sent (" + f.reason +
                                                      "). The amount stays in your balance.")}};
          },
          [&](const withdrawal::rejected& r) -> plan_t {
            return plan_result{r.facts.user, {message(describe(r.facts) + " was declined by an operator (" +
                                                      r.reason + "). The amount stays in your balance.")}};
          },
          [&](const withdrawal::cancelled& c) -> plan_t {
            // The user who cancelled their own was answered by the bot already.
            if (c.by == telegram_identity(c.facts.user)) return std::nullopt;
            return plan_result{c.facts.user, {message(describe(c.facts) + " was cancelled by an operator (" +
                                                      c.reason + "). The amount is back in your balance.")}};
          },
      },
      *ev);
}

std::optional<plan_result> plan_chain_deposit(std::string_view stream, std::string_view type,
                                              std::uint16_t version, std::string_view payload) {
  if (type != chain_deposit::confirmed::type_name) return std::nullopt;
  auto ev = decode_event<chain_deposit::event>(type, version, payload);
  if (!ev) return std::nullopt;
  const auto& c = std::get<chain_deposit::confirmed>(*ev);
  // stream: "deposit-{chain}-{tx hash}-{log index}"
  const std::string_view rest = after(stream, "deposit-");
  const auto dash = rest.find('-');
  const std::string tx(dash == std::string_view::npos ? rest : rest.substr(dash + 1, 66));
  return plan_result{c.user, {message("Your deposit of " + format_amount(c.value) + " USDT (transaction " + tx +
                                      ") is confirmed and credited to your balance.")}};
}

std::optional<plan_result> plan(std::string_view stream, std::string_view type,
                                std::uint16_t schema_version, std::string_view payload,
                                std::int64_t recorded_at_us) {
  if (type.substr(0, 14) == "chain_deposit.") {
    return plan_chain_deposit(stream, type, schema_version, payload);
  }
  if (type.substr(0, 11) == "withdrawal.") {
    return plan_withdrawal(stream, type, schema_version, payload);
  }
  if (type.substr(0, 13) == "subscription.") {
    return plan_subscription(stream, type, schema_version, payload, recorded_at_us);
  }
  if (type.substr(0, 8) == "invoice.") {
    return plan_invoice(stream, type, schema_version, payload);
  }
  return std::nullopt;
}

}  // namespace telepay::domain::notice
