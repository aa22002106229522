#include "domain/notice.hpp"

#include <charconv>

#include "domain/base/time.hpp"
#include "domain/invoice.hpp"
#include "domain/subscription.hpp"

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

item message(std::string text) { return item{kind::message, 0, "", 0, std::move(text)}; }

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
  if (const auto* a = std::get_if<subscription::activated>(&*ev)) {
    if (a->previous_expires_at_us > at_us) {
      out.items.push_back(message("Your subscription to channel " + channel + " is extended until " +
                                  day(a->expires_at_us) + "."));
      return out;
    }
    out.items.push_back(item{kind::invite, chat, a->purchase_id, at_us + invite_lifetime_us, ""});
    out.items.push_back(message("Payment received: your subscription to channel " + channel +
                                " (tier " + std::to_string(a->tier) + ") is active until " +
                                day(a->expires_at_us) +
                                ". Join with the invite link sent with this message: it works for "
                                "you only and expires in 24 hours."));
    return out;
  }
  if (const auto* r = std::get_if<subscription::reminded>(&*ev)) {
    out.items.push_back(message("Your subscription to channel " + channel + " expires in " +
                                (r->days_before == 1 ? std::string("1 day") : std::to_string(r->days_before) + " days") +
                                " (" + day(r->expires_at_us) + "). Renew with /subscribe " + channel +
                                " to keep your access."));
    return out;
  }
  out.items.push_back(item{kind::remove, chat, "", 0, ""});
  out.items.push_back(message("Your subscription to channel " + channel +
                              " has expired and you were removed from the channel. Renew any time "
                              "with /subscribe " + channel + " and you will get a new invite link."));
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
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view kind_name(kind k) {
  switch (k) {
    case kind::message: return "message";
    case kind::invite: return "invite";
    case kind::remove: return "remove";
  }
  return "";
}

std::string stream(user_id user) { return "notice-" + std::to_string(user.value()); }

void requested::write(json_object_writer& w) const {
  w.i64("chat_id", what.chat_id).time("expires_at", what.expires_at_us).u64("index", index)
      .str("kind", kind_name(what.type)).str("ref", what.ref).u64("source_seq", source_seq)
      .str("text", what.text);
}

result<requested> requested::read(const json_value& v) {
  requested out;
  TELEPAY_TRY(chat, v.i64("chat_id"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(index, v.u64("index"));
  TELEPAY_TRY(kind_text, v.str("kind"));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(source, v.u64("source_seq"));
  TELEPAY_TRY(text, v.str("text"));
  if (kind_text == "message") out.what.type = kind::message;
  else if (kind_text == "invite") out.what.type = kind::invite;
  else if (kind_text == "remove") out.what.type = kind::remove;
  else return make_error(errc::event_decode_failed, "unknown notice kind '" + kind_text + "'");
  out.what.chat_id = chat;
  out.what.expires_at_us = expires;
  out.index = static_cast<std::uint32_t>(index);
  out.what.ref = std::move(ref);
  out.source_seq = source;
  out.what.text = std::move(text);
  return out;
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  const auto& r = std::get<request>(c);
  if (r.source_seq == 0 || r.items.empty() || r.items.size() > 8) {
    return make_error(errc::invalid_argument, "a notice request names its source and 1-8 notices");
  }
  if (r.source_seq <= s.last_source_seq) {
    return std::vector<event>{};  // recorded before (the outbox replays after a restart)
  }
  std::vector<event> out;
  for (std::uint32_t i = 0; i < r.items.size(); ++i) {
    const item& it = r.items[i];
    if (it.text.size() > 4096 || it.ref.size() > 64) {
      return make_error(errc::invalid_argument, "a notice text is at most 4096 bytes");
    }
    out.emplace_back(requested{r.source_seq, i, it});
  }
  return out;
}

void evolve(state& s, const event& e) {
  const auto& r = std::get<requested>(e);
  s.last_source_seq = std::max(s.last_source_seq, r.source_seq);
  s.count += 1;
}

std::string idempotency_key(const state&, const command& c) {
  return "src:" + std::to_string(std::get<request>(c).source_seq);
}

std::optional<plan_result> plan(std::string_view stream, std::string_view type,
                                std::uint16_t schema_version, std::string_view payload,
                                std::int64_t recorded_at_us) {
  if (type.substr(0, 13) == "subscription.") {
    return plan_subscription(stream, type, schema_version, payload, recorded_at_us);
  }
  if (type.substr(0, 8) == "invoice.") {
    return plan_invoice(stream, type, schema_version, payload);
  }
  return std::nullopt;
}

}  // namespace telepay::domain::notice
