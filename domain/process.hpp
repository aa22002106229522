#pragma once
/// Process managers for flows that span several entities, as pure logic. Each process has a
/// stream "process-{kind}-{id}" holding what it set out to do (its intent) and how it ended;
/// every entity event it causes carries correlation id "{kind}:{id}" and causation id = the step
/// name, so after a crash the steps already done are read back from the log and the process
/// resumes at the first step not done. Every step is idempotent (transfer ids, purchase ids),
/// so a step repeated after a crash changes nothing.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/channel.hpp"
#include "domain/codec/event_codec.hpp"
#include "domain/coupon.hpp"
#include "domain/ids.hpp"
#include "domain/settings.hpp"
#include "domain/user.hpp"

namespace telepay::domain::process {

/// "process-{key}", key = "{kind}-{id}".
std::string stream(std::string_view key);
/// The correlation id of a process's events: "{kind}:{id}".
std::string correlation(std::string_view kind, std::string_view id);

struct started {
  static constexpr std::string_view type_name = "process.started";
  static constexpr std::uint16_t version = 1;
  std::string kind;
  std::string intent;  // canonical JSON object
  void write(json_object_writer& w) const;
  static result<started> read(const json_value& v);
  friend bool operator==(const started&, const started&) = default;
};

struct completed {
  static constexpr std::string_view type_name = "process.completed";
  static constexpr std::uint16_t version = 1;
  std::string outcome;
  void write(json_object_writer& w) const;
  static result<completed> read(const json_value& v);
  friend bool operator==(const completed&, const completed&) = default;
};

struct failed {
  static constexpr std::string_view type_name = "process.failed";
  static constexpr std::uint16_t version = 1;
  std::string code;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<failed> read(const json_value& v);
  friend bool operator==(const failed&, const failed&) = default;
};

using event = std::variant<started, completed, failed>;

struct state {
  std::string key;
  bool is_started = false;
  std::string kind;
  std::string intent;
  bool is_completed = false;
  bool is_failed = false;
  std::string failure_code;
  std::string failure_reason;

  explicit state(std::string k = {}) : key(std::move(k)) {}
  bool finished() const { return is_completed || is_failed; }
  friend bool operator==(const state&, const state&) = default;
};

struct start {
  std::string kind;
  std::string intent;
};
struct complete {
  std::string outcome;
};
struct fail {
  std::string code;
  std::string reason;
};

using command = std::variant<start, complete, fail>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

// ---- purchase: a subscription or a donation paid from the buyer's wallet ----

struct purchase_intent {
  std::string purchase_id;
  bool donation = false;
  user_id buyer;
  channel_id channel;
  std::uint32_t tier = 0;          // subscriptions: 1-based tier number
  std::uint32_t days = 0;          // subscriptions: tier days
  amount list_price = amount(asset::usd, 0);
  std::string coupon;              // "" when none
  amount discount = amount(asset::usd, 0);
  std::uint64_t rate_e8 = 100'000'000;  // USD -> USDT used
  amount paid = amount(asset::usdt, 0);        // what the buyer pays (hold)
  amount fee = amount(asset::usdt, 0);         // platform revenue
  std::optional<user_id> referrer;
  amount commission = amount(asset::usdt, 0);  // to the referrer
  amount channel_share = amount(asset::usdt, 0);
  std::int64_t hold_expires_at_us = 0;

  std::string to_json() const;
  static result<purchase_intent> from_json(std::string_view json);
  friend bool operator==(const purchase_intent&, const purchase_intent&) = default;
};

/// Whether a repeated purchase id asks for what its first request did (buyer, channel, tier or
/// donation amount, coupon). Otherwise idempotency_key_reused_with_different_payload naming the
/// difference: a reused id never answers "completed" for something it did not buy.
status check_same_purchase(const purchase_intent& first, user_id buyer, channel_id channel, std::uint32_t tier,
                           const amount& donation_usd, std::string_view coupon);

/// What the caller read before starting a purchase (the domain has no I/O).
struct purchase_facts {
  const user::state* buyer = nullptr;
  const channel::state* channel = nullptr;
  const coupon::state* coupon = nullptr;  // null when no coupon was given
  const settings::state* settings = nullptr;
  bool buyer_blacklisted = false;
  /// The referral rule: commission is earned once per unit of money that enters the ledger. A
  /// purchase paid by an invoice brings its money in (its deposit pays no commission), so it
  /// earns the commission; a purchase paid from the balance earns none, because that money
  /// earned it when it was deposited. Donations earn none either way.
  bool paid_by_invoice = false;
};

/// Prices a subscription (tier >= 1) or a donation (tier 0, `donation_usd` set): checks the
/// buyer, channel, tier or donation limits and coupon, converts USD to USDT at the settings'
/// rate and splits the payment into platform fee, referral commission and the channel's share.
result<purchase_intent> price_purchase(std::string purchase_id, const purchase_facts& facts,
                                       std::uint32_t tier, const amount& donation_usd,
                                       std::int64_t now_us);

enum class purchase_step : std::uint8_t {
  hold = 1, redeem_coupon, activate, credit_fee, credit_referrer, credit_channel, accrue, post,
  complete, void_hold, fail, done
};
std::string_view step_name(purchase_step step);

/// The step after those in `done` (names of steps already durable). `failure`: a step failed
/// for a business reason (insufficient funds, coupon exhausted, channel disabled): the process
/// then voids its hold if it took one and records the failure.
purchase_step next_purchase_step(const purchase_intent& intent, const std::set<std::string>& done,
                                 bool failure);

// ---- refund: a completed purchase's legs taken back, the buyer credited ----

/// Process "refund-{purchase_id}". The purchase's intent is copied, so the refund reverses
/// exactly what the purchase moved, whatever the settings say today.
struct refund_intent {
  purchase_intent purchase;
  std::string by;      // the operator
  std::string reason;  // audited: on the process and on the subscription and payout events

  std::string to_json() const;
  static result<refund_intent> from_json(std::string_view json);
  friend bool operator==(const refund_intent&, const refund_intent&) = default;
};

/// Whether `purchase` (its process state) may be refunded by `by` for `reason`: purchase_not_found
/// when no such purchase was started, refund_refused while it runs or when it failed (nothing
/// to give back), invalid_argument for a reason that is empty or over 500 bytes.
result<refund_intent> price_refund(const state& purchase, std::string by, std::string reason);

/// The steps in order: reverse_accrual (the gate: refused once a payout batch took the
/// channel's share), debit_channel, debit_fee, debit_referrer (or debit_expense when the
/// referrer has spent the commission: the platform bears it), credit_buyer, shorten (a
/// subscription loses the purchase's days), complete. A refusal before any debit restores the
/// accrual (restore_accrual) and fails; one after a debit fails for operators.
enum class refund_step : std::uint8_t {
  reverse_accrual = 1, debit_channel, debit_fee, debit_referrer, debit_expense, credit_buyer, shorten,
  complete, restore_accrual, fail, done
};
std::string_view step_name(refund_step step);
/// `platform_bears_commission`: the referrer's debit was refused for lack of funds.
refund_step next_refund_step(const refund_intent& intent, const std::set<std::string>& done, bool failure,
                             bool platform_bears_commission);

// ---- deposit: external money credited to a user, and the referral commission on it ----

struct deposit_intent {
  std::string deposit_id;
  user_id user;
  amount value = amount(asset::usdt, 0);
  system_account source = system_account::nowpayments_clearing;
  std::string external_ref;
  std::optional<user_id> referrer;
  amount commission = amount(asset::usdt, 0);

  std::string to_json() const;
  static result<deposit_intent> from_json(std::string_view json);
  friend bool operator==(const deposit_intent&, const deposit_intent&) = default;
};

/// Whether money may be credited to `user` (what a deposit refuses): user_not_registered,
/// blacklisted. Callers that record a decision first (a manual deposit's request or approval)
/// ask it before recording, so nothing is recorded that the deposit would refuse.
status check_creditable(const user::state& user, bool blacklisted);

/// `with_commission` false: money that pays for a purchase (a NOWPayments invoice), whose
/// purchase pays the referral commission itself.
result<deposit_intent> price_deposit(std::string deposit_id, const user::state& user,
                                     bool blacklisted, const amount& value, system_account source,
                                     std::string external_ref, const settings::state& settings,
                                     bool with_commission = true);

enum class deposit_step : std::uint8_t {
  credit_user = 1, debit_source, debit_expense, credit_referrer, complete, fail, done
};
std::string_view step_name(deposit_step step);
deposit_step next_deposit_step(const deposit_intent& intent, const std::set<std::string>& done,
                               bool failure);

// ---- transfer: wallet to wallet (hold -> credit -> post, or void) ----

enum class transfer_step : std::uint8_t { hold = 1, credit, post, void_hold, done };
std::string_view step_name(transfer_step step);
transfer_step next_transfer_step(const std::set<std::string>& done, bool failure);

}  // namespace telepay::domain::process
