#include "domain/admin.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::domain {
namespace {

bool is_hex64(std::string_view text) {
  if (text.size() != 64) {
    return false;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

status check_by(std::string_view by) {
  if (by.empty() || by.size() > 128 || !is_valid_utf8(by)) {
    return make_error(errc::invalid_argument, "'by' must name who acts (1-128 bytes)");
  }
  return {};
}

}  // namespace

std::string_view role_name(role r) {
  switch (r) {
    case role::auditor: return "auditor";
    case role::operator_: return "operator";
    case role::admin: return "admin";
  }
  return "";
}

result<role> parse_role(std::string_view text) {
  if (text == "auditor") return role::auditor;
  if (text == "operator") return role::operator_;
  if (text == "admin") return role::admin;
  return make_error(errc::role_invalid, "role must be auditor, operator or admin");
}

status check_cidr(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "'" + utf8_prefix(cidr, 64) + "' is not a CIDR block (a.b.c.d/n)");
  };
  if (slash == std::string_view::npos || cidr.size() > 64) {
    return bad();
  }
  const std::string address(cidr.substr(0, slash));
  int bits = -1;
  const auto prefix = cidr.substr(slash + 1);
  const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
  if (ec != std::errc() || end != prefix.data() + prefix.size()) {
    return bad();
  }
  unsigned char buffer[16];
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) {
    return bits >= 0 && bits <= 32 ? status{} : bad();
  }
  if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) {
    return bits >= 0 && bits <= 128 ? status{} : bad();
  }
  return bad();
}

namespace token {

std::string stream(std::string_view id) { return "token-" + std::string(id); }

void created::write(json_object_writer& w) const {
  w.raw("allowed_cidrs", json_string_array(allowed_cidrs)).u64("burst", burst).str("by", by)
      .str("id", id).str("label", label);
  // Optional fields: absent when empty, so tokens minted before operators keep their bytes.
  if (!operator_name.empty()) {
    w.str("operator", operator_name);
  }
  if (pending) {
    w.boolean("pending", true);
  }
  w.u64("rate_per_second", rate_per_second).str("role", role_name(access)).str("secret_sha256", secret_sha256);
}
result<created> created::read(const json_value& v) {
  created out;
  TELEPAY_TRY(cidrs_value, v.field("allowed_cidrs"));
  TELEPAY_TRY(cidrs, cidrs_value.string_elements());
  TELEPAY_TRY(burst, v.u32("burst"));
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(label, v.str("label"));
  TELEPAY_TRY(rate, v.u32("rate_per_second"));
  TELEPAY_TRY(role_text, v.str("role"));
  TELEPAY_TRY(access, parse_role(role_text));
  TELEPAY_TRY(hash, v.str("secret_sha256"));
  out.id = std::move(id);
  out.access = access;
  out.secret_sha256 = std::move(hash);
  out.allowed_cidrs = std::move(cidrs);
  out.rate_per_second = rate;
  out.burst = burst;
  out.label = std::move(label);
  out.by = std::move(by);
  if (v.has("operator")) {
    TELEPAY_TRY(name, v.str("operator"));
    out.operator_name = std::move(name);
  }
  if (v.has("pending")) {
    TELEPAY_TRY(pending, v.boolean("pending"));
    out.pending = pending;
  }
  return out;
}

std::string identity(const created& c) {
  return "op:" + (c.operator_name.empty() ? "token." + c.id : c.operator_name);
}

void approved::write(json_object_writer& w) const { w.str("by", by); }
result<approved> approved::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  return approved{std::move(by)};
}

void revoked::write(json_object_writer& w) const { w.str("by", by); }
result<revoked> revoked::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  return revoked{std::move(by)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const create& cr) -> decision {
            if (s.exists) {
              return make_error(errc::token_exists, "token " + s.id + " exists");
            }
            if (s.id.size() != id_bytes || !is_token(s.id, id_bytes)) {
              return make_error(errc::token_invalid, "token ids are 12 token characters");
            }
            if (!is_hex64(cr.secret_sha256)) {
              return make_error(errc::token_invalid, "secret_sha256 must be 64 lower-case hex digits");
            }
            if (cr.rate_per_second == 0 || cr.rate_per_second > 1'000'000 || cr.burst == 0 ||
                cr.burst > 10'000'000) {
              return make_error(errc::invalid_argument, "rate must be 1-1000000/s and burst 1-10000000");
            }
            if (cr.allowed_cidrs.size() > 32) {
              return make_error(errc::invalid_argument, "at most 32 CIDR blocks");
            }
            for (const std::string& cidr : cr.allowed_cidrs) {
              TELEPAY_CHECK(check_cidr(cidr));
            }
            if (cr.label.size() > 128 || !is_valid_utf8(cr.label)) {
              return make_error(errc::invalid_argument, "label is at most 128 bytes of UTF-8");
            }
            TELEPAY_CHECK(check_by(cr.by));
            if (!cr.operator_name.empty() && !is_token(cr.operator_name, operator_bytes_max)) {
              return make_error(errc::invalid_argument, "operator is 1-64 of A-Z a-z 0-9 _ . : -");
            }
            if (cr.pending && cr.operator_name.empty()) {
              return make_error(errc::invalid_argument, "a token waiting for approval names its operator");
            }
            return std::vector<event>{created{s.id, cr.access, cr.secret_sha256, cr.allowed_cidrs,
                                              cr.rate_per_second, cr.burst, cr.label, cr.by,
                                              cr.operator_name, cr.pending}};
          },
          [&](const approve& a) -> decision {
            if (!s.exists) {
              return make_error(errc::token_not_found, "no token " + s.id);
            }
            TELEPAY_CHECK(check_by(a.by));
            if (s.is_revoked || (!s.is_pending && s.approved_by.empty())) {
              return make_error(errc::approval_state_invalid, "token " + s.id + " is not waiting for approval");
            }
            if (!s.is_pending) {
              return std::vector<event>{};  // approved already
            }
            if (a.by == s.terms.by || a.by == identity(s.terms)) {
              return make_error(errc::approval_same_operator,
                                "token " + s.id + " needs another admin than the one who minted it");
            }
            return std::vector<event>{approved{a.by}};
          },
          [&](const revoke& r) -> decision {
            if (!s.exists) {
              return make_error(errc::token_not_found, "no token " + s.id);
            }
            TELEPAY_CHECK(check_by(r.by));
            if (s.is_revoked) {
              return std::vector<event>{};
            }
            return std::vector<event>{revoked{r.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const created& c) {
                   s.exists = true;
                   s.terms = c;
                   s.is_pending = c.pending;
                 },
                 [&](const revoked&) { s.is_revoked = true; },
                 [&](const approved& a) {
                   s.is_pending = false;
                   s.approved_by = a.by;
                 },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace token

namespace manual_deposit {

std::string stream(std::string_view id) { return "manual-deposit-" + std::string(id); }

void requested::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("reference", reference)
      .str("requested_by", requested_by).i64("user_id", user.value());
}
result<requested> requested::read(const json_value& v) {
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(reference, v.str("reference"));
  TELEPAY_TRY(by, v.str("requested_by"));
  TELEPAY_TRY(raw, v.i64("user_id"));
  TELEPAY_TRY(user, make_user_id(raw));
  return requested{user, value, std::move(reference), std::move(by)};
}

void approved::write(json_object_writer& w) const { w.str("approved_by", approved_by); }
result<approved> approved::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("approved_by"));
  return approved{std::move(by)};
}

void rejected::write(json_object_writer& w) const {
  w.str("reason", reason).str("rejected_by", rejected_by);
}
result<rejected> rejected::read(const json_value& v) {
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(by, v.str("rejected_by"));
  return rejected{std::move(by), std::move(reason)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (const auto* r = std::get_if<request>(&c)) {
    if (s.status != status_kind::none) {
      if (s.request.user == r->user && s.request.value == r->value &&
          s.request.reference == r->reference && s.request.requested_by == r->by) {
        return std::vector<event>{};
      }
      return make_error(errc::idempotency_key_reused_with_different_payload,
                        "manual deposit " + s.id + " was requested differently");
    }
    if (r->value.currency() != asset::usdt || r->value.is_zero()) {
      return make_error(errc::amount_must_be_positive, "a manual deposit is a positive USDT amount");
    }
    if (r->reference.empty() || r->reference.size() > 256 || !is_valid_utf8(r->reference)) {
      return make_error(errc::invalid_argument, "reference (the bank transfer's) is 1-256 bytes");
    }
    TELEPAY_CHECK(check_by(r->by));
    return std::vector<event>{requested{r->user, r->value, r->reference, r->by}};
  }
  if (s.status == status_kind::none) {
    return make_error(errc::manual_deposit_not_found, "no manual deposit " + s.id);
  }
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const request&) -> decision { return std::vector<event>{}; },  // handled above
          [&](const approve& a) -> decision {
            TELEPAY_CHECK(check_by(a.by));
            if (s.status == status_kind::approved && s.decided_by == a.by) {
              return std::vector<event>{};
            }
            if (s.status != status_kind::requested) {
              return make_error(errc::manual_deposit_state_invalid, "manual deposit " + s.id + " was already decided");
            }
            if (a.by == s.request.requested_by) {
              return make_error(errc::approval_same_operator,
                                "the operator who requested a manual deposit cannot approve it");
            }
            return std::vector<event>{approved{a.by}};
          },
          [&](const reject& r) -> decision {
            TELEPAY_CHECK(check_by(r.by));
            if (s.status == status_kind::rejected) {
              return std::vector<event>{};
            }
            if (s.status != status_kind::requested) {
              return make_error(errc::manual_deposit_state_invalid, "manual deposit " + s.id + " was already decided");
            }
            if (r.reason.empty() || r.reason.size() > 256) {
              return make_error(errc::invalid_argument, "a rejection needs a reason");
            }
            return std::vector<event>{rejected{r.by, r.reason}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const requested& r) {
                   s.status = status_kind::requested;
                   s.request = r;
                 },
                 [&](const approved& a) {
                   s.status = status_kind::approved;
                   s.decided_by = a.approved_by;
                 },
                 [&](const rejected& r) {
                   s.status = status_kind::rejected;
                   s.decided_by = r.rejected_by;
                 },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace manual_deposit

namespace admin_log {

std::string stream(std::string_view token) { return "admin-" + std::string(token); }

void recorded::write(json_object_writer& w) const {
  w.str("idempotency_key", idempotency_key).str("method", method).str("path", path)
      .str("request_sha256", request_sha256).str("response", response).u64("status", status)
      .str("token", token);
}
result<recorded> recorded::read(const json_value& v) {
  recorded out;
  TELEPAY_TRY(key, v.str("idempotency_key"));
  TELEPAY_TRY(method, v.str("method"));
  TELEPAY_TRY(path, v.str("path"));
  TELEPAY_TRY(digest, v.str("request_sha256"));
  TELEPAY_TRY(response, v.str("response"));
  TELEPAY_TRY(status_code, v.u32("status"));
  TELEPAY_TRY(token, v.str("token"));
  out.token = std::move(token);
  out.method = std::move(method);
  out.path = std::move(path);
  out.idempotency_key = std::move(key);
  out.request_sha256 = std::move(digest);
  out.status = status_code;
  out.response = std::move(response);
  return out;
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  static_assert(std::variant_size_v<command> == 1, "admin_log::decide: name each command");
  const auto& r = std::get<record>(c);
  if (r.entry.token != s.token) {
    return make_error(errc::invalid_argument, "admin log entry for another token");
  }
  if (!is_token(r.entry.idempotency_key, 128) || r.entry.path.size() > 512 ||
      r.entry.response.size() > 64 * 1024) {
    return make_error(errc::invalid_argument, "admin log entry fields out of bounds");
  }
  // The request path and the answer echo what a client sent; refused here (not only repaired
  // by the writer) so the audit log records exactly what was answered.
  for (const auto& [field, text] : {std::pair<std::string_view, std::string_view>{"method", r.entry.method},
                                    {"path", r.entry.path},
                                    {"request_sha256", r.entry.request_sha256},
                                    {"response", r.entry.response}}) {
    if (!is_valid_utf8(text)) {
      return make_error(errc::invalid_argument, "admin log entry " + std::string(field) + " is not valid UTF-8");
    }
  }
  return std::vector<event>{r.entry};
}

void evolve(state& s, const event&) {
  static_assert(std::variant_size_v<event> == 1, "admin_log::evolve: name each event");
  s.commands += 1;
}

std::string idempotency_key(const state& s, const command& c) {
  static_assert(std::variant_size_v<command> == 1, "admin_log::idempotency_key: name each command");
  return "admin-" + s.token + "/" + std::get<record>(c).entry.idempotency_key;
}

}  // namespace admin_log
}  // namespace telepay::domain
