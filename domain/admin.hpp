#pragma once
/// Operator-facing entities:
///   token          an API token: role (auditor, operator, admin), the SHA-256 of its secret,
///                  an optional IP allowlist (CIDR) and a rate limit. Stream "token-{id}".
///   manual_deposit an operator-approved bank transfer: requested by one operator, approved (or
///                  rejected) by another. Stream "manual-deposit-{id}".
///   admin_log      every admin command as an event, with the token that sent it and the
///                  response it got (so a retried request is answered the same). "admin-{token}".

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain {

enum class role : std::uint8_t { auditor = 1, operator_ = 2, admin = 3 };
std::string_view role_name(role r);
result<role> parse_role(std::string_view text);
/// Whether a token of role `have` may do what needs `need` (admin > operator > auditor).
constexpr bool role_allows(role have, role need) {
  return static_cast<std::uint8_t>(have) >= static_cast<std::uint8_t>(need);
}
/// Checks "a.b.c.d/n" or an IPv6 "x::y/n" CIDR block.
status check_cidr(std::string_view cidr);

namespace token {

inline constexpr std::size_t id_bytes = 12;

/// How long an operator's name may be (1-64 of A-Z a-z 0-9 _ . : -).
inline constexpr std::size_t operator_bytes_max = 64;

struct created {
  static constexpr std::string_view type_name = "token.created";
  static constexpr std::uint16_t version = 1;
  std::string id;
  role access = role::auditor;
  std::string secret_sha256;  // hex
  std::vector<std::string> allowed_cidrs;
  std::uint32_t rate_per_second = 50;
  std::uint32_t burst = 100;
  std::string label;
  std::string by;  // who minted it: "op:{operator}", or a token id / tool name before operators
  /// The person the token belongs to (optional field, absent before operators existed). Every
  /// "different operator" check compares these, not token ids, so one person holding two tokens
  /// is still one operator.
  std::string operator_name{};
  /// Minted while dual control is on for a write role under another operator's name: unusable
  /// until a second admin approves (optional field, absent when false).
  bool pending = false;
  void write(json_object_writer& w) const;
  static result<created> read(const json_value& v);
  friend bool operator==(const created&, const created&) = default;
};

struct revoked {
  static constexpr std::string_view type_name = "token.revoked";
  static constexpr std::uint16_t version = 1;
  std::string by;
  void write(json_object_writer& w) const;
  static result<revoked> read(const json_value& v);
  friend bool operator==(const revoked&, const revoked&) = default;
};

/// A second admin let a pending token in.
struct approved {
  static constexpr std::string_view type_name = "token.approved";
  static constexpr std::uint16_t version = 1;
  std::string by;
  void write(json_object_writer& w) const;
  static result<approved> read(const json_value& v);
  friend bool operator==(const approved&, const approved&) = default;
};

using event = std::variant<created, revoked, approved>;

/// The operator a token acts for: "op:{name}"; a token minted before operators were named is
/// operator "token.{id}" (each such token is an operator of its own).
std::string identity(const created& c);

struct state {
  std::string id;
  bool exists = false;
  created terms;
  bool is_revoked = false;
  bool is_pending = false;  // minted pending and not yet approved
  std::string approved_by;
  explicit state(std::string i = {}) : id(std::move(i)) {}
  friend bool operator==(const state&, const state&) = default;
};

struct create {
  role access = role::auditor;
  std::string secret_sha256;
  std::vector<std::string> allowed_cidrs;
  std::uint32_t rate_per_second = 50;
  std::uint32_t burst = 100;
  std::string label;
  std::string by;
  std::string operator_name{};  // "" only for tools that predate operators
  bool pending = false;
};
struct revoke {
  std::string by;
};
/// Errors: token_not_found, token_state_invalid... (not pending: nothing to do), and
/// approval_same_operator when `by` is who minted it.
struct approve {
  std::string by;
};
using command = std::variant<create, revoke, approve>;

std::string stream(std::string_view id);
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace token

namespace manual_deposit {

struct requested {
  static constexpr std::string_view type_name = "manual_deposit.requested";
  static constexpr std::uint16_t version = 1;
  user_id user;
  amount value = amount(asset::usdt, 0);
  std::string reference;
  std::string requested_by;  // token id
  void write(json_object_writer& w) const;
  static result<requested> read(const json_value& v);
  friend bool operator==(const requested&, const requested&) = default;
};

struct approved {
  static constexpr std::string_view type_name = "manual_deposit.approved";
  static constexpr std::uint16_t version = 1;
  std::string approved_by;
  void write(json_object_writer& w) const;
  static result<approved> read(const json_value& v);
  friend bool operator==(const approved&, const approved&) = default;
};

struct rejected {
  static constexpr std::string_view type_name = "manual_deposit.rejected";
  static constexpr std::uint16_t version = 1;
  std::string rejected_by;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<rejected> read(const json_value& v);
  friend bool operator==(const rejected&, const rejected&) = default;
};

using event = std::variant<requested, approved, rejected>;

enum class status_kind : std::uint8_t { none = 0, requested = 1, approved = 2, rejected = 3 };

struct state {
  std::string id;
  status_kind status = status_kind::none;
  requested request;
  std::string decided_by;
  explicit state(std::string i = {}) : id(std::move(i)) {}
  friend bool operator==(const state&, const state&) = default;
};

struct request {
  user_id user;
  amount value = amount(asset::usdt, 0);
  std::string reference;
  std::string by;
};
struct approve {
  std::string by;
};
struct reject {
  std::string by;
  std::string reason;
};
using command = std::variant<request, approve, reject>;

std::string stream(std::string_view id);
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace manual_deposit

namespace admin_log {

struct recorded {
  static constexpr std::string_view type_name = "admin.command_recorded";
  static constexpr std::uint16_t version = 1;
  std::string token;
  std::string method;
  std::string path;
  std::string idempotency_key;
  std::string request_sha256;  // of the body
  std::uint32_t status = 0;    // HTTP status of the response
  std::string response;        // the response body (JSON)
  void write(json_object_writer& w) const;
  static result<recorded> read(const json_value& v);
  friend bool operator==(const recorded&, const recorded&) = default;
};

using event = std::variant<recorded>;

struct state {
  std::string token;
  std::uint64_t commands = 0;
  explicit state(std::string t = {}) : token(std::move(t)) {}
  friend bool operator==(const state&, const state&) = default;
};

struct record {
  recorded entry;
};
using command = std::variant<record>;

std::string stream(std::string_view token);
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace admin_log
}  // namespace telepay::domain
