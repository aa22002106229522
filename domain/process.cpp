#include "domain/process.hpp"

#include "domain/base/visit.hpp"

namespace telepay::domain::process {
namespace {

bool has(const std::set<std::string>& done, std::string_view step) {
  return done.contains(std::string(step));
}

result<user_id> read_user(const json_value& v, std::string_view key) {
  TELEPAY_TRY(raw, v.i64(key));
  return make_user_id(raw);
}

/// The id in a process key "{kind}-{id}".
std::string_view after_dash(std::string_view key) {
  const auto dash = key.find('-');
  return dash == std::string_view::npos ? key : key.substr(dash + 1);
}

}  // namespace

std::string stream(std::string_view key) { return "process-" + std::string(key); }

std::string correlation(std::string_view kind, std::string_view id) {
  return std::string(kind) + ":" + std::string(id);
}

void started::write(json_object_writer& w) const { w.raw("intent", intent).str("kind", kind); }
result<started> started::read(const json_value& v) {
  TELEPAY_TRY(intent_value, v.field("intent"));
  if (!intent_value.is_object()) {
    return make_error(errc::event_decode_failed, "intent must be an object");
  }
  TELEPAY_TRY(intent, v.compact("intent"));
  TELEPAY_TRY(kind, v.str("kind"));
  return started{std::move(kind), std::move(intent)};
}

void completed::write(json_object_writer& w) const { w.str("outcome", outcome); }
result<completed> completed::read(const json_value& v) {
  TELEPAY_TRY(outcome, v.str("outcome"));
  return completed{std::move(outcome)};
}

void failed::write(json_object_writer& w) const { w.str("code", code).str("reason", reason); }
result<failed> failed::read(const json_value& v) {
  TELEPAY_TRY(code, v.str("code"));
  TELEPAY_TRY(reason, v.str("reason"));
  return failed{std::move(code), std::move(reason)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (const auto* st = std::get_if<start>(&c)) {
    if (s.is_started) {
      if (s.kind == st->kind && s.intent == st->intent) {
        return std::vector<event>{};
      }
      return make_error(errc::idempotency_key_reused_with_different_payload,
                        "process " + s.key + " was started with a different intent");
    }
    if (!is_token(st->kind, 32) || st->intent.empty() || st->intent.front() != '{') {
      return make_error(errc::invalid_argument, "a process needs a kind and an intent object");
    }
    return std::vector<event>{started{st->kind, st->intent}};
  }
  if (!s.is_started) {
    return make_error(errc::not_found, "process " + s.key + " was never started");
  }
  if (s.finished()) {
    return std::vector<event>{};
  }
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const start&) -> decision { return std::vector<event>{}; },  // handled above
          [&](const complete& done) -> decision {
            return std::vector<event>{completed{done.outcome.empty() ? "completed" : done.outcome}};
          },
          [&](const fail& f) -> decision { return std::vector<event>{failed{f.code, f.reason}}; },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, started>) {
          s.is_started = true;
          s.kind = ev.kind;
          s.intent = ev.intent;
        } else if constexpr (std::is_same_v<T, completed>) {
          s.is_completed = true;
        } else if constexpr (std::is_same_v<T, failed>) {
          s.is_failed = true;
          s.failure_code = ev.code;
          s.failure_reason = ev.reason;
        } else {
          static_assert(always_false<T>, "process::evolve: unhandled process event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

// ---- purchase ----

std::string purchase_intent::to_json() const {
  std::string out;
  json_object_writer w(out);
  w.i64("buyer_id", buyer.value()).i64("channel_id", channel.value())
      .money("channel_share", channel_share).money("commission", commission).str("coupon", coupon)
      .u64("days", days).money("discount", discount).boolean("donation", donation)
      .money("fee", fee).time("hold_expires_at", hold_expires_at_us).money("list_price", list_price)
      .money("paid", paid).str("purchase_id", purchase_id).str("rate", format_rate_e8(rate_e8));
  if (referrer) {
    w.i64("referrer_id", referrer->value());
  }
  w.u64("tier", tier);
  return out;
}

result<purchase_intent> purchase_intent::from_json(std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value v = document.root();
  purchase_intent out;
  TELEPAY_TRY(buyer, read_user(v, "buyer_id"));
  TELEPAY_TRY(channel_raw, v.i64("channel_id"));
  TELEPAY_TRY(channel, make_channel_id(channel_raw));
  TELEPAY_TRY(share, v.money("channel_share", asset::usdt));
  TELEPAY_TRY(commission, v.money("commission", asset::usdt));
  TELEPAY_TRY(coupon, v.str("coupon"));
  TELEPAY_TRY(days, v.u32("days"));
  TELEPAY_TRY(discount, v.money("discount", asset::usd));
  TELEPAY_TRY(donation, v.boolean("donation"));
  TELEPAY_TRY(fee, v.money("fee", asset::usdt));
  TELEPAY_TRY(expires, v.time("hold_expires_at"));
  TELEPAY_TRY(list_price, v.money("list_price", asset::usd));
  TELEPAY_TRY(paid, v.money("paid", asset::usdt));
  TELEPAY_TRY(id, v.str("purchase_id"));
  TELEPAY_TRY(rate_text, v.str("rate"));
  TELEPAY_TRY(rate, parse_rate_e8(rate_text));
  if (v.has("referrer_id")) {
    TELEPAY_TRY(referrer, read_user(v, "referrer_id"));
    out.referrer = referrer;
  }
  TELEPAY_TRY(tier, v.u32("tier"));
  out.purchase_id = std::move(id);
  out.donation = donation;
  out.buyer = buyer;
  out.channel = channel;
  out.tier = tier;
  out.days = days;
  out.list_price = list_price;
  out.coupon = std::move(coupon);
  out.discount = discount;
  out.rate_e8 = rate;
  out.paid = paid;
  out.fee = fee;
  out.commission = commission;
  out.channel_share = share;
  out.hold_expires_at_us = expires;
  return out;
}

status check_same_purchase(const purchase_intent& first, user_id buyer, channel_id channel, std::uint32_t tier,
                           const amount& donation_usd, std::string_view coupon) {
  std::string differs;
  if (first.buyer != buyer) {
    differs = "buyer " + std::to_string(first.buyer.value());
  } else if (first.channel != channel) {
    differs = "channel " + std::to_string(first.channel.value());
  } else if (first.donation != (tier == 0) || (!first.donation && first.tier != tier)) {
    differs = first.donation ? std::string("a donation") : "tier " + std::to_string(first.tier);
  } else if (first.donation && first.list_price != donation_usd) {
    differs = "a donation of " + format_amount(first.list_price) + " USD";
  } else {
    auto code = coupon.empty() ? result<std::string>(std::string()) : coupon::normalize_code(coupon);
    if (!code || *code != first.coupon) {
      differs = first.coupon.empty() ? std::string("no coupon") : "coupon " + first.coupon;
    }
  }
  if (differs.empty()) return {};
  return make_error(errc::idempotency_key_reused_with_different_payload,
                    "purchase " + first.purchase_id + " was made with other terms (" + differs +
                        "); use a new purchase id");
}

result<purchase_intent> price_purchase(std::string purchase_id, const purchase_facts& facts,
                                       std::uint32_t tier, const amount& donation_usd,
                                       std::int64_t now_us) {
  LEDGER_ASSERT(facts.buyer && facts.channel && facts.settings, "purchase facts incomplete");
  const user::state& buyer = *facts.buyer;
  const channel::state& ch = *facts.channel;
  const settings::state& config = *facts.settings;
  if (!is_token(purchase_id, transfer_id_bytes_max)) {
    return make_error(errc::invalid_argument, "purchase id must be a 1-64 character token");
  }
  if (!buyer.is_registered) {
    return make_error(errc::user_not_registered, "buyer " + std::to_string(buyer.id.value()) +
                                                     " is not registered");
  }
  if (buyer.is_banned) {
    return make_error(errc::user_banned, "buyer " + std::to_string(buyer.id.value()) + " is banned");
  }
  if (facts.buyer_blacklisted) {
    return make_error(errc::blacklisted, "buyer " + std::to_string(buyer.id.value()) +
                                             " is blacklisted");
  }
  purchase_intent out;
  out.purchase_id = std::move(purchase_id);
  out.buyer = buyer.id;
  out.channel = ch.id;
  out.donation = tier == 0;
  if (out.donation) {
    TELEPAY_CHECK(channel::check_donation(ch, donation_usd));
    out.list_price = donation_usd;
  } else {
    TELEPAY_TRY(picked, channel::find_tier(ch, tier));
    out.tier = tier;
    out.days = picked.days;
    out.list_price = picked.price;
  }
  if (facts.coupon != nullptr) {
    if (out.donation) {
      return make_error(errc::coupon_not_applicable, "coupons do not apply to donations");
    }
    TELEPAY_TRY(discount, coupon::quote(*facts.coupon, buyer.id, ch.id, tier, out.list_price, now_us));
    out.coupon = facts.coupon->code;
    out.discount = discount;
  }
  TELEPAY_TRY(price, out.list_price.minus(out.discount));
  out.rate_e8 = config.usd_usdt_rate_e8;
  TELEPAY_TRY(paid, convert(price, config.usd_to_usdt()));
  out.paid = paid;
  out.fee = percent_of(paid, config.platform_fee_bps);
  if (buyer.referrer && !out.donation && facts.paid_by_invoice) {  // the referral rule: purchase_facts
    out.referrer = buyer.referrer;
    out.commission = percent_of(paid, config.referral_rate_bps);
  } else {
    out.commission = amount(asset::usdt, 0);
  }
  TELEPAY_TRY(after_fee, paid.minus(out.fee));
  TELEPAY_TRY(share, after_fee.minus(out.commission));
  out.channel_share = share;
  out.hold_expires_at_us = now_us + config.hold_timeout_seconds * 1'000'000;
  return out;
}

std::string_view step_name(purchase_step step) {
  switch (step) {
    case purchase_step::hold: return "hold";
    case purchase_step::redeem_coupon: return "redeem_coupon";
    case purchase_step::activate: return "activate";
    case purchase_step::credit_fee: return "credit_fee";
    case purchase_step::credit_referrer: return "credit_referrer";
    case purchase_step::credit_channel: return "credit_channel";
    case purchase_step::accrue: return "accrue";
    case purchase_step::post: return "post";
    case purchase_step::complete: return "complete";
    case purchase_step::void_hold: return "void";
    case purchase_step::fail: return "fail";
    case purchase_step::done: return "done";
  }
  return "";
}

purchase_step next_purchase_step(const purchase_intent& intent, const std::set<std::string>& done,
                                 bool failure) {
  if (has(done, "complete") || has(done, "fail")) {
    return purchase_step::done;
  }
  const bool paid = !intent.paid.is_zero();
  if (failure || has(done, "void")) {
    if (has(done, "hold") && !has(done, "void") && !has(done, "post")) {
      return purchase_step::void_hold;
    }
    return purchase_step::fail;
  }
  if (paid && !has(done, "hold")) return purchase_step::hold;
  if (!intent.coupon.empty() && !has(done, "redeem_coupon")) return purchase_step::redeem_coupon;
  if (!intent.donation && !has(done, "activate")) return purchase_step::activate;
  if (!intent.fee.is_zero() && !has(done, "credit_fee")) return purchase_step::credit_fee;
  if (!intent.commission.is_zero() && !has(done, "credit_referrer")) {
    return purchase_step::credit_referrer;
  }
  if (!intent.channel_share.is_zero() && !has(done, "credit_channel")) {
    return purchase_step::credit_channel;
  }
  if (!intent.channel_share.is_zero() && !has(done, "accrue")) return purchase_step::accrue;
  if (paid && !has(done, "post")) return purchase_step::post;
  return purchase_step::complete;
}

// ---- refund ----

std::string refund_intent::to_json() const {
  std::string out;
  json_object_writer w(out);
  w.str("by", by).raw("purchase", purchase.to_json()).str("reason", reason);
  return out;
}

result<refund_intent> refund_intent::from_json(std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value v = document.root();
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(purchase_json, v.compact("purchase"));
  TELEPAY_TRY(purchase, purchase_intent::from_json(purchase_json));
  TELEPAY_TRY(reason, v.str("reason"));
  return refund_intent{std::move(purchase), std::move(by), std::move(reason)};
}

result<refund_intent> price_refund(const state& purchase, std::string by, std::string reason) {
  if (!purchase.is_started || purchase.kind != "purchase") {
    return make_error(errc::purchase_not_found, "no purchase " + std::string(after_dash(purchase.key)));
  }
  if (purchase.is_failed) {
    return make_error(errc::refund_refused, "purchase " + std::string(after_dash(purchase.key)) +
                                                " failed: it moved no money to give back");
  }
  if (!purchase.is_completed) {
    return make_error(errc::refund_refused,
                      "purchase " + std::string(after_dash(purchase.key)) + " is still running; refund it once it completed");
  }
  if (reason.empty() || reason.size() > 500) {
    return make_error(errc::invalid_argument, "a refund needs a reason of 1-500 bytes");
  }
  TELEPAY_TRY(intent, purchase_intent::from_json(purchase.intent));
  return refund_intent{std::move(intent), std::move(by), std::move(reason)};
}

std::string_view step_name(refund_step step) {
  switch (step) {
    case refund_step::reverse_accrual: return "reverse_accrual";
    case refund_step::debit_channel: return "debit_channel";
    case refund_step::debit_fee: return "debit_fee";
    case refund_step::debit_referrer: return "debit_referrer";
    case refund_step::debit_expense: return "debit_expense";
    case refund_step::credit_buyer: return "credit_buyer";
    case refund_step::shorten: return "shorten";
    case refund_step::complete: return "complete";
    case refund_step::restore_accrual: return "restore_accrual";
    case refund_step::fail: return "fail";
    case refund_step::done: return "done";
  }
  return "";
}

refund_step next_refund_step(const refund_intent& intent, const std::set<std::string>& done, bool failure,
                             bool platform_bears_commission) {
  if (has(done, "complete") || has(done, "fail")) {
    return refund_step::done;
  }
  const purchase_intent& p = intent.purchase;
  const bool commission_taken = has(done, "debit_referrer") || has(done, "debit_expense");
  if (failure) {
    const bool debited = has(done, "debit_channel") || has(done, "debit_fee") || commission_taken;
    if (has(done, "reverse_accrual") && !debited && !has(done, "restore_accrual")) {
      return refund_step::restore_accrual;  // nothing moved yet: the share is the channel's again
    }
    return refund_step::fail;
  }
  const bool share = !p.channel_share.is_zero();
  if (share && !has(done, "reverse_accrual")) return refund_step::reverse_accrual;
  if (share && !has(done, "debit_channel")) return refund_step::debit_channel;
  if (!p.fee.is_zero() && !has(done, "debit_fee")) return refund_step::debit_fee;
  if (!p.commission.is_zero() && p.referrer && !commission_taken) {
    return platform_bears_commission ? refund_step::debit_expense : refund_step::debit_referrer;
  }
  if (!p.paid.is_zero() && !has(done, "credit_buyer")) return refund_step::credit_buyer;
  if (!p.donation && !has(done, "shorten")) return refund_step::shorten;
  return refund_step::complete;
}

// ---- deposit ----

std::string deposit_intent::to_json() const {
  std::string out;
  json_object_writer w(out);
  w.money("amount", value).money("commission", commission).str("deposit_id", deposit_id)
      .str("external_ref", external_ref);
  if (referrer) {
    w.i64("referrer_id", referrer->value());
  }
  w.str("source", system_account_name(source)).i64("user_id", user.value());
  return out;
}

result<deposit_intent> deposit_intent::from_json(std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value v = document.root();
  deposit_intent out;
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(commission, v.money("commission", asset::usdt));
  TELEPAY_TRY(id, v.str("deposit_id"));
  TELEPAY_TRY(ref, v.str("external_ref"));
  if (v.has("referrer_id")) {
    TELEPAY_TRY(referrer, read_user(v, "referrer_id"));
    out.referrer = referrer;
  }
  TELEPAY_TRY(source_name, v.str("source"));
  TELEPAY_TRY(source, parse_system_account(source_name));
  TELEPAY_TRY(user, read_user(v, "user_id"));
  out.deposit_id = std::move(id);
  out.user = user;
  out.value = value;
  out.source = source;
  out.external_ref = std::move(ref);
  out.commission = commission;
  return out;
}

status check_creditable(const user::state& user, bool blacklisted) {
  if (!user.is_registered) {
    return make_error(errc::user_not_registered, "user " + std::to_string(user.id.value()) + " is not registered");
  }
  if (blacklisted) {
    return make_error(errc::blacklisted, "user " + std::to_string(user.id.value()) + " is blacklisted");
  }
  return {};
}

result<deposit_intent> price_deposit(std::string deposit_id, const user::state& user,
                                     bool blacklisted, const amount& value, system_account source,
                                     std::string external_ref, const settings::state& settings,
                                     bool with_commission) {
  if (!is_token(deposit_id, transfer_id_bytes_max)) {
    return make_error(errc::invalid_argument, "deposit id must be a 1-64 character token");
  }
  TELEPAY_CHECK(check_creditable(user, blacklisted));
  if (value.currency() != asset::usdt || value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "deposits are positive USDT amounts");
  }
  if (!may_go_negative(source)) {
    return make_error(errc::wallet_owner_invalid, "deposits come from a clearing account");
  }
  if (!external_ref.empty() && !is_token(external_ref, 200)) {
    return make_error(errc::invalid_argument, "external reference must be a token");
  }
  deposit_intent out;
  out.deposit_id = std::move(deposit_id);
  out.user = user.id;
  out.value = value;
  out.source = source;
  out.external_ref = std::move(external_ref);
  if (user.referrer && with_commission) {
    out.referrer = user.referrer;
    out.commission = percent_of(value, settings.referral_rate_bps);
  }
  return out;
}

std::string_view step_name(deposit_step step) {
  switch (step) {
    case deposit_step::credit_user: return "credit_user";
    case deposit_step::debit_source: return "debit_source";
    case deposit_step::debit_expense: return "debit_expense";
    case deposit_step::credit_referrer: return "credit_referrer";
    case deposit_step::complete: return "complete";
    case deposit_step::fail: return "fail";
    case deposit_step::done: return "done";
  }
  return "";
}

deposit_step next_deposit_step(const deposit_intent& intent, const std::set<std::string>& done,
                               bool failure) {
  if (has(done, "complete") || has(done, "fail")) return deposit_step::done;
  if (failure) return deposit_step::fail;
  if (!has(done, "credit_user")) return deposit_step::credit_user;
  if (!has(done, "debit_source")) return deposit_step::debit_source;
  if (!intent.commission.is_zero() && !has(done, "debit_expense")) return deposit_step::debit_expense;
  if (!intent.commission.is_zero() && !has(done, "credit_referrer")) {
    return deposit_step::credit_referrer;
  }
  return deposit_step::complete;
}

// ---- transfer ----

std::string_view step_name(transfer_step step) {
  switch (step) {
    case transfer_step::hold: return "hold";
    case transfer_step::credit: return "credit";
    case transfer_step::post: return "post";
    case transfer_step::void_hold: return "void";
    case transfer_step::done: return "done";
  }
  return "";
}

transfer_step next_transfer_step(const std::set<std::string>& done, bool failure) {
  if (has(done, "post") || has(done, "void")) return transfer_step::done;
  if (failure) return has(done, "hold") ? transfer_step::void_hold : transfer_step::done;
  if (!has(done, "hold")) return transfer_step::hold;
  if (!has(done, "credit")) return transfer_step::credit;
  return transfer_step::post;
}

}  // namespace telepay::domain::process
