#include "domain/user.hpp"

#include <algorithm>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/crypto/eip55.hpp"

namespace telepay::domain::user {
namespace {

result<user_id> read_user(const json_value& v, std::string_view field) {
  TELEPAY_TRY(raw, v.i64(field));
  return make_user_id(raw);
}

status check_text(std::string_view text, std::size_t max, std::string_view what, bool required) {
  if ((required && text.empty()) || text.size() > max || !is_valid_utf8(text)) {
    return make_error(errc::invalid_argument, std::string(what) + " must be " +
                                                  (required ? "1-" : "0-") + std::to_string(max) +
                                                  " bytes of UTF-8");
  }
  return {};
}

result<std::vector<event>> decide_link(const state& s, const referrer_facts& r) {
  if (s.referrer) {
    if (*s.referrer == r.id) {
      return std::vector<event>{};  // the same link again
    }
    return make_error(errc::referrer_already_set,
                      "user " + std::to_string(s.id.value()) + " already has referrer " +
                          std::to_string(s.referrer->value()));
  }
  if (r.id == s.id) {
    return make_error(errc::self_referral, "a user cannot refer themselves");
  }
  if (!r.is_registered) {
    return make_error(errc::referrer_unknown,
                      "referrer " + std::to_string(r.id.value()) + " is not registered");
  }
  if (std::find(r.ancestors.begin(), r.ancestors.end(), s.id) != r.ancestors.end()) {
    return make_error(errc::referral_cycle, "user " + std::to_string(s.id.value()) +
                                                " is already in the referral chain of " +
                                                std::to_string(r.id.value()));
  }
  if (r.ancestors.size() > referral_depth_max) {
    return make_error(errc::referral_cycle, "referral chain deeper than " +
                                                std::to_string(referral_depth_max));
  }
  return std::vector<event>{referrer_linked{s.id, r.id}};
}

}  // namespace

void registered::write(json_object_writer& w) const {
  w.str("referral_code", referral_code).i64("user_id", id.value()).str("username", username);
}
result<registered> registered::read(const json_value& v) {
  TELEPAY_TRY(code, v.str("referral_code"));
  TELEPAY_TRY(id, read_user(v, "user_id"));
  TELEPAY_TRY(username, v.str("username"));
  return registered{id, std::move(username), std::move(code)};
}

void referrer_linked::write(json_object_writer& w) const {
  w.i64("referrer_id", referrer.value()).i64("user_id", id.value());
}
result<referrer_linked> referrer_linked::read(const json_value& v) {
  TELEPAY_TRY(referrer, read_user(v, "referrer_id"));
  TELEPAY_TRY(id, read_user(v, "user_id"));
  return referrer_linked{id, referrer};
}

void banned::write(json_object_writer& w) const {
  w.str("by", by).str("reason", reason).i64("user_id", id.value());
}
result<banned> banned::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(id, read_user(v, "user_id"));
  return banned{id, std::move(reason), std::move(by)};
}

void unbanned::write(json_object_writer& w) const { w.str("by", by).i64("user_id", id.value()); }
result<unbanned> unbanned::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(id, read_user(v, "user_id"));
  return unbanned{id, std::move(by)};
}

void deposit_address_assigned::write(json_object_writer& w) const {
  w.str("address", address).u64("chain_id", chain_id).str("path", path).i64("user_id", id.value());
}
result<deposit_address_assigned> deposit_address_assigned::read(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(chain_id, v.u64("chain_id"));
  TELEPAY_TRY(path, v.str("path"));
  TELEPAY_TRY(id, read_user(v, "user_id"));
  return deposit_address_assigned{id, chain_id, std::move(address), std::move(path)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (const auto* reg = std::get_if<register_user>(&c)) {
    TELEPAY_CHECK(check_text(reg->username, username_bytes_max, "username", false));
    if (reg->blacklisted) {
      return make_error(errc::blacklisted,
                        "Telegram id " + std::to_string(s.id.value()) + " is blacklisted");
    }
    std::vector<event> out;
    if (!s.is_registered) {
      out.push_back(registered{s.id, reg->username, referral_code_for(s.id)});
    }
    if (reg->referrer && !s.referrer) {
      TELEPAY_TRY(linked, decide_link(s, *reg->referrer));
      out.insert(out.end(), linked.begin(), linked.end());
    }
    return out;
  }
  if (!s.is_registered) {
    return make_error(errc::user_not_registered,
                      "user " + std::to_string(s.id.value()) + " is not registered");
  }
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const register_user&) -> decision { return std::vector<event>{}; },  // handled above
          [&](const link_referrer& link) -> decision { return decide_link(s, link.referrer); },
          [&](const ban& b) -> decision {
            TELEPAY_CHECK(check_text(b.reason, reason_bytes_max, "reason", true));
            TELEPAY_CHECK(check_text(b.by, reason_bytes_max, "by", true));
            if (s.is_banned) {
              return std::vector<event>{};
            }
            return std::vector<event>{banned{s.id, b.reason, b.by}};
          },
          [&](const assign_deposit_address& a) -> decision {
            TELEPAY_TRY(address, parse_evm_address(a.address));
            if (a.chain_id == 0 || a.path.empty() || a.path.size() > 64) {
              return make_error(errc::invalid_argument, "a deposit address needs a chain id and a derivation path");
            }
            const auto known = s.deposit_addresses.find(a.chain_id);
            if (known != s.deposit_addresses.end()) {
              if (known->second == address) return std::vector<event>{};
              return make_error(errc::invalid_argument, "user " + std::to_string(s.id.value()) +
                                                            " already has deposit address " + known->second);
            }
            return std::vector<event>{deposit_address_assigned{s.id, a.chain_id, address, a.path}};
          },
          [&](const unban& u) -> decision {
            TELEPAY_CHECK(check_text(u.by, reason_bytes_max, "by", true));
            if (!s.is_banned) {
              return make_error(errc::user_not_banned, "user " + std::to_string(s.id.value()) + " is not banned");
            }
            return std::vector<event>{unbanned{s.id, u.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        LEDGER_ASSERT(ev.id == s.id, "event of user ", ev.id.value(), " applied to ", s.id.value());
        if constexpr (std::is_same_v<T, registered>) {
          s.is_registered = true;
          s.username = ev.username;
        } else if constexpr (std::is_same_v<T, referrer_linked>) {
          LEDGER_ASSERT(!s.referrer, "referrer linked twice");
          s.referrer = ev.referrer;
        } else if constexpr (std::is_same_v<T, banned>) {
          s.is_banned = true;
          s.ban_reason = ev.reason;
        } else if constexpr (std::is_same_v<T, deposit_address_assigned>) {
          s.deposit_addresses[ev.chain_id] = ev.address;
        } else if constexpr (std::is_same_v<T, unbanned>) {
          s.is_banned = false;
          s.ban_reason.clear();
        } else {
          static_assert(always_false<T>, "user::evolve: unhandled user event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) {
  // User commands are idempotent by their state (a repeat decides no events).
  return "";
}

}  // namespace telepay::domain::user
