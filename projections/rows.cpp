// Row codecs of the read models: canonical JSON (sorted keys), amounts as decimal strings.

#include "projections/models.hpp"

namespace telepay::projections {
namespace {

using domain::amount;
using domain::asset;
using domain::json_document;
using domain::json_object_writer;
using domain::json_value;

std::string usdt_text(u128 units) { return domain::format_amount(amount(asset::usdt, units)); }

/// A time that may not have happened yet (0): read back as 0 when the row leaves it out.
status read_optional_time(const json_value& v, std::string_view key, std::int64_t& out) {
  if (!v.has(key)) return {};
  TELEPAY_TRY(at, v.time(key));
  out = at;
  return {};
}

result<u128> read_usdt(const json_value& v, std::string_view key) {
  TELEPAY_TRY(value, v.money(key, asset::usdt));
  return value.units();
}

template <class F>
std::string object(F&& fill) {
  std::string out;
  {
    json_object_writer w(out);
    fill(w);
  }
  return out;
}

}  // namespace

padded_key::padded_key(std::uint64_t value) {
  for (int i = 19; i >= 0; --i) {
    digits_[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

std::string padded(std::uint64_t value) {
  std::string digits = std::to_string(value);
  return std::string(20 - digits.size(), '0') + digits;
}

// ---- balances ----

domain::amount balance_row::available() const {
  const u128 spent = debits + held;
  return amount(currency, credits > spent ? credits - spent : 0);
}

std::string balance_row::balance_text() const {
  if (credits >= debits) {
    return domain::format_amount(amount(currency, credits - debits));
  }
  return "-" + domain::format_amount(amount(currency, debits - credits));
}

std::string balance_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("asset", domain::asset_code(currency)).money("available", available())
        .str("balance", balance_text()).money("credits", amount(currency, credits))
        .money("debits", amount(currency, debits)).u64("events", events)
        .money("held", amount(currency, held)).u64("last_seq", last_seq).str("owner", owner);
  });
}

result<balance_row> balance_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  balance_row out;
  TELEPAY_TRY(code, v.str("asset"));
  TELEPAY_TRY(currency, domain::parse_asset(code));
  out.currency = currency;
  TELEPAY_TRY(credits, v.money("credits", currency));
  TELEPAY_TRY(debits, v.money("debits", currency));
  TELEPAY_TRY(held, v.money("held", currency));
  TELEPAY_TRY(events, v.u64("events"));
  TELEPAY_TRY(last_seq, v.u64("last_seq"));
  TELEPAY_TRY(owner, v.str("owner"));
  out.credits = credits.units();
  out.debits = debits.units();
  out.held = held.units();
  out.events = events;
  out.last_seq = last_seq;
  out.owner = std::move(owner);
  return out;
}

// ---- users ----

std::string user_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("ban_reason", ban_reason).boolean("banned", banned).i64("referrer_id", referrer)
        .time("registered_at", registered_at_us).str("username", username);
  });
}

result<user_row> user_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  user_row out;
  TELEPAY_TRY(reason, v.str("ban_reason"));
  TELEPAY_TRY(banned, v.boolean("banned"));
  TELEPAY_TRY(referrer, v.i64("referrer_id"));
  TELEPAY_TRY(registered, v.time("registered_at"));
  TELEPAY_TRY(username, v.str("username"));
  out.ban_reason = std::move(reason);
  out.banned = banned;
  out.referrer = referrer;
  out.registered_at_us = registered;
  out.username = std::move(username);
  return out;
}

// ---- referrals ----

std::string referral_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("asset", "USDT").str("earnings", usdt_text(earnings)).u64("referees", referees).i64("referrer_id", referrer)
        .str("tier", tier);
  });
}

result<referral_row> referral_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  referral_row out;
  TELEPAY_TRY(earnings, read_usdt(v, "earnings"));
  TELEPAY_TRY(referees, v.u64("referees"));
  TELEPAY_TRY(referrer, v.i64("referrer_id"));
  TELEPAY_TRY(tier, v.str("tier"));
  out.earnings = earnings;
  out.referees = referees;
  out.referrer = referrer;
  out.tier = std::move(tier);
  return out;
}

// ---- subscriptions ----

std::string subscription_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.i64("channel_id", channel).time("expires_at", expires_at_us)
        .boolean("expiry_recorded", expiry_recorded).u64("purchases", purchases)
        .u64("reminded_days_before", reminded_days_before).u64("tier", tier).i64("user_id", user);
  });
}

result<subscription_row> subscription_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  subscription_row out;
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(recorded, v.boolean("expiry_recorded"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(purchases, v.u64("purchases"));
  if (v.has("reminded_days_before")) {  // rows saved before reminders were tracked lack it
    TELEPAY_TRY(reminded, v.u32("reminded_days_before"));
    out.reminded_days_before = reminded;
  }
  TELEPAY_TRY(tier, v.u32("tier"));
  TELEPAY_TRY(user, v.i64("user_id"));
  out.channel = channel;
  out.expiry_recorded = recorded;
  out.expires_at_us = expires;
  out.purchases = purchases;
  out.tier = tier;
  out.user = user;
  return out;
}

// ---- channels ----

std::string channel_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("accrued", usdt_text(accrued)).str("asset", "USDT").str("batched", usdt_text(batched))
        .i64("channel_id", channel)
        .boolean("disabled", disabled).str("donations", usdt_text(donations)).i64("owner_id", owner)
        .str("paid", usdt_text(paid)).str("revenue", usdt_text(revenue)).u64("sales", sales)
        .str("title", title);
  });
}

result<channel_row> channel_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  channel_row out;
  TELEPAY_TRY(accrued, read_usdt(v, "accrued"));
  TELEPAY_TRY(batched, read_usdt(v, "batched"));
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(disabled, v.boolean("disabled"));
  TELEPAY_TRY(donations, read_usdt(v, "donations"));
  TELEPAY_TRY(owner, v.i64("owner_id"));
  TELEPAY_TRY(paid, read_usdt(v, "paid"));
  TELEPAY_TRY(revenue, read_usdt(v, "revenue"));
  TELEPAY_TRY(sales, v.u64("sales"));
  TELEPAY_TRY(title, v.str("title"));
  out.accrued = accrued;
  out.batched = batched;
  out.channel = channel;
  out.disabled = disabled;
  out.donations = donations;
  out.owner = owner;
  out.paid = paid;
  out.revenue = revenue;
  out.sales = sales;
  out.title = std::move(title);
  return out;
}

// ---- payouts ----

std::string payout_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("address", address).str("amount", usdt_text(value)).str("asset", "USDT").u64("attempts", attempts)
        .str("batch_id", batch).i64("channel_id", channel).time("created_at", created_at_us)
        .str("status", status).str("tx_hash", tx_hash).time("updated_at", updated_at_us);
  });
}

result<payout_row> payout_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  payout_row out;
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(value, read_usdt(v, "amount"));
  TELEPAY_TRY(attempts, v.u32("attempts"));
  TELEPAY_TRY(batch, v.str("batch_id"));
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(created_at, v.time("created_at"));
  TELEPAY_TRY(status_text, v.str("status"));
  TELEPAY_TRY(tx, v.str("tx_hash"));
  TELEPAY_TRY(updated_at, v.time("updated_at"));
  out.created_at_us = created_at;
  out.updated_at_us = updated_at;
  out.address = std::move(address);
  out.value = value;
  out.attempts = attempts;
  out.batch = std::move(batch);
  out.channel = channel;
  out.status = std::move(status_text);
  out.tx_hash = std::move(tx);
  return out;
}

// ---- processes ----

std::string process_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("amount", usdt_text(value)).str("asset", "USDT");
    if (ended_at_us != 0) w.time("ended_at", ended_at_us);
    w.str("failure_code", failure_code).str("failure_reason", failure_reason).str("id", id).str("kind", kind)
        .time("started_at", started_at_us).str("status", status).i64("user_id", user);
  });
}

result<process_row> process_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  process_row out;
  TELEPAY_TRY(value, read_usdt(v, "amount"));
  TELEPAY_TRY(code, v.str("failure_code"));
  TELEPAY_TRY(reason, v.str("failure_reason"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(started, v.time("started_at"));
  TELEPAY_TRY(status_text, v.str("status"));
  TELEPAY_TRY(user, v.i64("user_id"));
  TELEPAY_CHECK(read_optional_time(v, "ended_at", out.ended_at_us));
  out.value = value;
  out.failure_code = std::move(code);
  out.failure_reason = std::move(reason);
  out.id = std::move(id);
  out.kind = std::move(kind);
  out.started_at_us = started;
  out.status = std::move(status_text);
  out.user = user;
  return out;
}

// ---- manual deposits ----

std::string manual_deposit_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("amount", usdt_text(value)).str("asset", "USDT");
    if (decided_at_us != 0) w.time("decided_at", decided_at_us);
    w.str("decided_by", decided_by).str("reference", reference).time("requested_at", requested_at_us)
        .str("requested_by", requested_by).str("status", status).i64("user_id", user);
  });
}

result<manual_deposit_row> manual_deposit_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  manual_deposit_row out;
  TELEPAY_TRY(value, read_usdt(v, "amount"));
  TELEPAY_TRY(decided, v.str("decided_by"));
  TELEPAY_TRY(reference, v.str("reference"));
  TELEPAY_TRY(requested, v.str("requested_by"));
  TELEPAY_TRY(requested_at, v.time("requested_at"));
  TELEPAY_TRY(status_text, v.str("status"));
  TELEPAY_TRY(user, v.i64("user_id"));
  TELEPAY_CHECK(read_optional_time(v, "decided_at", out.decided_at_us));
  out.requested_at_us = requested_at;
  out.value = value;
  out.decided_by = std::move(decided);
  out.reference = std::move(reference);
  out.requested_by = std::move(requested);
  out.status = std::move(status_text);
  out.user = user;
  return out;
}

// ---- tokens ----

std::string token_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.raw("allowed_cidrs", domain::json_string_array(allowed_cidrs)).u64("burst", burst)
        .str("identity", identity).str("label", label).str("minted_by", minted_by)
        .boolean("pending", pending).u64("rate_per_second", rate_per_second).boolean("revoked", revoked)
        .str("role", role).str("secret_sha256", secret_sha256);
  });
}

result<token_row> token_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  token_row out;
  TELEPAY_TRY(cidrs_value, v.field("allowed_cidrs"));
  TELEPAY_TRY(cidrs, cidrs_value.string_elements());
  // The allowlist check walks prefix-length bytes of the peer's address: a stored block is
  // validated like a new one (a "/255" would read past the address).
  for (const std::string& cidr : cidrs) {
    if (auto valid = domain::check_cidr(cidr); !valid) {
      return make_error(errc::event_decode_failed, "field 'allowed_cidrs': " + valid.error().message);
    }
  }
  TELEPAY_TRY(burst, v.u32("burst"));
  TELEPAY_TRY(identity, v.str("identity"));
  TELEPAY_TRY(label, v.str("label"));
  TELEPAY_TRY(minted_by, v.str("minted_by"));
  TELEPAY_TRY(pending, v.boolean("pending"));
  TELEPAY_TRY(rate, v.u32("rate_per_second"));
  TELEPAY_TRY(revoked, v.boolean("revoked"));
  TELEPAY_TRY(role, v.str("role"));
  TELEPAY_TRY(hash, v.str("secret_sha256"));
  out.allowed_cidrs = std::move(cidrs);
  out.burst = burst;
  out.identity = std::move(identity);
  out.label = std::move(label);
  out.minted_by = std::move(minted_by);
  out.pending = pending;
  out.rate_per_second = rate;
  out.revoked = revoked;
  out.role = std::move(role);
  out.secret_sha256 = std::move(hash);
  return out;
}

// ---- coupons ----

std::string coupon_row::to_json() const {
  // Times that have not happened (never used, not disabled) are left out, not 1970.
  return object([&](json_object_writer& w) {
    w.str("asset", "USD").i64("channel_id", channel).time("created_at", created_at_us)
        .str("created_by", created_by).boolean("disabled", disabled);
    if (disabled_at_us != 0) w.time("disabled_at", disabled_at_us);
    w.str("disabled_by", disabled_by).money("discount_given", amount(asset::usd, discount))
        .time("expires_at", expires_at_us).money("fixed", amount(asset::usd, fixed)).str("kind", kind);
    if (last_used_at_us != 0) w.time("last_used_at", last_used_at_us);
    w.u64("percent_bps", percent_bps).u64("tier", tier).u64("usage_limit", usage_limit).u64("uses", uses);
  });
}

result<coupon_row> coupon_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  coupon_row out;
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(created_at, v.time("created_at"));
  TELEPAY_TRY(created_by, v.str("created_by"));
  TELEPAY_TRY(disabled, v.boolean("disabled"));
  TELEPAY_TRY(disabled_by, v.str("disabled_by"));
  TELEPAY_TRY(discount, v.money("discount_given", asset::usd));
  TELEPAY_TRY(expires_at, v.time("expires_at"));
  TELEPAY_TRY(fixed, v.money("fixed", asset::usd));
  TELEPAY_TRY(percent_bps, v.u32("percent_bps"));
  TELEPAY_TRY(tier, v.u32("tier"));
  TELEPAY_TRY(usage_limit, v.u32("usage_limit"));
  TELEPAY_TRY(uses, v.u32("uses"));
  TELEPAY_CHECK(read_optional_time(v, "disabled_at", out.disabled_at_us));
  TELEPAY_CHECK(read_optional_time(v, "last_used_at", out.last_used_at_us));
  out.channel = channel;
  out.kind = std::move(kind);
  out.created_at_us = created_at;
  out.created_by = std::move(created_by);
  out.disabled = disabled;
  out.disabled_by = std::move(disabled_by);
  out.discount = discount.units();
  out.expires_at_us = expires_at;
  out.fixed = fixed.units();
  out.percent_bps = percent_bps;
  out.tier = tier;
  out.usage_limit = usage_limit;
  out.uses = uses;
  return out;
}

// ---- blacklist ----

std::string blacklist_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("by", by).str("kind", kind).str("reason", reason).str("value", value);
  });
}

result<blacklist_row> blacklist_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(value, v.str("value"));
  return blacklist_row{std::move(kind), std::move(value), std::move(reason), std::move(by)};
}

// ---- chain ----

std::string deposit_address_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("address", address).u64("chain_id", chain_id).str("path", path).i64("user_id", user);
  });
}

result<deposit_address_row> deposit_address_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(chain_id, v.u64("chain_id"));
  TELEPAY_TRY(path, v.str("path"));
  TELEPAY_TRY(user, v.i64("user_id"));
  return deposit_address_row{chain_id, std::move(address), user, std::move(path)};
}

std::string chain_deposit_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.money("amount", amount(asset::usdt, value)).str("asset", "USDT").str("block_hash", block_hash)
        .u64("block_number", block_number).u64("chain_id", chain_id).str("from", from).u64("log_index", log_index)
        .str("status", status).str("to", to).str("tx_hash", tx_hash).i64("user_id", user);
  });
}

result<chain_deposit_row> chain_deposit_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  chain_deposit_row out;
  TELEPAY_TRY(value, read_usdt(v, "amount"));
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(chain_id, v.u64("chain_id"));
  TELEPAY_TRY(from, v.str("from"));
  TELEPAY_TRY(log_index, v.u64("log_index"));
  TELEPAY_TRY(status, v.str("status"));
  TELEPAY_TRY(to, v.str("to"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  TELEPAY_TRY(user, v.i64("user_id"));
  out.value = value;
  out.block_hash = std::move(block_hash);
  out.block_number = block_number;
  out.chain_id = chain_id;
  out.from = std::move(from);
  out.log_index = log_index;
  out.status = std::move(status);
  out.to = std::move(to);
  out.tx_hash = std::move(tx_hash);
  out.user = user;
  return out;
}

std::string withdrawal_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("address", address).money("amount", amount(asset::usdt, value)).str("approved_by", approved_by)
        .str("asset", "USDT");
    if (decided_at_us != 0) w.time("decided_at", decided_at_us);
    if (ended_at_us != 0) w.time("ended_at", ended_at_us);
    w.str("id", id).str("reason", reason).time("requested_at", requested_at_us).str("requested_by", requested_by)
        .str("status", status).str("tx_hash", tx_hash).i64("user_id", user);
  });
}

result<withdrawal_row> withdrawal_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  withdrawal_row out;
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(value, read_usdt(v, "amount"));
  TELEPAY_TRY(approved_by, v.str("approved_by"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(requested_at, v.time("requested_at"));
  TELEPAY_TRY(requested_by, v.str("requested_by"));
  TELEPAY_TRY(status, v.str("status"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  TELEPAY_TRY(user, v.i64("user_id"));
  TELEPAY_CHECK(read_optional_time(v, "decided_at", out.decided_at_us));
  TELEPAY_CHECK(read_optional_time(v, "ended_at", out.ended_at_us));
  out.requested_at_us = requested_at;
  out.address = std::move(address);
  out.value = value;
  out.approved_by = std::move(approved_by);
  out.id = std::move(id);
  out.reason = std::move(reason);
  out.requested_by = std::move(requested_by);
  out.status = std::move(status);
  out.tx_hash = std::move(tx_hash);
  out.user = user;
  return out;
}

// ---- audit log ----

std::string audit_row::to_json() const {
  return object([&](json_object_writer& w) {
    w.str("idempotency_key", idempotency_key).str("method", method).str("path", path)
        .time("recorded_at", recorded_at_us).str("request_sha256", request_sha256)
        .str("response", response).u64("status", status).str("token", token);
  });
}

result<audit_row> audit_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  audit_row out;
  TELEPAY_TRY(key, v.str("idempotency_key"));
  TELEPAY_TRY(method, v.str("method"));
  TELEPAY_TRY(path, v.str("path"));
  TELEPAY_TRY(recorded, v.time("recorded_at"));
  TELEPAY_TRY(digest, v.str("request_sha256"));
  TELEPAY_TRY(response, v.str("response"));
  TELEPAY_TRY(status_code, v.u32("status"));
  TELEPAY_TRY(token, v.str("token"));
  out.idempotency_key = std::move(key);
  out.method = std::move(method);
  out.path = std::move(path);
  out.recorded_at_us = recorded;
  out.request_sha256 = std::move(digest);
  out.response = std::move(response);
  out.status = status_code;
  out.token = std::move(token);
  return out;
}

}  // namespace telepay::projections

// ---- invoices ----

namespace telepay::projections {

std::string invoice_row::to_json() const {
  std::vector<std::string> items;
  items.reserve(payments.size());
  for (const auto& p : payments) {
    std::vector<std::string> late;
    late.reserve(p.late_statuses.size());
    for (const auto& l : p.late_statuses) {
      late.push_back(object([&](json_object_writer& w) {
        w.time("recorded_at", l.recorded_at_us).str("source", l.source).str("status", l.status);
      }));
    }
    items.push_back(object([&](json_object_writer& w) {
      w.str("action", p.action).str("actually_paid", p.actually_paid).str("credit", usdt_text(p.credit))
          .raw("late_statuses", domain::json_array(late)).str("note", p.note)
          .u64("parent_payment_id", p.parent_payment_id).str("pay_currency", p.pay_currency)
          .u64("payment_id", p.payment_id).boolean("review", p.review()).str("source", p.source)
          .str("status", p.status).time("updated_at", p.updated_at_us);
    }));
  }
  return object([&](json_object_writer& w) {
    w.u64("attempts", attempts).i64("channel_id", channel).str("coupon", coupon)
        .time("created_at", created_at_us).str("creation", creation).str("creation_note", creation_note)
        .str("credit", usdt_text(credit))
        .str("order_id", order_id).raw("payments", domain::json_array(items))
        .str("price_usd", domain::format_amount(amount(asset::usd, price_cents)))
        .str("provider_invoice_id", provider_invoice_id).boolean("review", review())
        .str("settlement", settlement)
        .str("status", status()).u64("tier", tier).time("updated_at", updated_at_us).str("url", url)
        .i64("user_id", user);
  });
}

result<invoice_row> invoice_row::from_json(std::string_view json) {
  TELEPAY_TRY(doc, json_document::parse(json));
  const json_value v = doc.root();
  invoice_row out;
  TELEPAY_TRY(attempts, v.u32("attempts"));
  TELEPAY_TRY(channel, v.i64("channel_id"));
  TELEPAY_TRY(coupon, v.str("coupon"));
  TELEPAY_TRY(created, v.time("created_at"));
  TELEPAY_TRY(creation, v.str("creation"));
  TELEPAY_TRY(creation_note, v.str("creation_note"));
  TELEPAY_TRY(credit, read_usdt(v, "credit"));
  TELEPAY_TRY(order_id, v.str("order_id"));
  TELEPAY_TRY(list, v.field("payments"));
  TELEPAY_TRY(items, list.elements());
  for (const json_value& p : items) {
    invoice_payment_row row;
    TELEPAY_TRY(action, p.str("action"));
    TELEPAY_TRY(paid, p.str("actually_paid"));
    TELEPAY_TRY(pcredit, read_usdt(p, "credit"));
    TELEPAY_TRY(late_list, p.field("late_statuses"));
    TELEPAY_TRY(late_items, late_list.elements());
    for (const json_value& l : late_items) {
      TELEPAY_TRY(recorded_at, l.time("recorded_at"));
      TELEPAY_TRY(late_source, l.str("source"));
      TELEPAY_TRY(late_status, l.str("status"));
      row.late_statuses.push_back(
          invoice_late_status_row{std::move(late_status), std::move(late_source), recorded_at});
    }
    TELEPAY_TRY(note, p.str("note"));
    TELEPAY_TRY(parent, p.u64("parent_payment_id"));
    TELEPAY_TRY(pay_currency, p.str("pay_currency"));
    TELEPAY_TRY(payment_id, p.u64("payment_id"));
    TELEPAY_TRY(source, p.str("source"));
    TELEPAY_TRY(status_text, p.str("status"));
    TELEPAY_TRY(updated, p.time("updated_at"));
    row.action = std::move(action);
    row.actually_paid = std::move(paid);
    row.credit = pcredit;
    row.note = std::move(note);
    row.parent_payment_id = parent;
    row.pay_currency = std::move(pay_currency);
    row.payment_id = payment_id;
    row.source = std::move(source);
    row.status = std::move(status_text);
    row.updated_at_us = updated;
    out.payments.push_back(std::move(row));
  }
  TELEPAY_TRY(price, v.money("price_usd", asset::usd));
  TELEPAY_TRY(provider, v.str("provider_invoice_id"));
  TELEPAY_TRY(settlement, v.str("settlement"));
  TELEPAY_TRY(tier, v.u32("tier"));
  TELEPAY_TRY(updated, v.time("updated_at"));
  TELEPAY_TRY(url, v.str("url"));
  TELEPAY_TRY(user, v.i64("user_id"));
  out.attempts = attempts;
  out.channel = channel;
  out.coupon = std::move(coupon);
  out.created_at_us = created;
  out.creation = std::move(creation);
  out.creation_note = std::move(creation_note);
  out.credit = credit;
  out.order_id = std::move(order_id);
  out.price_cents = price.units();
  out.provider_invoice_id = std::move(provider);
  out.settlement = std::move(settlement);
  out.tier = tier;
  out.updated_at_us = updated;
  out.url = std::move(url);
  out.user = user;
  return out;
}

}  // namespace telepay::projections
