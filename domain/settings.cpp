#include "domain/settings.hpp"

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::domain::settings {
namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

error invalid(std::string_view key, std::string_view why) {
  return make_error(errc::setting_invalid, std::string(key) + ": " + std::string(why));
}

/// The withdrawal limit a key names. REQUIRES: one of the three withdrawal keys.
amount& limit_of(state& s, std::string_view key) {
  if (key == "withdrawal_user_daily_usdt") return s.withdrawal_user_daily_usdt;
  if (key == "withdrawal_operator_daily_usdt") return s.withdrawal_operator_daily_usdt;
  LEDGER_ASSERT(key == "withdrawal_approval_usdt", "not a withdrawal limit: ", key);
  return s.withdrawal_approval_usdt;
}

bool is_control(std::string_view key) {
  return key == "withdrawal_approval_usdt" || key == "withdrawal_user_daily_usdt" ||
         key == "withdrawal_operator_daily_usdt";
}

/// Applies key=value to a copy of the state, validating it.
status apply(state& s, std::string_view key, std::string_view value) {
  if (key == "referral_rate_bps" || key == "platform_fee_bps") {
    const auto bps = parse_int(value);
    if (!bps || *bps < 0 || *bps > 10000) {
      return invalid(key, "must be an integer from 0 to 10000 (basis points, 10000 = 100%)");
    }
    (key == "referral_rate_bps" ? s.referral_rate_bps : s.platform_fee_bps) =
        static_cast<std::uint32_t>(*bps);
    return {};
  }
  if (key == "usd_usdt_rate") {
    auto rate = parse_rate_e8(value);
    if (!rate) {
      return invalid(key, rate.error().message);
    }
    s.usd_usdt_rate_e8 = *rate;
    return {};
  }
  if (key == "hold_timeout_seconds") {
    const auto seconds = parse_int(value);
    if (!seconds || *seconds < 60 || *seconds > 86400) {
      return invalid(key, "must be an integer from 60 to 86400");
    }
    s.hold_timeout_seconds = *seconds;
    return {};
  }
  if (key == "withdrawal_approval_usdt" || key == "withdrawal_user_daily_usdt" ||
      key == "withdrawal_operator_daily_usdt") {
    auto limit = parse_amount(value, asset::usdt);
    if (!limit) {
      return invalid(key, limit.error().message);
    }
    limit_of(s, key) = *limit;
    return {};
  }
  if (key == "withdrawal_min_usdt") {
    auto minimum = parse_amount(value, asset::usdt);
    if (!minimum || minimum->is_zero()) {
      return invalid(key, "must be a positive USDT amount (a withdrawal smaller than it is refused)");
    }
    s.withdrawal_min_usdt = *minimum;
    return {};
  }
  return make_error(errc::setting_unknown, "unknown setting '" + utf8_prefix(key, 64) + "'");
}

}  // namespace

void changed::write(json_object_writer& w) const {
  if (!approved_by.empty()) {  // optional: absent for changes that needed no second admin
    w.str("approved_by", approved_by);
  }
  w.str("by", by).str("key", key).str("value", value);
}
result<changed> changed::read(const json_value& v) {
  changed out;
  if (v.has("approved_by")) {
    TELEPAY_TRY(approver, v.str("approved_by"));
    out.approved_by = std::move(approver);
  }
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(key, v.str("key"));
  TELEPAY_TRY(value, v.str("value"));
  out.key = std::move(key);
  out.value = std::move(value);
  out.by = std::move(by);
  return out;
}

void change_requested::write(json_object_writer& w) const {
  w.str("by", by).str("key", key).str("value", value);
}
result<change_requested> change_requested::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(key, v.str("key"));
  TELEPAY_TRY(value, v.str("value"));
  return change_requested{std::move(key), std::move(value), std::move(by)};
}

result<bool> weakens(const state& s, std::string_view key, std::string_view value) {
  state next = s;
  TELEPAY_CHECK(apply(next, key, value));
  if (!is_control(key)) {
    return false;
  }
  state current = s;
  return limit_of(next, key).units() > limit_of(current, key).units();
}

std::string_view description(std::string_view key) {
  if (key == "hold_timeout_seconds") return "seconds a purchase's or transfer's hold lasts before it may be voided";
  if (key == "platform_fee_bps") return "platform fee on each payment, in basis points (1000 = 10%)";
  if (key == "referral_rate_bps") {
    return "referral commission on money a referee brings in (deposits, purchases paid by invoice), in basis "
           "points (300 = 3%)";
  }
  if (key == "usd_usdt_rate") return "USDT paid per USD of a price (decimal, 8 places)";
  if (key == "withdrawal_approval_usdt") return "USDT above which one withdrawal waits for a second operator";
  if (key == "withdrawal_min_usdt") return "the smallest withdrawal in USDT (smaller ones are refused before anything is held)";
  if (key == "withdrawal_operator_daily_usdt") {
    return "USDT of withdrawals one operator may request within 24 hours before a second operator approves";
  }
  if (key == "withdrawal_user_daily_usdt") {
    return "USDT one user may withdraw within 24 hours before a second operator approves";
  }
  return "";
}

result<std::string> get(const state& s, std::string_view key) {
  if (key == "referral_rate_bps") return std::to_string(s.referral_rate_bps);
  if (key == "platform_fee_bps") return std::to_string(s.platform_fee_bps);
  if (key == "usd_usdt_rate") return format_rate_e8(s.usd_usdt_rate_e8);
  if (key == "hold_timeout_seconds") return std::to_string(s.hold_timeout_seconds);
  if (key == "withdrawal_approval_usdt") return format_amount(s.withdrawal_approval_usdt);
  if (key == "withdrawal_user_daily_usdt") return format_amount(s.withdrawal_user_daily_usdt);
  if (key == "withdrawal_operator_daily_usdt") return format_amount(s.withdrawal_operator_daily_usdt);
  if (key == "withdrawal_min_usdt") return format_amount(s.withdrawal_min_usdt);
  return make_error(errc::setting_unknown, "unknown setting '" + utf8_prefix(key, 64) + "'");
}

namespace {

status check_who(std::string_view by) {
  if (by.empty() || by.size() > 128 || !is_valid_utf8(by)) {
    return make_error(errc::invalid_argument, "by must name who changes the setting");
  }
  return {};
}

/// The state after key=value, checked against the rules across keys.
result<state> next_state(const state& s, std::string_view key, std::string_view value) {
  state next = s;
  TELEPAY_CHECK(apply(next, key, value));
  if (next.referral_rate_bps + next.platform_fee_bps > 10000) {
    return invalid(key, "platform fee plus referral rate must not exceed 100%");
  }
  return next;
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const set& cmd) -> decision {
            TELEPAY_CHECK(check_who(cmd.by));
            TELEPAY_TRY(next, next_state(s, cmd.key, cmd.value));
            // Store the canonical text so that replay gives the same value whatever the spelling.
            TELEPAY_TRY(canonical, get(next, cmd.key));
            TELEPAY_TRY(weaker, weakens(s, cmd.key, cmd.value));
            if (weaker && cmd.second_admin_required) {
              const auto pending = s.pending.find(cmd.key);
              if (pending != s.pending.end() && pending->second == pending_change{canonical, cmd.by}) {
                return std::vector<event>{};  // asked for already
              }
              return std::vector<event>{change_requested{cmd.key, canonical, cmd.by}};
            }
            if (next == s) {
              return std::vector<event>{};
            }
            return std::vector<event>{changed{cmd.key, canonical, cmd.by, ""}};
          },
          [&](const approve& cmd) -> decision {
            TELEPAY_CHECK(check_who(cmd.by));
            TELEPAY_TRY(next, next_state(s, cmd.key, cmd.value));
            TELEPAY_TRY(canonical, get(next, cmd.key));
            const auto pending = s.pending.find(cmd.key);
            if (pending == s.pending.end() || pending->second.value != canonical) {
              return make_error(errc::approval_state_invalid,
                                "no change of " + utf8_prefix(cmd.key, 64) + " to " + canonical + " waits for approval");
            }
            if (pending->second.by == cmd.by) {
              return make_error(errc::approval_same_operator,
                                "the change of " + cmd.key + " needs another admin than the one who asked");
            }
            return std::vector<event>{changed{cmd.key, canonical, pending->second.by, cmd.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const changed& ev) {
                   const auto applied = apply(s, ev.key, ev.value);
                   LEDGER_ASSERT(applied.has_value(), "stored setting does not apply: ", ev.key, "=", ev.value);
                   s.pending.erase(ev.key);
                 },
                 [&](const change_requested& ev) { s.pending[ev.key] = pending_change{ev.value, ev.by}; },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::settings
