#include "domain/invoice.hpp"

#include <algorithm>
#include <array>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/money/decimal.hpp"

namespace telepay::domain::invoice {
namespace {

constexpr std::array<std::string_view, 10> status_names = {
    "", "waiting", "confirming", "confirmed", "sending", "finished",
    "partially_paid", "failed", "expired", "refunded"};
constexpr std::array<std::string_view, 5> action_names = {"", "none", "fund_purchase", "credit", "review"};

/// Forward progress: the in-flight statuses in order, every final status above them all.
int rank(status s) { return is_final(s) ? 5 : static_cast<int>(s); }

bool valid_decimal_text(std::string_view text) { return text.empty() || parse_decimal(text).has_value(); }

}  // namespace

std::string_view status_name(status s) { return status_names[static_cast<std::size_t>(s)]; }

result<status> parse_status(std::string_view text) {
  for (std::size_t i = 1; i < status_names.size(); ++i) {
    if (status_names[i] == text) return static_cast<status>(i);
  }
  return make_error(errc::payment_invalid,
                    "unknown payment status '" + utf8_prefix(text, 32) + "'");
}

bool is_final(status s) {
  return s == status::finished || s == status::partially_paid || s == status::failed ||
         s == status::expired || s == status::refunded;
}

std::string_view action_name(action a) { return action_names[static_cast<std::size_t>(a)]; }

result<action> parse_action(std::string_view text) {
  for (std::size_t i = 1; i < action_names.size(); ++i) {
    if (action_names[i] == text) return static_cast<action>(i);
  }
  return make_error(errc::event_decode_failed, "unknown invoice action '" + std::string(text) + "'");
}

std::string stream(std::string_view order_id) { return "invoice-" + std::string(order_id); }

bool state::paid() const {
  for (const auto& [id, p] : payments) {
    if (p.decided == action::fund_purchase) return true;
  }
  return false;
}

bool state::in_review() const {
  for (const auto& [id, p] : payments) {
    if (p.in_review()) return true;
  }
  return false;
}

// ---- events ----

void created::write(json_object_writer& w) const {
  w.i64("buyer", terms.buyer.value()).i64("channel_id", terms.channel.value())
      .str("coupon", terms.coupon).money("credit", terms.credit).u64("days", terms.days)
      .str("description", terms.description).money("discount", terms.discount)
      .money("list_price", terms.list_price).str("order_id", order_id).money("price", terms.price)
      .u64("tier", terms.tier);
}

result<created> created::read(const json_value& v) {
  created out;
  TELEPAY_TRY(buyer_raw, v.i64("buyer"));
  TELEPAY_TRY(buyer, make_user_id(buyer_raw));
  TELEPAY_TRY(channel_raw, v.i64("channel_id"));
  TELEPAY_TRY(channel, make_channel_id(channel_raw));
  TELEPAY_TRY(coupon, v.str("coupon"));
  TELEPAY_TRY(credit, v.money("credit", asset::usdt));
  TELEPAY_TRY(days, v.u32("days"));
  TELEPAY_TRY(description, v.str("description"));
  TELEPAY_TRY(discount, v.money("discount", asset::usd));
  TELEPAY_TRY(list_price, v.money("list_price", asset::usd));
  TELEPAY_TRY(order_id, v.str("order_id"));
  TELEPAY_TRY(price, v.money("price", asset::usd));
  TELEPAY_TRY(tier, v.u32("tier"));
  out.order_id = std::move(order_id);
  out.terms = invoice::terms{buyer, channel, tier, days,
                    list_price, std::move(coupon), discount, price, credit, std::move(description)};
  return out;
}

void linked::write(json_object_writer& w) const {
  w.str("provider_invoice_id", provider_invoice_id).str("url", url);
}

result<linked> linked::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("provider_invoice_id"));
  TELEPAY_TRY(url, v.str("url"));
  return linked{std::move(id), std::move(url)};
}

void payment_recorded::write(json_object_writer& w) const {
  const report& r = reported;
  w.str("action", action_name(decided)).str("actually_paid", r.actually_paid).i64("buyer", buyer.value())
      .money("credit", credit)
      .str("note", note).str("outcome_amount", r.outcome_amount)
      .str("outcome_currency", r.outcome_currency).u64("parent_payment_id", r.parent_payment_id)
      .str("pay_amount", r.pay_amount).str("pay_currency", r.pay_currency)
      .u64("payment_id", r.payment_id)
      .str("previous_status", previous ? status_name(*previous) : std::string_view())
      .str("price_amount", r.price_amount).str("price_currency", r.price_currency)
      .str("source", r.source).str("status", status_name(r.state));
}

namespace {

/// The reported fields shared by payment_recorded and late_status_recorded.
result<report> read_report(const json_value& v) {
  report r;
  TELEPAY_TRY(paid, v.str("actually_paid"));
  TELEPAY_TRY(outcome, v.str("outcome_amount"));
  TELEPAY_TRY(outcome_currency, v.str("outcome_currency"));
  TELEPAY_TRY(parent, v.u64("parent_payment_id"));
  TELEPAY_TRY(pay, v.str("pay_amount"));
  TELEPAY_TRY(pay_currency, v.str("pay_currency"));
  TELEPAY_TRY(id, v.u64("payment_id"));
  TELEPAY_TRY(price, v.str("price_amount"));
  TELEPAY_TRY(price_currency, v.str("price_currency"));
  TELEPAY_TRY(source, v.str("source"));
  TELEPAY_TRY(status_text, v.str("status"));
  TELEPAY_TRY(state, parse_status(status_text));
  r.payment_id = id;
  r.parent_payment_id = parent;
  r.state = state;
  r.source = std::move(source);
  r.price_amount = std::move(price);
  r.price_currency = std::move(price_currency);
  r.pay_amount = std::move(pay);
  r.pay_currency = std::move(pay_currency);
  r.actually_paid = std::move(paid);
  r.outcome_amount = std::move(outcome);
  r.outcome_currency = std::move(outcome_currency);
  return r;
}

}  // namespace

result<payment_recorded> payment_recorded::read(const json_value& v) {
  payment_recorded out;
  TELEPAY_TRY(reported, read_report(v));
  TELEPAY_TRY(action_text, v.str("action"));
  TELEPAY_TRY(decided, parse_action(action_text));
  TELEPAY_TRY(buyer_raw, v.i64("buyer"));
  TELEPAY_TRY(buyer, make_user_id(buyer_raw));
  TELEPAY_TRY(credit, v.money("credit", asset::usdt));
  TELEPAY_TRY(note, v.str("note"));
  TELEPAY_TRY(previous, v.str("previous_status"));
  out.reported = std::move(reported);
  out.buyer = buyer;
  out.decided = decided;
  out.credit = credit;
  out.note = std::move(note);
  if (!previous.empty()) {
    TELEPAY_TRY(before, parse_status(previous));
    out.previous = before;
  }
  return out;
}

void creation_attempted::write(json_object_writer& w) const { w.u64("attempt", attempt); }

result<creation_attempted> creation_attempted::read(const json_value& v) {
  TELEPAY_TRY(attempt, v.u32("attempt"));
  if (attempt == 0) return make_error(errc::event_decode_failed, "invoice attempts count from 1");
  return creation_attempted{attempt};
}

void creation_failed::write(json_object_writer& w) const {
  w.u64("attempt", attempt).str("reason", reason);
}

result<creation_failed> creation_failed::read(const json_value& v) {
  TELEPAY_TRY(attempt, v.u32("attempt"));
  TELEPAY_TRY(reason, v.str("reason"));
  if (attempt == 0) return make_error(errc::event_decode_failed, "invoice attempts count from 1");
  return creation_failed{attempt, std::move(reason)};
}

void late_status_recorded::write(json_object_writer& w) const {
  const report& r = reported;
  w.str("actually_paid", r.actually_paid).i64("buyer", buyer.value()).str("note", note)
      .str("outcome_amount", r.outcome_amount).str("outcome_currency", r.outcome_currency)
      .u64("parent_payment_id", r.parent_payment_id).str("pay_amount", r.pay_amount)
      .str("pay_currency", r.pay_currency).u64("payment_id", r.payment_id)
      .str("price_amount", r.price_amount).str("price_currency", r.price_currency)
      .str("recorded_status", status_name(recorded)).str("source", r.source)
      .str("status", status_name(r.state));
}

result<late_status_recorded> late_status_recorded::read(const json_value& v) {
  late_status_recorded out;
  TELEPAY_TRY(reported, read_report(v));
  TELEPAY_TRY(buyer_raw, v.i64("buyer"));
  TELEPAY_TRY(buyer, make_user_id(buyer_raw));
  TELEPAY_TRY(note, v.str("note"));
  TELEPAY_TRY(recorded_text, v.str("recorded_status"));
  TELEPAY_TRY(recorded, parse_status(recorded_text));
  if (!is_final(recorded) || !is_final(reported.state) || recorded == reported.state) {
    return make_error(errc::event_decode_failed,
                      "a late status is a different final status after a final one");
  }
  out.reported = std::move(reported);
  out.buyer = buyer;
  out.recorded = recorded;
  out.note = std::move(note);
  return out;
}

// ---- decide / evolve ----

namespace {

telepay::status check_terms(const std::string& order_id, const terms& t) {
  if (!is_token(order_id, order_id_bytes_max)) {
    return make_error(errc::invalid_argument, "order id must be 1-48 characters of A-Z a-z 0-9 _ . : -");
  }
  if (t.price.currency() != asset::usd || t.price.is_zero()) {
    return make_error(errc::amount_must_be_positive, "an invoice asks for a positive USD price");
  }
  if (t.credit.currency() != asset::usdt || t.credit.is_zero()) {
    return make_error(errc::amount_must_be_positive, "an invoice credits a positive USDT amount");
  }
  if (t.description.size() > 200) {
    return make_error(errc::invalid_argument, "invoice description is at most 200 bytes");
  }
  return {};
}

/// What a newly reported status means for the ledger.
payment_recorded decide_payment(const state& s, const report& r, std::optional<status> previous) {
  payment_recorded out;
  out.reported = r;
  out.buyer = s.terms.buyer;
  out.previous = previous;
  const auto review = [&](std::string why) {
    out.decided = action::review;
    out.note = std::move(why);
    return out;
  };
  if (r.state != status::finished && r.state != status::partially_paid) {
    return out;
  }
  if (r.parent_payment_id != 0) {
    return review("repeated deposit (parent payment " + std::to_string(r.parent_payment_id) +
                  "): never credited automatically");
  }
  if (r.price_currency != "usd") {
    return review("price currency '" + r.price_currency + "' is not the invoice's usd");
  }
  auto price = parse_decimal(r.price_amount);
  if (!price || !equals_amount(*price, s.terms.price)) {
    return review("price_amount '" + r.price_amount + "' does not match the invoice's " +
                  format_amount(s.terms.price));
  }
  if (r.state == status::finished) {
    if (s.paid()) {
      out.decided = action::credit;
      out.credit = s.terms.credit;
      out.note = "a second payment for a paid order: credited to the wallet";
      return out;
    }
    out.decided = action::fund_purchase;
    out.credit = s.terms.credit;
    return out;
  }
  // partially_paid: the share actually paid of what was asked, in the currency paid.
  auto asked = parse_decimal(r.pay_amount);
  auto paid = parse_decimal(r.actually_paid);
  if (!asked || !paid || asked->is_zero()) {
    return review("partially paid without pay_amount and actually_paid: amount unknown");
  }
  if (compare(*paid, *asked) >= 0) {
    return review("partially paid, yet actually_paid " + r.actually_paid + " >= pay_amount " + r.pay_amount);
  }
  auto share = scale_by_ratio(s.terms.credit, *paid, *asked);
  if (!share) {
    return review("partially paid amount cannot be computed: " + share.error().message);
  }
  out.credit = *share;
  out.decided = share->is_zero() ? action::none : action::credit;
  out.note = "credited " + r.actually_paid + " of " + r.pay_amount + " " + r.pay_currency + " asked";
  return out;
}

/// Whether `reported` contradicts the payment's recorded status: a different final status
/// after a final one, not recorded before. An in-flight status after a final one is an earlier
/// step arriving late (IPNs are not ordered) and says nothing new.
bool contradicts(const payment& p, status reported) {
  return is_final(p.state) && is_final(reported) && reported != p.state &&
         std::find(p.late.begin(), p.late.end(), reported) == p.late.end();
}

late_status_recorded late_status(const state& s, const payment& p, const report& r) {
  late_status_recorded out;
  out.reported = r;
  out.buyer = s.terms.buyer;
  out.recorded = p.state;
  out.note = std::string(status_name(r.state)) + " reported after " + std::string(status_name(p.state)) +
             " (acted on: " + std::string(action_name(p.decided)) + "): no money moved, an operator reviews";
  return out;
}

result<std::vector<event>> decide_record(const state& s, const report& r) {
  if (r.payment_id == 0) {
    return make_error(errc::payment_invalid, "payment_id is missing");
  }
  for (const std::string* text : {&r.price_amount, &r.pay_amount, &r.actually_paid, &r.outcome_amount}) {
    if (!valid_decimal_text(*text)) {
      return make_error(errc::payment_invalid, "amount '" + utf8_prefix(*text, 40) + "' is not a decimal");
    }
  }
  if (r.source.empty() || r.source.size() > 32 || r.price_currency.size() > 16 ||
      r.pay_currency.size() > 32 || r.outcome_currency.size() > 32) {
    return make_error(errc::payment_invalid, "payment source or currency is malformed");
  }
  std::optional<status> previous;
  if (auto found = s.payments.find(r.payment_id); found != s.payments.end()) {
    const payment& p = found->second;
    if (rank(r.state) <= rank(p.state)) {
      if (contradicts(p, r.state)) {
        return std::vector<event>{late_status(s, p, r)};
      }
      return std::vector<event>{};  // a duplicate or an earlier step arriving late: never regress
    }
    previous = p.state;
  }
  return std::vector<event>{decide_payment(s, r, previous)};
}

result<std::vector<event>> decide_begin(const state& s) {
  if (!s.url.empty() || s.attempt_open) {
    return std::vector<event>{};  // linked, or an attempt whose outcome is unknown is open
  }
  return std::vector<event>{creation_attempted{s.attempts + 1}};
}

result<std::vector<event>> decide_close(const state& s, const close_attempt& cl) {
  if (cl.reason.empty() || cl.reason.size() > creation_reason_bytes_max || !is_valid_utf8(cl.reason)) {
    return make_error(errc::invalid_argument, "an attempt closes with a reason of 1-300 bytes of UTF-8");
  }
  if (!s.attempt_open || cl.attempt != s.attempts) {
    return std::vector<event>{};  // not the open attempt: already closed, or a stale close
  }
  return std::vector<event>{creation_failed{cl.attempt, cl.reason}};
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  if (const auto* cr = std::get_if<create>(&c)) {
    if (s.exists) {
      if (s.terms == cr->terms) return std::vector<event>{};
      return make_error(errc::invoice_exists, "order " + s.order_id + " exists with other terms");
    }
    if (auto ok = check_terms(s.order_id, cr->terms); !ok) return ok.error();
    return std::vector<event>{created{s.order_id, cr->terms}};
  }
  if (!s.exists) {
    return make_error(errc::invoice_not_found, "no invoice for order '" + s.order_id + "'");
  }
  return std::visit(overload{
                        [&](const create&) -> decision { return std::vector<event>{}; },  // handled above
                        [&](const link& ln) -> decision {
                          if (!s.provider_invoice_id.empty()) {
                            return std::vector<event>{};  // the first provider invoice stays the invoice's
                          }
                          if (!is_token(ln.provider_invoice_id, 32) || ln.url.empty() || ln.url.size() > 512) {
                            return make_error(errc::invalid_argument, "a provider invoice needs an id and a URL");
                          }
                          return std::vector<event>{linked{ln.provider_invoice_id, ln.url}};
                        },
                        [&](const record& rec) -> decision { return decide_record(s, rec.reported); },
                        [&](const begin_attempt&) -> decision { return decide_begin(s); },
                        [&](const close_attempt& cl) -> decision { return decide_close(s, cl); },
                    },
                    c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, created>) {
          s.exists = true;
          s.terms = ev.terms;
        } else if constexpr (std::is_same_v<T, linked>) {
          s.provider_invoice_id = ev.provider_invoice_id;
          s.url = ev.url;
          s.attempt_open = false;  // NOWPayments answered: the attempt's outcome is known
        } else if constexpr (std::is_same_v<T, payment_recorded>) {
          payment& p = s.payments[ev.reported.payment_id];
          p.state = ev.reported.state;
          p.parent_payment_id = ev.reported.parent_payment_id;
          if (ev.decided != action::none || p.decided == action::none) {
            p.decided = ev.decided;
            p.credit = ev.credit;
          }
        } else if constexpr (std::is_same_v<T, creation_attempted>) {
          s.attempts = ev.attempt;
          s.attempt_open = true;
        } else if constexpr (std::is_same_v<T, creation_failed>) {
          s.attempt_open = false;
        } else if constexpr (std::is_same_v<T, late_status_recorded>) {
          // The recorded status, action and credit stay: only the review record grows.
          s.payments[ev.reported.payment_id].late.push_back(ev.reported.state);
        } else {
          static_assert(always_false<T>, "invoice::evolve: unhandled invoice event");
        }
      },
      e);
}

std::string idempotency_key(const state& s, const command& c) {
  return std::visit(overload{
                        [](const create&) { return std::string(); },
                        [](const link&) { return std::string(); },
                        // Unique per (payment, status) whether it is recorded as the payment's
                        // status or as a late one: a payment's final status never changes.
                        [](const record& r) {
                          return "pay:" + std::to_string(r.reported.payment_id) + ":" +
                                 std::string(status_name(r.reported.state));
                        },
                        [&](const begin_attempt&) {
                          return "invoice-attempt:" + s.order_id + ":" + std::to_string(s.attempts + 1);
                        },
                        [&](const close_attempt& cl) {
                          return "invoice-attempt-closed:" + s.order_id + ":" + std::to_string(cl.attempt);
                        },
                    },
                    c);
}

// ---- settlement ----

std::string settlement::to_json() const {
  std::string out;
  {
    json_object_writer w(out);
    w.str("action", action_name(decided)).i64("buyer", buyer.value()).i64("channel_id", channel.value())
        .str("coupon", coupon).money("credit", credit).money("list_price", list_price)
        .str("order_id", order_id).u64("payment_id", payment_id).u64("tier", tier);
  }
  return out;
}

result<settlement> settlement::from_json(std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value v = document.root();
  settlement out;
  TELEPAY_TRY(action_text, v.str("action"));
  TELEPAY_TRY(decided, parse_action(action_text));
  TELEPAY_TRY(buyer_raw, v.i64("buyer"));
  TELEPAY_TRY(buyer, make_user_id(buyer_raw));
  TELEPAY_TRY(channel_raw, v.i64("channel_id"));
  TELEPAY_TRY(channel, make_channel_id(channel_raw));
  TELEPAY_TRY(coupon, v.str("coupon"));
  TELEPAY_TRY(credit, v.money("credit", asset::usdt));
  TELEPAY_TRY(list_price, v.money("list_price", asset::usd));
  TELEPAY_TRY(order_id, v.str("order_id"));
  TELEPAY_TRY(payment_id, v.u64("payment_id"));
  TELEPAY_TRY(tier, v.u32("tier"));
  out.decided = decided;
  out.buyer = buyer;
  out.channel = channel;
  out.coupon = std::move(coupon);
  out.credit = credit;
  out.list_price = list_price;
  out.order_id = std::move(order_id);
  out.payment_id = payment_id;
  out.tier = tier;
  return out;
}

std::optional<settlement> settlement_for(const state& s, std::uint64_t payment_id) {
  auto found = s.payments.find(payment_id);
  if (found == s.payments.end()) return std::nullopt;
  const payment& p = found->second;
  if (p.decided != action::fund_purchase && p.decided != action::credit) return std::nullopt;
  settlement out;
  out.payment_id = payment_id;
  out.order_id = s.order_id;
  out.decided = p.decided;
  out.credit = p.credit;
  out.buyer = s.terms.buyer;
  out.channel = s.terms.channel;
  out.tier = s.terms.tier;
  out.list_price = s.terms.list_price;
  out.coupon = s.terms.coupon;
  return out;
}

}  // namespace telepay::domain::invoice
