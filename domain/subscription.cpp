#include "domain/subscription.hpp"

#include <algorithm>

#include "domain/base/visit.hpp"

namespace telepay::domain::subscription {
namespace {

result<std::int64_t> read_optional_time(const json_value& v, std::string_view key) {
  if (!v.has(key)) {
    return std::int64_t{0};
  }
  return v.time(key);
}

}  // namespace

void activated::write(json_object_writer& w) const {
  w.u64("days", days).time("expires_at", expires_at_us);
  if (previous_expires_at_us != 0) {
    w.time("previous_expires_at", previous_expires_at_us);
  }
  w.str("purchase_id", purchase_id).u64("tier", tier);
}
result<activated> activated::read(const json_value& v) {
  TELEPAY_TRY(days, v.u32("days"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(previous, read_optional_time(v, "previous_expires_at"));
  TELEPAY_TRY(purchase, v.str("purchase_id"));
  TELEPAY_TRY(tier, v.u32("tier"));
  return activated{std::move(purchase), tier,
                   days, previous, expires};
}

void reminded::write(json_object_writer& w) const {
  w.u64("days_before", days_before).time("expires_at", expires_at_us);
}
result<reminded> reminded::read(const json_value& v) {
  TELEPAY_TRY(days, v.u32("days_before"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  return reminded{days, expires};
}

void expired::write(json_object_writer& w) const { w.time("expires_at", expires_at_us); }
result<expired> expired::read(const json_value& v) {
  TELEPAY_TRY(expires, v.time("expires_at"));
  return expired{expires};
}

void shortened::write(json_object_writer& w) const {
  w.u64("days", days).time("expires_at", expires_at_us).time("previous_expires_at", previous_expires_at_us)
      .str("purchase_id", purchase_id).str("reason", reason);
}
result<shortened> shortened::read(const json_value& v) {
  TELEPAY_TRY(days, v.u32("days"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(previous, v.time("previous_expires_at"));
  TELEPAY_TRY(purchase, v.str("purchase_id"));
  TELEPAY_TRY(reason, v.str("reason"));
  return shortened{std::move(purchase), days, previous, expires, std::move(reason)};
}

namespace {

result<std::vector<event>> decide_shorten(const state& s, const shorten& c) {
  if (s.refunded.contains(c.purchase_id)) {
    return std::vector<event>{};
  }
  if (!s.purchases.contains(c.purchase_id)) {
    return make_error(errc::refund_refused, "purchase " + c.purchase_id + " did not extend this subscription");
  }
  if (c.days == 0 || c.days > 3650) {
    return make_error(errc::invalid_argument, "a refund takes back 1-3650 days");
  }
  if (c.reason.empty() || c.reason.size() > 500) {
    return make_error(errc::invalid_argument, "a refund needs a reason of 1-500 bytes");
  }
  // expires_at_us >= days * day_us for any activation since 1970; 1 keeps "never subscribed"
  // (0) distinct for a subscription shortened to nothing.
  const std::int64_t until = std::max<std::int64_t>(1, s.expires_at_us - static_cast<std::int64_t>(c.days) * day_us);
  return std::vector<event>{shortened{c.purchase_id, c.days, s.expires_at_us, until, c.reason}};
}

result<std::vector<event>> decide_activate(const state& s, const activate& a, std::int64_t now_us) {
  if (!is_token(a.purchase_id, transfer_id_bytes_max)) {
    return make_error(errc::invalid_argument, "purchase id must be a 1-64 character token");
  }
  if (a.days == 0 || a.days > 3650 || a.tier == 0) {
    return make_error(errc::tiers_invalid, "activation needs a tier and 1-3650 days");
  }
  if (s.purchases.contains(a.purchase_id)) {
    return std::vector<event>{};  // this purchase already extended the subscription
  }
  const std::int64_t from = std::max(now_us, s.expires_at_us);
  // Paid activations stack without bound; evolve asserts that each one extends the expiry, so
  // the overflow is refused here, where it is still a client's request.
  std::int64_t until = 0;
  if (__builtin_add_overflow(from, static_cast<std::int64_t>(a.days) * day_us, &until) ||
      until > expires_at_us_max) {
    return make_error(errc::invalid_argument, "subscription would expire beyond year 9999");
  }
  return std::vector<event>{activated{a.purchase_id, a.tier, a.days, s.expires_at_us, until}};
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us) {
  using decision = result<std::vector<event>>;
  if (const auto* a = std::get_if<activate>(&c)) {
    return decide_activate(s, *a, now_us);
  }
  if (s.expires_at_us == 0) {
    return make_error(errc::subscription_not_found, "no subscription of user " +
                                                        std::to_string(s.user.value()) +
                                                        " to channel " +
                                                        std::to_string(s.channel.value()));
  }
  return std::visit(
      overload{
          [&](const activate&) -> decision { return std::vector<event>{}; },  // handled above
          [&](const remind&) -> decision {
            const std::int64_t left = s.expires_at_us - now_us;
            if (s.expiry_recorded || left <= 0) {
              return std::vector<event>{};
            }
            if (left <= day_us && !s.reminded_1_day) {
              return std::vector<event>{reminded{1, s.expires_at_us}};
            }
            if (left <= 3 * day_us && !s.reminded_3_days && !s.reminded_1_day) {
              return std::vector<event>{reminded{3, s.expires_at_us}};
            }
            return std::vector<event>{};
          },
          [&](const shorten& cmd) -> decision { return decide_shorten(s, cmd); },
          [&](const expire&) -> decision {
            if (s.expiry_recorded) {
              return std::vector<event>{};
            }
            if (s.expires_at_us > now_us) {
              return make_error(errc::subscription_not_expired,
                                "subscription runs until " + std::to_string(s.expires_at_us));
            }
            return std::vector<event>{expired{s.expires_at_us}};
          },
      },
      c);
}

due_kind due(std::int64_t expires_at_us, std::uint32_t reminded_days_before, bool expiry_recorded,
             std::int64_t now_us) {
  if (expiry_recorded || expires_at_us == 0) {
    return due_kind::none;
  }
  const std::int64_t left = expires_at_us - now_us;
  if (left <= 0) {
    return due_kind::expire;
  }
  if (left <= day_us && reminded_days_before != 1) {
    return due_kind::remind;
  }
  if (left <= 3 * day_us && reminded_days_before == 0) {
    return due_kind::remind;
  }
  return due_kind::none;
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, activated>) {
          LEDGER_ASSERT(ev.expires_at_us > s.expires_at_us, "activation must extend the expiry");
          s.expires_at_us = ev.expires_at_us;
          s.tier = ev.tier;
          s.reminded_3_days = false;
          s.reminded_1_day = false;
          s.expiry_recorded = false;
          s.purchases.insert(ev.purchase_id);
        } else if constexpr (std::is_same_v<T, reminded>) {
          if (ev.days_before == 1) {
            s.reminded_1_day = true;
          }
          s.reminded_3_days = true;
        } else if constexpr (std::is_same_v<T, expired>) {
          s.expiry_recorded = true;
        } else if constexpr (std::is_same_v<T, shortened>) {
          LEDGER_ASSERT(ev.expires_at_us <= s.expires_at_us, "a refund must not extend the subscription");
          s.expires_at_us = ev.expires_at_us;  // an expiry already recorded stays recorded
          s.refunded.insert(ev.purchase_id);
        } else {
          static_assert(always_false<T>, "subscription::evolve: unhandled subscription event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::subscription
