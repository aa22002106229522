#include "domain/coupon.hpp"

#include <algorithm>

#include "domain/base/visit.hpp"

namespace telepay::domain::coupon {
namespace {

std::string_view kind_name(kind k) { return k == kind::percent ? "percent" : "fixed"; }

result<kind> parse_kind(std::string_view text) {
  if (text == "percent") return kind::percent;
  if (text == "fixed") return kind::fixed;
  return make_error(errc::coupon_invalid, "coupon kind must be 'percent' or 'fixed'");
}

status check_terms(const create& c, std::int64_t now_us) {
  if (c.type == kind::percent && (c.percent_bps == 0 || c.percent_bps > 10000)) {
    return make_error(errc::coupon_invalid, "a percent coupon takes 1 to 10000 basis points");
  }
  if (c.type == kind::fixed && (c.fixed.currency() != asset::usd || c.fixed.is_zero())) {
    return make_error(errc::coupon_invalid, "a fixed coupon takes a positive USD amount");
  }
  if (c.expires_at_us <= now_us) {
    return make_error(errc::coupon_invalid, "the coupon would expire in the past");
  }
  if (c.tier > 3) {
    return make_error(errc::coupon_invalid, "tier restriction must be 0 (any) or 1-3");
  }
  if (c.by.empty() || c.by.size() > 128) {
    return make_error(errc::invalid_argument, "by must name who creates the coupon");
  }
  return {};
}

}  // namespace

result<std::string> normalize_code(std::string_view code) {
  if (code.size() < 3 || code.size() > 32) {
    return make_error(errc::coupon_invalid, "coupon codes are 3-32 characters");
  }
  std::string out;
  for (char c : code) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return make_error(errc::coupon_invalid, "coupon codes use A-Z 0-9 _ - only");
    }
    out.push_back(c);
  }
  return out;
}

void created::write(json_object_writer& w) const {
  w.str("by", by);
  if (channel) {
    w.i64("channel_id", channel->value());
  }
  w.str("code", code).time("expires_at", expires_at_us).money("fixed", fixed)
      .str("kind", kind_name(type)).u64("percent_bps", percent_bps).u64("tier", tier)
      .u64("usage_limit", usage_limit);
}
result<created> created::read(const json_value& v) {
  created out;
  TELEPAY_TRY(by, v.str("by"));
  out.by = std::move(by);
  if (v.has("channel_id")) {
    TELEPAY_TRY(raw, v.i64("channel_id"));
    TELEPAY_TRY(channel, make_channel_id(raw));
    out.channel = channel;
  }
  TELEPAY_TRY(code, v.str("code"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(fixed, v.money("fixed", asset::usd));
  TELEPAY_TRY(kind_text, v.str("kind"));
  TELEPAY_TRY(type, parse_kind(kind_text));
  TELEPAY_TRY(percent, v.u32("percent_bps"));
  TELEPAY_TRY(tier, v.u32("tier"));
  TELEPAY_TRY(limit, v.u32("usage_limit"));
  out.code = std::move(code);
  out.expires_at_us = expires;
  out.fixed = fixed;
  out.type = type;
  out.percent_bps = percent;
  out.tier = tier;
  out.usage_limit = limit;
  return out;
}

void redeemed::write(json_object_writer& w) const {
  w.money("discount", discount).str("purchase_id", purchase_id).i64("user_id", user.value());
}
result<redeemed> redeemed::read(const json_value& v) {
  TELEPAY_TRY(discount, v.money("discount", asset::usd));
  TELEPAY_TRY(purchase, v.str("purchase_id"));
  TELEPAY_TRY(raw, v.i64("user_id"));
  TELEPAY_TRY(user, make_user_id(raw));
  return redeemed{user, std::move(purchase), discount};
}

void disabled::write(json_object_writer& w) const { w.str("by", by); }
result<disabled> disabled::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  return disabled{std::move(by)};
}

result<amount> quote(const state& s, user_id user, channel_id channel, std::uint32_t tier,
                     const amount& price, std::int64_t now_us) {
  if (!s.exists || s.is_disabled) {
    return make_error(errc::coupon_not_found, "no coupon " + s.code);
  }
  if (now_us >= s.terms.expires_at_us) {
    return make_error(errc::coupon_expired, "coupon " + s.code + " has expired");
  }
  if (s.used_by.contains(user.value())) {
    return make_error(errc::coupon_already_used, "coupon " + s.code + " was already used by this user");
  }
  if (s.terms.usage_limit != 0 && s.uses >= s.terms.usage_limit) {
    return make_error(errc::coupon_exhausted, "coupon " + s.code + " has no uses left");
  }
  if ((s.terms.channel && *s.terms.channel != channel) || (s.terms.tier != 0 && s.terms.tier != tier)) {
    return make_error(errc::coupon_not_applicable, "coupon " + s.code + " does not apply here");
  }
  if (price.currency() != asset::usd) {
    return make_error(errc::asset_mismatch, "coupons discount USD prices");
  }
  if (s.terms.type == kind::percent) {
    return percent_of(price, s.terms.percent_bps);
  }
  return amount(asset::usd, std::min(price.units(), s.terms.fixed.units()));
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const create& cr) -> decision {
            if (s.exists) {
              return make_error(errc::coupon_exists, "coupon " + s.code + " already exists");
            }
            TELEPAY_CHECK(check_terms(cr, now_us));
            return std::vector<event>{created{s.code, cr.type, cr.percent_bps, cr.fixed, cr.usage_limit,
                                              cr.expires_at_us, cr.channel, cr.tier, cr.by}};
          },
          [&](const redeem& r) -> decision {
            if (const auto used = s.used_by.find(r.user.value());
                used != s.used_by.end() && used->second == r.purchase_id) {
              return std::vector<event>{};  // this purchase already redeemed it
            }
            if (!is_token(r.purchase_id, transfer_id_bytes_max)) {
              return make_error(errc::invalid_argument, "purchase id must be a 1-64 character token");
            }
            TELEPAY_TRY(discount, quote(s, r.user, r.channel, r.tier, r.price, now_us));
            return std::vector<event>{redeemed{r.user, r.purchase_id, discount}};
          },
          [&](const disable& d) -> decision {
            if (!s.exists) {
              return make_error(errc::coupon_not_found, "no coupon " + s.code);
            }
            if (d.by.empty() || d.by.size() > 128) {
              return make_error(errc::invalid_argument, "by must name who disables the coupon");
            }
            if (s.is_disabled) {
              return std::vector<event>{};
            }
            return std::vector<event>{disabled{d.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, created>) {
          s.exists = true;
          s.terms = ev;
        } else if constexpr (std::is_same_v<T, redeemed>) {
          s.uses += 1;
          s.used_by[ev.user.value()] = ev.purchase_id;
        } else if constexpr (std::is_same_v<T, disabled>) {
          s.is_disabled = true;
        } else {
          static_assert(always_false<T>, "coupon::evolve: unhandled coupon event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::coupon
