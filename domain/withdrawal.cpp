#include "domain/withdrawal.hpp"

#include <algorithm>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/crypto/eip55.hpp"

namespace telepay::domain::withdrawal {
namespace {

error invalid(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

error bad_state(const state& s, std::string_view wanted) {
  return make_error(errc::withdrawal_state_invalid,
                    "withdrawal " + s.id + " is " + std::string(status_name(s.status)) + ", cannot " +
                        std::string(wanted));
}

status check_text(std::string_view text, std::size_t max, std::string_view what) {
  if (text.empty() || text.size() > max) {
    return invalid(std::string(what) + " must be 1-" + std::to_string(max) + " bytes");
  }
  return {};
}

result<std::vector<event>> decide_request(const state& s, const request& r) {
  if (!is_token(s.id, id_bytes_max)) return invalid("a withdrawal id is 1-48 of A-Z a-z 0-9 _ . : -");
  TELEPAY_CHECK(check_text(r.by, 128, "by"));
  TELEPAY_TRY(address, parse_evm_address(r.address));
  if (address == "0x0000000000000000000000000000000000000000") {
    return make_error(errc::payout_address_invalid, "the zero address burns what it receives");
  }
  if (r.value.currency() != asset::usdt || r.value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "a withdrawal is a positive USDT amount");
  }
  if (r.user.value() <= 0) return make_error(errc::user_id_invalid, "a withdrawal belongs to a user");
  if (s.status != status_kind::none) {
    if (s.user == r.user && s.value == r.value && s.address == address) return std::vector<event>{};
    return invalid("withdrawal " + s.id + " exists with other terms");
  }
  if (!r.minimum.is_zero() && r.value.units() < r.minimum.units()) {
    return make_error(errc::withdrawal_below_minimum,
                      "the smallest withdrawal is " + format_amount(r.minimum) + " USDT");
  }
  std::string reason = r.approval_reason;
  if (reason.empty() && r.value.units() > r.approval_limit.units()) {
    reason = "above the per-request limit of " + format_amount(r.approval_limit) + " USDT";
  }
  if (reason.size() > 256 || !is_valid_utf8(reason)) return invalid("an approval reason is at most 256 bytes");
  const bool needs = !reason.empty();
  return std::vector<event>{requested{r.user, r.value, address, r.by, needs, std::move(reason)}};
}

void write_facts(json_object_writer& w, const outcome_facts& f) {
  w.str("address", f.address).money("amount", f.value).str("asset", asset_code(f.value.currency()));
}

result<outcome_facts> read_facts(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(user, v.i64("user"));
  return outcome_facts{user_id(user), value, std::move(address)};
}

outcome_facts facts_of(const state& s) { return outcome_facts{s.user, s.value, s.address}; }

}  // namespace

std::string stream(std::string_view id) { return "withdrawal-" + std::string(id); }
std::string hold_id(std::string_view id) { return "wd-" + std::string(id); }

std::string_view status_name(status_kind s) {
  switch (s) {
    case status_kind::none: return "none";
    case status_kind::awaiting_approval: return "awaiting_approval";
    case status_kind::approved: return "approved";
    case status_kind::rejected: return "rejected";
    case status_kind::completed: return "completed";
    case status_kind::failed: return "failed";
    case status_kind::cancelled: return "cancelled";
  }
  return "";
}

bool is_final(status_kind s) {
  return s == status_kind::rejected || s == status_kind::completed || s == status_kind::failed ||
         s == status_kind::cancelled;
}

void requested::write(json_object_writer& w) const {
  w.str("address", address).money("amount", value);
  if (!approval_reason.empty()) {  // optional: absent in requests recorded before the reasons
    w.str("approval_reason", approval_reason);
  }
  w.str("asset", asset_code(value.currency())).str("by", by).boolean("needs_approval", needs_approval)
      .i64("user", user.value());
}

result<requested> requested::read(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  std::string reason;
  if (v.has("approval_reason")) {
    TELEPAY_TRY(text, v.str("approval_reason"));
    reason = std::move(text);
  }
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(needs, v.boolean("needs_approval"));
  TELEPAY_TRY(user, v.i64("user"));
  return requested{user_id(user), value, std::move(address), std::move(by), needs, std::move(reason)};
}

void approved::write(json_object_writer& w) const { w.str("by", by); }
result<approved> approved::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  return approved{std::move(by)};
}

void rejected::write(json_object_writer& w) const {
  write_facts(w, facts);
  w.str("by", by).str("reason", reason).i64("user", facts.user.value());
}
result<rejected> rejected::read(const json_value& v) {
  TELEPAY_TRY(facts, read_facts(v));
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(reason, v.str("reason"));
  return rejected{std::move(facts), std::move(by), std::move(reason)};
}

void completed::write(json_object_writer& w) const {
  write_facts(w, facts);
  w.str("tx_hash", tx_hash).i64("user", facts.user.value());
}
result<completed> completed::read(const json_value& v) {
  TELEPAY_TRY(facts, read_facts(v));
  TELEPAY_TRY(tx, v.str("tx_hash"));
  return completed{std::move(facts), std::move(tx)};
}

void failed::write(json_object_writer& w) const {
  write_facts(w, facts);
  if (nothing_held) w.boolean("nothing_held", true);  // optional: absent in older events
  w.str("reason", reason).str("tx_hash", tx_hash).i64("user", facts.user.value());
}
result<failed> failed::read(const json_value& v) {
  TELEPAY_TRY(facts, read_facts(v));
  bool nothing_held = false;
  if (v.has("nothing_held")) {
    TELEPAY_TRY(flag, v.boolean("nothing_held"));
    nothing_held = flag;
  }
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(tx, v.str("tx_hash"));
  return failed{std::move(facts), std::move(reason), std::move(tx), nothing_held};
}

void cancelled::write(json_object_writer& w) const {
  write_facts(w, facts);
  w.str("by", by).str("reason", reason).i64("user", facts.user.value());
}
result<cancelled> cancelled::read(const json_value& v) {
  TELEPAY_TRY(facts, read_facts(v));
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(reason, v.str("reason"));
  return cancelled{std::move(facts), std::move(by), std::move(reason)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (const auto* r = std::get_if<request>(&c)) return decide_request(s, *r);
  if (s.status == status_kind::none) return make_error(errc::withdrawal_not_found, "no withdrawal " + s.id);
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const request&) -> decision { return std::vector<event>{}; },  // handled above
          [&](const approve& a) -> decision {
            TELEPAY_CHECK(check_text(a.by, 128, "by"));
            if (s.status == status_kind::approved && s.approved_by == a.by) return std::vector<event>{};
            if (s.status != status_kind::awaiting_approval) return bad_state(s, "be approved");
            if (a.by == s.requested_by) {
              return make_error(errc::approval_same_operator, "withdrawal " + s.id + " needs another operator's approval");
            }
            return std::vector<event>{approved{a.by}};
          },
          [&](const reject& r) -> decision {
            TELEPAY_CHECK(check_text(r.by, 128, "by"));
            TELEPAY_CHECK(check_text(r.reason, 256, "reason"));
            if (s.status == status_kind::rejected) return std::vector<event>{};
            if (s.status != status_kind::awaiting_approval) return bad_state(s, "be rejected");
            return std::vector<event>{rejected{facts_of(s), r.by, r.reason}};
          },
          [&](const cancel& x) -> decision {
            TELEPAY_CHECK(check_text(x.by, 128, "by"));
            TELEPAY_CHECK(check_text(x.reason, 256, "reason"));
            if (!is_operator(x.by) && x.by != telegram_identity(s.user)) {
              return make_error(errc::withdrawal_not_found, "no withdrawal " + s.id);
            }
            if (s.status == status_kind::cancelled) return std::vector<event>{};
            if (s.status != status_kind::awaiting_approval && s.status != status_kind::approved) {
              return bad_state(s, "be cancelled");
            }
            return std::vector<event>{cancelled{facts_of(s), x.by, x.reason}};
          },
          [&](const complete& d) -> decision {
            if (s.status == status_kind::completed) return std::vector<event>{};
            if (s.status != status_kind::approved) return bad_state(s, "complete");
            if (d.tx_hash.empty()) return invalid("a completed withdrawal names its transaction");
            return std::vector<event>{completed{facts_of(s), d.tx_hash}};
          },
          [&](const fail& f) -> decision {
            if (is_final(s.status)) return std::vector<event>{};
            TELEPAY_CHECK(check_text(f.reason, 300, "reason"));
            return std::vector<event>{failed{facts_of(s), f.reason, f.tx_hash, f.nothing_held}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, requested>) {
          s.user = ev.user;
          s.value = ev.value;
          s.address = ev.address;
          s.requested_by = ev.by;
          s.needs_approval = ev.needs_approval;
          s.approval_reason = ev.approval_reason;
          s.status = ev.needs_approval ? status_kind::awaiting_approval : status_kind::approved;
        } else if constexpr (std::is_same_v<T, approved>) {
          s.status = status_kind::approved;
          s.approved_by = ev.by;
        } else if constexpr (std::is_same_v<T, rejected>) {
          s.status = status_kind::rejected;
          s.reason = ev.reason;
        } else if constexpr (std::is_same_v<T, completed>) {
          s.status = status_kind::completed;
          s.tx_hash = ev.tx_hash;
        } else if constexpr (std::is_same_v<T, failed>) {
          s.status = status_kind::failed;
          s.reason = ev.reason;
          s.tx_hash = ev.tx_hash;
        } else if constexpr (std::is_same_v<T, cancelled>) {
          s.status = status_kind::cancelled;
          s.reason = ev.reason;
        } else {
          static_assert(always_false<T>, "withdrawal::evolve: unhandled withdrawal event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

namespace {
/// Totals are limits to compare with: past 2^128 they are simply "over".
u128 saturating_add(u128 a, u128 b) { return checked_add(a, b).value_or(u128_max); }
}  // namespace

bool is_operator(std::string_view by) { return by.starts_with("op:") || by.starts_with("token:"); }

void rolling_totals::add(counted c) {
  prune(c.at_us);
  remove(c.id);
  entries_.push_back(std::move(c));
}

void rolling_totals::remove(std::string_view id) {
  std::erase_if(entries_, [&](const counted& c) { return c.id == id; });
}

bool rolling_totals::contains(std::string_view id) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const counted& c) { return c.id == id; });
}

void rolling_totals::prune(std::int64_t now_us) {
  std::erase_if(entries_, [&](const counted& c) { return c.at_us <= now_us - window_us; });
}

u128 rolling_totals::user_total(user_id user, std::int64_t now_us) const {
  u128 total = 0;
  for (const counted& c : entries_) {
    if (c.user == user && c.at_us > now_us - window_us) total = saturating_add(total, c.units);
  }
  return total;
}

u128 rolling_totals::operator_total(std::string_view by, std::int64_t now_us) const {
  u128 total = 0;
  for (const counted& c : entries_) {
    if (c.by == by && c.at_us > now_us - window_us) total = saturating_add(total, c.units);
  }
  return total;
}

std::string rolling_totals::reason_for(user_id user, std::string_view by, u128 units, std::int64_t now_us,
                                       const amount& user_daily, const amount& operator_daily) const {
  const u128 for_user = saturating_add(user_total(user, now_us), units);
  if (for_user > user_daily.units()) {
    return "user " + std::to_string(user.value()) + " would withdraw " +
           format_amount(amount(asset::usdt, for_user)) + " USDT within 24 hours (limit " +
           format_amount(user_daily) + ")";
  }
  if (is_operator(by)) {
    const u128 for_operator = saturating_add(operator_total(by, now_us), units);
    if (for_operator > operator_daily.units()) {
      return utf8_prefix(by, 80) + " would request " + format_amount(amount(asset::usdt, for_operator)) +
             " USDT of withdrawals within 24 hours (limit " + format_amount(operator_daily) + ")";
    }
  }
  return "";
}

}  // namespace telepay::domain::withdrawal
