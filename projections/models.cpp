// How each read model folds events. Keys: wallet stream (balances), zero-padded user id
// (users, referrals), "{user}:{channel}" (subscriptions), channel id (channels), batch id
// (payouts), "{kind}:{id}" (processes), request id (manual deposits), token id (tokens),
// "{kind}:{value}" (blacklist), zero-padded seq (audit log), code (coupons).

#include "projections/models.hpp"

#include <cctype>

#include <charconv>

#include "domain/base/visit.hpp"
#include "domain/referral.hpp"

namespace telepay::projections {
namespace {

template <class Variant, class T>
const T* as(const any_event& e) {
  if (const auto* v = std::get_if<Variant>(&e)) {
    return std::get_if<T>(v);
  }
  return nullptr;
}

std::string_view after(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix ? text.substr(prefix.size()) : std::string_view();
}

std::optional<std::int64_t> to_i64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string tier_of(u128 earnings_usdt) {
  // Tiers are set in USD; USDT counts at par (1 USDT = 1 USD, rounded down to a cent).
  const auto usd = domain::referral::usdt_to_usd(domain::amount(domain::asset::usdt, earnings_usdt),
                                                 100'000'000);
  return std::string(domain::referral::tier_name(domain::referral::tier_for(usd)));
}

}  // namespace

// ---- balances ----

void balances::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::wallet::event>(&e);
  if (ev == nullptr) {
    return;
  }
  auto [b, fresh] = row_created(r.stream);
  if (fresh) {
    auto parsed = domain::parse_wallet_stream(r.stream);
    b.owner = parsed ? parsed->owner.text() : std::string(r.stream);
    b.currency = parsed ? parsed->currency : domain::asset::usdt;
  }
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const u128 units = x.value.units();
        if constexpr (std::is_same_v<T, domain::wallet::credited>) {
          b.credits += units;
        } else if constexpr (std::is_same_v<T, domain::wallet::debited>) {
          b.debits += units;
        } else if constexpr (std::is_same_v<T, domain::wallet::held>) {
          b.held += units;
        } else if constexpr (std::is_same_v<T, domain::wallet::hold_posted>) {
          b.held -= units;
          b.debits += units;
        } else if constexpr (std::is_same_v<T, domain::wallet::hold_voided>) {
          b.held -= units;
        } else {
          static_assert(always_false<T>, "balances: unhandled wallet event");
        }
      },
      *ev);
  b.events += 1;
  b.last_seq = r.seq;
}

// ---- users ----

void users::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::user::event>(&e);
  if (ev == nullptr) {
    return;
  }
  // Reading the common id decides nothing; what each event means is named below.
  const auto id = std::visit([](const auto& x) { return x.id; }, *ev);
  user_row& u = row(padded_key(static_cast<std::uint64_t>(id.value())).view());
  std::visit(overload{
                 [&](const domain::user::registered& x) {
                   u.username = x.username;
                   u.registered_at_us = r.recorded_at_us;
                 },
                 [&](const domain::user::referrer_linked& x) { u.referrer = x.referrer.value(); },
                 [&](const domain::user::banned& x) {
                   u.banned = true;
                   u.ban_reason = x.reason;
                 },
                 [&](const domain::user::unbanned&) {
                   u.banned = false;
                   u.ban_reason.clear();
                 },
                 // No users column: the address is in deposit_addresses. The row is still
                 // touched (as before), which only a registered user's row can be.
                 [&](const domain::user::deposit_address_assigned&) {},
             },
             *ev);
}

// ---- referrals ----

status referrals::check_loaded(const std::string& key, const referral_row& r) const {
  if (key != padded(static_cast<std::uint64_t>(r.referrer))) {
    return make_error(errc::event_decode_failed,
                      "referrer_id " + std::to_string(r.referrer) + " does not match the row's key");
  }
  return {};
}

void referrals::after_load(const std::string&, const referral_row& r) {
  board_.insert({r.earnings, r.referrer});
}

void referrals::apply(const eventstore::record_view& r, const any_event& e) {
  std::int64_t referrer = 0;
  u128 earned = 0;
  bool referee = false;
  if (const auto* linked = as<domain::user::event, domain::user::referrer_linked>(e)) {
    referrer = linked->referrer.value();
    referee = true;
  } else if (const auto* credit = as<domain::wallet::event, domain::wallet::credited>(e)) {
    if (credit->kind != "commission" || credit->value.currency() != domain::asset::usdt) {
      return;
    }
    auto key = domain::parse_wallet_stream(r.stream);
    if (!key || key->owner.type != domain::wallet_owner::kind::user) {
      return;
    }
    referrer = key->owner.id;
    earned = credit->value.units();
  } else {
    return;
  }
  referral_row& row_ref = row(padded_key(static_cast<std::uint64_t>(referrer)).view());
  const bool fresh = row_ref.referrer == 0;
  row_ref.referrer = referrer;
  row_ref.referees += referee ? 1 : 0;
  if (earned != 0 || fresh) {
    // Only earnings move a referrer on the leaderboard (and between tiers).
    referral_row before = row_ref;
    row_ref.earnings += earned;
    row_ref.tier = tier_of(row_ref.earnings);
    if (!fresh) {
      board_.erase({before.earnings, before.referrer});
    }
    board_.insert({row_ref.earnings, row_ref.referrer});
  }
}

std::vector<const referral_row*> referrals::leaderboard(std::size_t limit, std::size_t offset) const {
  std::vector<const referral_row*> out;
  std::size_t skipped = 0;
  for (const auto& [earnings, referrer] : board_) {
    if (skipped++ < offset) {
      continue;
    }
    if (out.size() >= limit) {
      break;
    }
    // check_loaded keeps rows and board in step; a missing row is still skipped, not returned
    // for a reader to dereference.
    if (const referral_row* row_found = find(padded(static_cast<std::uint64_t>(referrer)))) {
      out.push_back(row_found);
    }
  }
  return out;
}

std::size_t referrals::rank(std::int64_t referrer) const {
  const referral_row* r = find(padded(static_cast<std::uint64_t>(referrer)));
  if (r == nullptr) {
    return 0;
  }
  std::size_t rank = 1;
  for (const auto& entry : board_) {
    if (entry.second == referrer) {
      return rank;
    }
    ++rank;
  }
  return 0;
}

// ---- subscriptions ----

void subscriptions::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::subscription::event>(&e);
  if (ev == nullptr) {
    return;
  }
  const std::string_view rest = after(r.stream, "subscription-");
  const auto dash = rest.find('-');
  const auto user = to_i64(rest.substr(0, dash));
  const auto channel = dash == std::string_view::npos ? std::nullopt : to_i64(rest.substr(dash + 1));
  if (!user || !channel) {
    return;
  }
  const std::string key = std::to_string(*user) + ":" + std::to_string(*channel);
  subscription_row& s = row(key);
  const std::int64_t old_expiry = s.expires_at_us;
  s.user = *user;
  s.channel = *channel;
  std::visit(overload{
                 [&](const domain::subscription::activated& a) {
                   s.tier = a.tier;
                   s.expires_at_us = a.expires_at_us;
                   s.purchases += 1;
                   s.expiry_recorded = false;
                   s.reminded_days_before = 0;
                 },
                 [&](const domain::subscription::reminded& rem) { s.reminded_days_before = rem.days_before; },
                 [&](const domain::subscription::expired&) { s.expiry_recorded = true; },
                 [&](const domain::subscription::shortened& sh) { s.expires_at_us = sh.expires_at_us; },
             },
             *ev);
  index(key, old_expiry, s);
}

void subscriptions::index(const std::string& key, std::int64_t old_expiry, const subscription_row& row) {
  by_expiry_.erase({old_expiry, key});
  if (!row.expiry_recorded && row.expires_at_us != 0) {
    by_expiry_.emplace(row.expires_at_us, key);
  }
}

void subscriptions::after_load(const std::string& key, const subscription_row& row) {
  index(key, row.expires_at_us, row);
}

std::vector<due_subscription> subscriptions::due(std::int64_t now_us, std::size_t limit) const {
  std::vector<due_subscription> out;
  const std::int64_t horizon = now_us + 3 * domain::subscription::day_us;
  for (const auto& [expires, key] : by_expiry_) {
    if (expires > horizon || out.size() >= limit) {
      break;
    }
    const subscription_row* row = find(key);
    if (row == nullptr) continue;
    const auto kind = domain::subscription::due(row->expires_at_us, row->reminded_days_before,
                                                row->expiry_recorded, now_us);
    if (kind != domain::subscription::due_kind::none) {
      out.push_back(due_subscription{row->user, row->channel, kind});
    }
  }
  return out;
}

// ---- channels ----

void channels::apply(const eventstore::record_view& r, const any_event& e) {
  if (const auto* ev = std::get_if<domain::channel::event>(&e)) {
    const auto id = to_i64(after(r.stream, "channel-"));
    if (!id) {
      return;
    }
    channel_row& c = row(std::to_string(*id));
    c.channel = *id;
    // The row has no tier, donation, strategy or address columns: those events only touch it.
    std::visit(overload{
                   [&](const domain::channel::registered& reg) {
                     c.owner = reg.owner.value();
                     c.title = reg.title;
                   },
                   [&](const domain::channel::tiers_set&) {},
                   [&](const domain::channel::donations_set&) {},
                   [&](const domain::channel::payout_strategy_set&) {},
                   [&](const domain::channel::payout_address_changed&) {},
                   [&](const domain::channel::payout_address_change_requested&) {},
                   [&](const domain::channel::disabled&) { c.disabled = true; },
                   [&](const domain::channel::enabled&) { c.disabled = false; },
               },
               *ev);
    return;
  }
  if (const auto* ev = std::get_if<domain::payout::event>(&e)) {
    const auto id = to_i64(after(r.stream, "payout-"));
    if (!id) {
      return;
    }
    // batched is lifetime: a batch that fails for good and is batched again counts twice.
    std::visit(overload{
                   [&](const domain::payout::accrued& a) { row(std::to_string(*id)).accrued += a.value.units(); },
                   [&](const domain::payout::batched& b) { row(std::to_string(*id)).batched += b.value.units(); },
                   [&](const domain::payout::submitted&) {},
                   [&](const domain::payout::confirmed&) {},
                   [&](const domain::payout::failed&) {},
                   [&](const domain::payout::retried&) {},
                   [&](const domain::payout::accrual_reversed& a) {
                     auto& accrued = row(std::to_string(*id)).accrued;
                     accrued -= std::min(accrued, a.value.units());  // net of refunds
                   },
               },
               *ev);
    return;
  }
  const auto* w = std::get_if<domain::wallet::event>(&e);
  if (w == nullptr) {
    return;
  }
  auto key = domain::parse_wallet_stream(r.stream);
  if (!key || key->owner.type != domain::wallet_owner::kind::channel ||
      key->currency != domain::asset::usdt) {
    return;
  }
  const std::string id = std::to_string(key->owner.id);
  std::visit(overload{
                 [&](const domain::wallet::credited& credit) {
                   channel_row& c = row(id);
                   c.channel = key->owner.id;
                   c.revenue += credit.value.units();
                   // Only the purchase flow credits channel wallets: "sale" or "donation".
                   if (credit.kind == "donation") {
                     c.donations += credit.value.units();
                   } else {
                     c.sales += 1;
                   }
                 },
                 [&](const domain::wallet::hold_posted& posted) {
                   channel_row& c = row(id);
                   c.channel = key->owner.id;
                   c.paid += posted.value.units();
                 },
                 [&](const domain::wallet::debited&) {},
                 [&](const domain::wallet::held&) {},
                 [&](const domain::wallet::hold_voided&) {},
             },
             *w);
}

// ---- payouts ----

void payouts::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::payout::event>(&e);
  if (ev == nullptr) {
    return;
  }
  const auto channel = to_i64(after(r.stream, "payout-"));
  if (!channel) {
    return;
  }
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, domain::payout::accrued> ||
                      std::is_same_v<T, domain::payout::accrual_reversed>) {
          return;
        } else if constexpr (std::is_same_v<T, domain::payout::batched> ||
                             std::is_same_v<T, domain::payout::submitted> ||
                             std::is_same_v<T, domain::payout::confirmed> ||
                             std::is_same_v<T, domain::payout::failed> ||
                             std::is_same_v<T, domain::payout::retried>) {
          payout_row& p = row(x.batch_id);
          p.channel = *channel;
          p.batch = x.batch_id;
          p.updated_at_us = r.recorded_at_us;
          if constexpr (std::is_same_v<T, domain::payout::batched>) {
            p.created_at_us = r.recorded_at_us;
            p.value = x.value.units();
            p.address = x.address;
            p.status = "created";
          } else if constexpr (std::is_same_v<T, domain::payout::submitted>) {
            p.status = "submitted";
            p.tx_hash = x.tx_hash;
          } else if constexpr (std::is_same_v<T, domain::payout::confirmed>) {
            p.status = "confirmed";
          } else if constexpr (std::is_same_v<T, domain::payout::failed>) {
            p.status = x.final ? "failed_final" : "failed";
          } else if constexpr (std::is_same_v<T, domain::payout::retried>) {
            p.status = "created";
            p.attempts = x.attempt;
            p.tx_hash.clear();
          } else {
            static_assert(always_false<T>, "payouts: unhandled batch event");
          }
        } else {
          static_assert(always_false<T>, "payouts: unhandled payout event");
        }
      },
      *ev);
}

// ---- processes ----

void processes::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::process::event>(&e);
  if (ev == nullptr) {
    return;
  }
  const std::string_view key_text = after(r.stream, "process-");
  const auto dash = key_text.find('-');
  if (dash == std::string_view::npos) {
    return;
  }
  const std::string kind(key_text.substr(0, dash));
  const std::string id(key_text.substr(dash + 1));
  process_row& p = row(kind + ":" + id);
  p.kind = kind;
  p.id = id;
  std::visit(overload{
                 [&](const domain::process::started& s) {
                   p.status = "started";
                   p.started_at_us = r.recorded_at_us;
                   if (kind == "purchase") {
                     if (auto intent = domain::process::purchase_intent::from_json(s.intent)) {
                       p.user = intent->buyer.value();
                       p.value = intent->paid.units();
                     }
                   } else if (kind == "refund") {
                     if (auto intent = domain::process::refund_intent::from_json(s.intent)) {
                       p.user = intent->purchase.buyer.value();
                       p.value = intent->purchase.paid.units();  // what goes back to the buyer
                     }
                   } else if (kind == "deposit") {
                     if (auto intent = domain::process::deposit_intent::from_json(s.intent)) {
                       p.user = intent->user.value();
                       p.value = intent->value.units();
                     }
                   }
                 },
                 [&](const domain::process::completed&) {
                   p.status = "completed";
                   p.ended_at_us = r.recorded_at_us;
                 },
                 [&](const domain::process::failed& f) {
                   p.status = "failed";
                   p.ended_at_us = r.recorded_at_us;
                   p.failure_code = f.code;
                   p.failure_reason = f.reason;
                 },
             },
             *ev);
}

// ---- manual deposits ----

void manual_deposits::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::manual_deposit::event>(&e);
  if (ev == nullptr) {
    return;
  }
  manual_deposit_row& m = row(after(r.stream, "manual-deposit-"));
  std::visit(overload{
                 [&](const domain::manual_deposit::requested& req) {
                   m.user = req.user.value();
                   m.value = req.value.units();
                   m.reference = req.reference;
                   m.requested_by = req.requested_by;
                   m.status = "requested";
                   m.requested_at_us = r.recorded_at_us;
                 },
                 [&](const domain::manual_deposit::approved& a) {
                   m.status = "approved";
                   m.decided_by = a.approved_by;
                   m.decided_at_us = r.recorded_at_us;
                 },
                 [&](const domain::manual_deposit::rejected& rej) {
                   m.status = "rejected";
                   m.decided_by = rej.rejected_by;
                   m.decided_at_us = r.recorded_at_us;
                 },
             },
             *ev);
}

// ---- tokens ----

void tokens::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::token::event>(&e);
  if (ev == nullptr) {
    return;
  }
  token_row& t = row(after(r.stream, "token-"));
  std::visit(overload{
                 [&](const domain::token::created& c) {
                   t.role = std::string(domain::role_name(c.access));
                   t.secret_sha256 = c.secret_sha256;
                   t.allowed_cidrs = c.allowed_cidrs;
                   t.rate_per_second = c.rate_per_second;
                   t.burst = c.burst;
                   t.label = c.label;
                   t.identity = domain::token::identity(c);
                   t.minted_by = c.by;
                   t.pending = c.pending;
                 },
                 [&](const domain::token::revoked&) { t.revoked = true; },
                 [&](const domain::token::approved&) { t.pending = false; },
             },
             *ev);
}

// ---- coupons ----

void coupons::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::coupon::event>(&e);
  if (ev == nullptr) {
    return;
  }
  coupon_row& c = row(after(r.stream, "coupon-"));
  std::visit(overload{
                 [&](const domain::coupon::created& x) {
                   c.kind = x.type == domain::coupon::kind::percent ? "percent" : "fixed";
                   c.percent_bps = x.percent_bps;
                   c.fixed = x.fixed.units();
                   c.usage_limit = x.usage_limit;
                   c.expires_at_us = x.expires_at_us;
                   c.channel = x.channel ? x.channel->value() : 0;
                   c.tier = x.tier;
                   c.created_by = x.by;
                   c.created_at_us = r.recorded_at_us;
                 },
                 [&](const domain::coupon::redeemed& x) {
                   ++c.uses;
                   c.discount += x.discount.units();  // at most 2^32 uses of a USD price: no overflow
                   c.last_used_at_us = r.recorded_at_us;
                 },
                 [&](const domain::coupon::disabled& x) {
                   c.disabled = true;
                   c.disabled_by = x.by;
                   c.disabled_at_us = r.recorded_at_us;
                 },
             },
             *ev);
}

// ---- blacklist ----

void blacklist::apply(const eventstore::record_view&, const any_event& e) {
  const auto* ev = std::get_if<domain::blacklist::event>(&e);
  if (ev == nullptr) {
    return;
  }
  std::visit(overload{
                 [&](const domain::blacklist::added& a) {
                   const std::string kind(domain::blacklist::kind_name(a.type));
                   row(kind + ":" + a.value) = blacklist_row{kind, a.value, a.reason, a.by};
                 },
                 [&](const domain::blacklist::removed& rm) {
                   erase(std::string(domain::blacklist::kind_name(rm.type)) + ":" + rm.value);
                 },
             },
             *ev);
}

// ---- chain: deposit addresses, deposits, withdrawals ----

void deposit_addresses::apply(const eventstore::record_view&, const any_event& e) {
  const auto* a = as<domain::user::event, domain::user::deposit_address_assigned>(e);
  if (a == nullptr) {
    return;
  }
  std::string lower = a->address;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  row(std::to_string(a->chain_id) + ":" + lower) = deposit_address_row{a->chain_id, a->address, a->id.value(), a->path};
}

void chain_deposits::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::chain_deposit::event>(&e);
  if (ev == nullptr) {
    return;
  }
  // orphaned / confirmed name their deposit only by stream: "deposit-{chain}-{tx}-{index}".
  const auto row_of_stream = [&]() -> chain_deposit_row* {
    const std::string_view stream = r.stream;
    if (stream.substr(0, 8) != "deposit-") {
      return nullptr;
    }
    const auto first = stream.find('-', 8);
    const auto last = stream.rfind('-');
    if (first == std::string_view::npos || last <= first) {
      return nullptr;
    }
    const std::string key = std::string(stream.substr(8, first - 8)) + ":" +
                            std::string(stream.substr(first + 1, last - first - 1)) + ":" +
                            std::string(stream.substr(last + 1));
    return &row(key);
  };
  std::visit(overload{
                 [&](const domain::chain_deposit::detected& d) {
                   chain_deposit_row& out = row(std::to_string(d.where.chain_id) + ":" + d.where.tx_hash + ":" +
                                                std::to_string(d.where.log_index));
                   out.chain_id = d.where.chain_id;
                   out.tx_hash = d.where.tx_hash;
                   out.log_index = d.where.log_index;
                   out.user = d.seen.user.value();
                   out.value = d.seen.value.units();
                   out.status = "detected";
                   out.block_number = d.seen.block_number;
                   out.block_hash = d.seen.block_hash;
                   out.from = d.seen.from;
                   out.to = d.seen.to;
                 },
                 [&](const domain::chain_deposit::orphaned&) {
                   if (chain_deposit_row* out = row_of_stream()) out->status = "orphaned";
                 },
                 [&](const domain::chain_deposit::confirmed&) {
                   if (chain_deposit_row* out = row_of_stream()) out->status = "confirmed";
                 },
             },
             *ev);
}

void withdrawals::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* ev = std::get_if<domain::withdrawal::event>(&e);
  if (ev == nullptr || std::string_view(r.stream).substr(0, 11) != "withdrawal-") {
    return;
  }
  const std::string id(std::string_view(r.stream).substr(11));
  withdrawal_row& out = row(id);
  out.id = id;
  std::visit(
      [&](const auto& w) {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, domain::withdrawal::requested>) {
          out.user = w.user.value();
          out.value = w.value.units();
          out.address = w.address;
          out.requested_by = w.by;
          out.status = w.needs_approval ? "awaiting_approval" : "approved";
          out.requested_at_us = r.recorded_at_us;
          if (!w.needs_approval) out.decided_at_us = r.recorded_at_us;
        } else if constexpr (std::is_same_v<T, domain::withdrawal::approved>) {
          out.status = "approved";
          out.approved_by = w.by;
          out.decided_at_us = r.recorded_at_us;
        } else if constexpr (std::is_same_v<T, domain::withdrawal::rejected>) {
          out.status = "rejected";
          out.approved_by = w.by;
          out.reason = w.reason;
          out.decided_at_us = r.recorded_at_us;
          out.ended_at_us = r.recorded_at_us;
        } else if constexpr (std::is_same_v<T, domain::withdrawal::completed>) {
          out.status = "completed";
          out.tx_hash = w.tx_hash;
          out.ended_at_us = r.recorded_at_us;
        } else if constexpr (std::is_same_v<T, domain::withdrawal::failed>) {
          out.status = "failed";
          out.reason = w.reason;
          out.tx_hash = w.tx_hash;
          out.ended_at_us = r.recorded_at_us;
        } else if constexpr (std::is_same_v<T, domain::withdrawal::cancelled>) {
          out.status = "cancelled";
          out.reason = w.reason;
          out.ended_at_us = r.recorded_at_us;
        } else {
          static_assert(always_false<T>, "withdrawals: unhandled withdrawal event");
        }
      },
      *ev);
}

// ---- audit log ----

void audit_log::apply(const eventstore::record_view& r, const any_event& e) {
  const auto* rec = as<domain::admin_log::event, domain::admin_log::recorded>(e);
  if (rec == nullptr) {
    return;
  }
  const std::string key = padded(r.seq);
  row(key) = audit_row{rec->token,  rec->method, rec->path,    rec->idempotency_key,
                       rec->request_sha256, rec->status, rec->response, r.recorded_at_us};
  by_request_[{rec->token, rec->method, rec->path, rec->idempotency_key}] = key;
}

void audit_log::after_load(const std::string& key, const audit_row& row_value) {
  by_request_[{row_value.token, row_value.method, row_value.path, row_value.idempotency_key}] = key;
}

const audit_row* audit_log::find_request(const request_scope& scope) const {
  const auto found = by_request_.find(scope);
  return found == by_request_.end() ? nullptr : find(found->second);
}

// ---- invoices ----

namespace {

/// The row of payment `id` on an invoice, added when new.
invoice_payment_row& payment_row(invoice_row& invoice, std::uint64_t id) {
  auto found = std::find_if(invoice.payments.begin(), invoice.payments.end(),
                            [&](const invoice_payment_row& x) { return x.payment_id == id; });
  if (found != invoice.payments.end()) return *found;
  invoice.payments.push_back(invoice_payment_row{});
  invoice.payments.back().payment_id = id;
  return invoice.payments.back();
}

}  // namespace

void invoices::apply(const eventstore::record_view& r, const any_event& e) {
  if (const auto* ev = std::get_if<domain::invoice::event>(&e)) {
    const std::string order(after(r.stream, "invoice-"));
    invoice_row& row_ = row(order);
    row_.order_id = order;
    row_.updated_at_us = r.recorded_at_us;
    std::visit(overload{
                   [&](const domain::invoice::created& c) {
                     row_.user = c.terms.buyer.value();
                     row_.channel = c.terms.channel.value();
                     row_.tier = c.terms.tier;
                     row_.price_cents = c.terms.price.units();
                     row_.credit = c.terms.credit.units();
                     row_.coupon = c.terms.coupon;
                     row_.created_at_us = r.recorded_at_us;
                   },
                   [&](const domain::invoice::linked& l) {
                     row_.provider_invoice_id = l.provider_invoice_id;
                     row_.url = l.url;
                     row_.creation = "linked";
                     row_.creation_note.clear();
                   },
                   [&](const domain::invoice::creation_attempted& a) {
                     row_.attempts = a.attempt;
                     row_.creation = "creating";
                     row_.creation_note.clear();
                   },
                   [&](const domain::invoice::creation_failed& f) {
                     row_.creation = "failed";
                     row_.creation_note = f.reason;
                   },
                   [&](const domain::invoice::late_status_recorded& l) {
                     // The payment's status, action and credit stay as recorded: only the
                     // review record grows (its reconciliation tracking is unchanged: final).
                     invoice_payment_row& found = payment_row(row_, l.reported.payment_id);
                     found.late_statuses.push_back(invoice_late_status_row{
                         std::string(domain::invoice::status_name(l.reported.state)), l.reported.source,
                         r.recorded_at_us});
                   },
                   [&](const domain::invoice::payment_recorded& p) {
                     const auto& rep = p.reported;
                     invoice_payment_row* found = &payment_row(row_, rep.payment_id);
                     found->parent_payment_id = rep.parent_payment_id;
                     found->status = std::string(domain::invoice::status_name(rep.state));
                     if (p.decided != domain::invoice::action::none || found->action.empty()) {
                       found->action = std::string(domain::invoice::action_name(p.decided));
                       found->credit = p.credit.units();
                       found->note = p.note;
                     }
                     found->actually_paid = rep.actually_paid;
                     found->pay_currency = rep.pay_currency;
                     found->source = rep.source;
                     found->updated_at_us = r.recorded_at_us;
                     track(order, *found);
                   },
               },
               *ev);
    return;
  }
  // Settlements: process "payment-{id}" events.
  const auto* pe = std::get_if<domain::process::event>(&e);
  if (pe == nullptr || r.stream.substr(0, 16) != "process-payment-") {
    return;
  }
  std::uint64_t payment_id = 0;
  const std::string_view digits = r.stream.substr(16);
  std::from_chars(digits.data(), digits.data() + digits.size(), payment_id);
  auto order = by_payment_.find(payment_id);
  if (order == by_payment_.end()) {
    return;
  }
  invoice_row& row_ = row(order->second);
  row_.updated_at_us = r.recorded_at_us;
  std::visit(overload{
                 [&](const domain::process::started&) { row_.settlement = "started"; },
                 [&](const domain::process::completed& c) { row_.settlement = "completed: " + c.outcome; },
                 [&](const domain::process::failed& f) { row_.settlement = "failed: " + f.code; },
             },
             *pe);
}

void invoices::track(const std::string& order, const invoice_payment_row& p) {
  by_payment_[p.payment_id] = order;
  auto state = domain::invoice::parse_status(p.status);
  if (state && !domain::invoice::is_final(*state)) {
    open_[p.payment_id] = p.updated_at_us;
  } else {
    open_.erase(p.payment_id);
  }
}

void invoices::after_load(const std::string& key, const invoice_row& r) {
  for (const auto& p : r.payments) {
    track(key, p);
  }
}

std::vector<std::pair<std::string, std::uint64_t>> invoices::unsettled(std::int64_t before_us,
                                                                       std::size_t limit) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& [payment_id, updated_at] : open_) {
    if (out.size() >= limit) break;
    if (updated_at < before_us) {
      out.emplace_back(by_payment_.at(payment_id), payment_id);
    }
  }
  return out;
}

bool invoice_row::review() const {
  return std::any_of(payments.begin(), payments.end(),
                     [](const invoice_payment_row& p) { return p.review(); });
}

std::string invoice_row::status() const {
  if (payments.empty()) return "created";
  const invoice_payment_row* last = &payments.front();
  for (const auto& p : payments) {
    if (p.updated_at_us >= last->updated_at_us) last = &p;
  }
  return last->status;
}

// ---- the set ----

std::vector<projection*> model_set::all() {
  return {&balance, &user, &referral, &subscription, &channel, &payout, &process,
          &manual_deposit, &token, &blocked, &audit, &invoice, &deposit_address, &chain_deposit,
          &withdrawal, &coupon};
}

std::vector<const projection*> model_set::all() const {
  return {&balance, &user, &referral, &subscription, &channel, &payout, &process,
          &manual_deposit, &token, &blocked, &audit, &invoice, &deposit_address, &chain_deposit,
          &withdrawal, &coupon};
}

void model_set::track_changes(bool on) {
  balance.track_changes(on);
  user.track_changes(on);
  referral.track_changes(on);
  subscription.track_changes(on);
  channel.track_changes(on);
  payout.track_changes(on);
  process.track_changes(on);
  manual_deposit.track_changes(on);
  token.track_changes(on);
  blocked.track_changes(on);
  audit.track_changes(on);
  invoice.track_changes(on);
  deposit_address.track_changes(on);
  chain_deposit.track_changes(on);
  withdrawal.track_changes(on);
  coupon.track_changes(on);
}

namespace {

template <class Model>
bool reset_if(Model& model, const projection& p) {
  if (static_cast<const projection*>(&model) != &p) {
    return false;
  }
  const bool tracking = model.tracks_changes();
  model = Model{};
  model.track_changes(tracking);
  return true;
}

}  // namespace

void model_set::reset(const projection& p) {
  const bool found = reset_if(balance, p) || reset_if(user, p) || reset_if(referral, p) ||
                     reset_if(subscription, p) || reset_if(channel, p) || reset_if(payout, p) ||
                     reset_if(process, p) || reset_if(manual_deposit, p) || reset_if(token, p) ||
                     reset_if(blocked, p) || reset_if(audit, p) || reset_if(invoice, p) ||
                     reset_if(deposit_address, p) || reset_if(chain_deposit, p) ||
                     reset_if(withdrawal, p) || reset_if(coupon, p);
  LEDGER_ASSERT(found, "model_set::reset: ", std::string(p.name()), " is not a member of this set");
}

void model_set::settle() {
  for (projection* p : all()) {
    p->settle();
  }
}

status model_set::apply(const eventstore::record_view& record) {
  auto event = decode_any(record);
  if (!event) {
    return make_error(event.code(), "seq " + std::to_string(record.seq) + " (" +
                                        std::string(record.type) + "): " + event.error().message);
  }
  if (std::holds_alternative<std::monostate>(*event)) {
    return {};
  }
  for (projection* p : all()) {
    p->apply(record, *event);
  }
  return {};
}

}  // namespace telepay::projections
