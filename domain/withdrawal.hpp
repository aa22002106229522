#pragma once
/// A user's withdrawal of USDT to an address on chain, stream "withdrawal-{id}":
///
///   requested (amount, address, by; above the approval limit it waits for a second operator)
///   -> approved (by another operator than the requester) | rejected
///   -> completed (the transaction's receipt succeeded) | failed (reverted, abandoned, refused)
///   requested | approved -> cancelled (by an operator or the user, before its transaction is
///   signed: the process abandons a queued send first, so nothing leaves once it is cancelled)
///
/// The process (actors) holds the user's wallet when requested, asks the hot wallet for a send
/// once no approval is pending, posts the hold on completion and voids it on rejection or
/// failure. The entity only records the decisions.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::withdrawal {

inline constexpr std::size_t id_bytes_max = 48;

std::string stream(std::string_view id);
/// The transfer id of the withdrawal's hold on the user's wallet.
std::string hold_id(std::string_view id);

enum class status_kind : std::uint8_t {
  none = 0,
  awaiting_approval = 1,
  approved = 2,  // also: requested under the limit (no approval needed)
  rejected = 3,
  completed = 4,
  failed = 5,
  cancelled = 6,
};
std::string_view status_name(status_kind s);
bool is_final(status_kind s);

struct requested {
  static constexpr std::string_view type_name = "withdrawal.requested";
  static constexpr std::uint16_t version = 1;
  user_id user;
  amount value = amount(asset::usdt, 0);
  std::string address;  // EIP-55
  std::string by;
  bool needs_approval = false;
  /// Why a second operator must approve (optional field: absent in older requests).
  std::string approval_reason{};
  void write(json_object_writer& w) const;
  static result<requested> read(const json_value& v);
  friend bool operator==(const requested&, const requested&) = default;
};

struct approved {
  static constexpr std::string_view type_name = "withdrawal.approved";
  static constexpr std::uint16_t version = 1;
  std::string by;
  void write(json_object_writer& w) const;
  static result<approved> read(const json_value& v);
  friend bool operator==(const approved&, const approved&) = default;
};

/// The outcome events repeat who and what, so a reader (the Telegram notifier) needs no state.
struct outcome_facts {
  user_id user = user_id(1);
  amount value = amount(asset::usdt, 0);
  std::string address;
  friend bool operator==(const outcome_facts&, const outcome_facts&) = default;
};

struct rejected {
  static constexpr std::string_view type_name = "withdrawal.rejected";
  static constexpr std::uint16_t version = 1;
  outcome_facts facts;
  std::string by;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<rejected> read(const json_value& v);
  friend bool operator==(const rejected&, const rejected&) = default;
};

struct completed {
  static constexpr std::string_view type_name = "withdrawal.completed";
  static constexpr std::uint16_t version = 1;
  outcome_facts facts;
  std::string tx_hash;
  void write(json_object_writer& w) const;
  static result<completed> read(const json_value& v);
  friend bool operator==(const completed&, const completed&) = default;
};

struct failed {
  static constexpr std::string_view type_name = "withdrawal.failed";
  static constexpr std::uint16_t version = 1;
  outcome_facts facts;
  std::string reason;
  std::string tx_hash;  // "" when nothing reached the chain
  /// Refused before anything was held (the balance was too low): the requester was answered
  /// at once, so nobody is told again (optional field: absent means false).
  bool nothing_held = false;
  void write(json_object_writer& w) const;
  static result<failed> read(const json_value& v);
  friend bool operator==(const failed&, const failed&) = default;
};

/// Cancelled before its transaction was signed (by an operator, or by the user through the
/// bot); the process voids the hold, so the money is the user's again.
struct cancelled {
  static constexpr std::string_view type_name = "withdrawal.cancelled";
  static constexpr std::uint16_t version = 1;
  outcome_facts facts;
  std::string by;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<cancelled> read(const json_value& v);
  friend bool operator==(const cancelled&, const cancelled&) = default;
};

using event = std::variant<requested, approved, rejected, completed, failed, cancelled>;

struct state {
  std::string id;
  status_kind status = status_kind::none;
  user_id user = user_id(1);
  amount value = amount(asset::usdt, 0);
  std::string address;
  std::string requested_by;
  bool needs_approval = false;
  std::string approval_reason{};
  std::string approved_by;
  std::string tx_hash;
  std::string reason;

  explicit state(std::string withdrawal_id = {}) : id(std::move(withdrawal_id)) {}
  friend bool operator==(const state&, const state&) = default;
};

/// Errors: invalid_argument (id, by), payout_address_invalid (malformed, or the zero address,
/// which burns what it receives), amount_must_be_positive, withdrawal_below_minimum; a repeat
/// with the same terms decides nothing, other terms are invalid_argument.
struct request {
  user_id user;
  amount value = amount(asset::usdt, 0);
  std::string address;
  std::string by;
  amount approval_limit = amount(asset::usdt, 0);  // above it, a second operator approves
  /// Non-empty: a second operator approves whatever the amount (the 24-hour totals of the user
  /// or the operator are over their limits); the text says which.
  std::string approval_reason{};
  /// Below it the request is refused (withdrawal_below_minimum); zero: no minimum.
  amount minimum = amount(asset::usdt, 0);
};
/// Errors: approval_same_operator (the requester), withdrawal_state_invalid (not awaiting).
struct approve {
  std::string by;
};
/// Errors: withdrawal_state_invalid (not awaiting approval).
struct reject {
  std::string by;
  std::string reason;
};
/// The send's outcome. Errors: withdrawal_state_invalid (not approved). Nothing when already final.
/// Cancel a withdrawal awaiting approval or approved (the process checks first that no
/// transaction of it was signed). `by` is an operator or the user themself ("telegram:{user}").
/// Errors: invalid_argument (by, reason), withdrawal_state_invalid (final), withdrawal_not_found
/// (a user cancelling another user's). A repeat after it is cancelled decides nothing.
struct cancel {
  std::string by;
  std::string reason;
};
struct complete {
  std::string tx_hash;
};
struct fail {
  std::string reason;
  std::string tx_hash;
  bool nothing_held = false;
};

using command = std::variant<request, approve, reject, cancel, complete, fail>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// Whether a requester is an operator (an API token: "op:{name}" or "token:{id}"), as opposed to
/// a user withdrawing their own balance through the bot ("telegram:{id}").
bool is_operator(std::string_view by);

/// One withdrawal counted in the 24-hour totals.
struct counted {
  std::string id;
  user_id user = user_id(1);
  std::string by;
  u128 units = 0;
  std::int64_t at_us = 0;
  friend bool operator==(const counted&, const counted&) = default;
};

/// The withdrawals of the last 24 hours, per user and per requesting operator, so that many
/// requests each under the per-request limit still reach a second operator once their sum does.
/// Rejected and failed withdrawals are taken out (their money stayed).
class rolling_totals {
 public:
  static constexpr std::int64_t window_us = 24LL * 3600 * 1'000'000;

  /// Counts a withdrawal (a repeat of the same id replaces it).
  void add(counted c);
  void remove(std::string_view id);
  bool contains(std::string_view id) const;
  /// The totals of `user` and of `by` within the window ending at `now_us`.
  u128 user_total(user_id user, std::int64_t now_us) const;
  u128 operator_total(std::string_view by, std::int64_t now_us) const;
  /// Why a new withdrawal of `units` needs a second operator under the daily limits, "" when
  /// it does not (the per-request limit is the entity's own).
  std::string reason_for(user_id user, std::string_view by, u128 units, std::int64_t now_us,
                         const amount& user_daily, const amount& operator_daily) const;
  std::size_t size() const { return entries_.size(); }

 private:
  void prune(std::int64_t now_us);
  std::vector<counted> entries_;
};

}  // namespace telepay::domain::withdrawal
