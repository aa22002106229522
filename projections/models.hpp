#pragma once
/// The server's read models. Each is a table of rows (key -> canonical JSON) folded from events:
///
///   balances         per wallet: credits (lifetime in), debits (lifetime out), held, available
///   users            per user: username, referrer, ban, registration time
///   referrals        per referrer: referees, lifetime commission, tier; plus the leaderboard
///   subscriptions    per (user, channel): tier, expiry; active/expiring/expired at query time
///   channels         per channel: owner, title, revenue, accrued / batched / paid out
///   payouts          per batch: channel, amount, status, transaction
///   processes        per purchase or deposit: status (started, completed, failed) and amount
///   manual_deposits  per request: amount, status, who requested and who decided
///   tokens           per API token: role, secret hash, allowlist, rate limit, revoked
///   coupons          per coupon: terms, uses, discount given, disabled, with their times
///   blacklist        per entry: kind, value, reason, who
///   audit_log        per admin command: token, method, path, status, response

#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "projections/projection.hpp"

namespace telepay::projections {

// ---- rows ----

struct balance_row {
  std::string owner;
  domain::asset currency = domain::asset::usdt;
  u128 credits = 0;
  u128 debits = 0;
  u128 held = 0;
  std::uint64_t events = 0;
  std::uint64_t last_seq = 0;
  std::string to_json() const;
  static result<balance_row> from_json(std::string_view json);
  /// credits - debits - held, 0 when negative.
  domain::amount available() const;
  /// credits - debits as signed text.
  std::string balance_text() const;
};

struct user_row {
  std::string username;
  std::int64_t referrer = 0;  // 0: none
  bool banned = false;
  std::string ban_reason;
  std::int64_t registered_at_us = 0;
  std::string to_json() const;
  static result<user_row> from_json(std::string_view json);
};

struct referral_row {
  std::int64_t referrer = 0;
  std::uint64_t referees = 0;
  u128 earnings = 0;  // USDT base units
  std::string tier;
  std::string to_json() const;
  static result<referral_row> from_json(std::string_view json);
};

struct subscription_row {
  std::int64_t user = 0;
  std::int64_t channel = 0;
  std::uint32_t tier = 0;
  std::int64_t expires_at_us = 0;
  std::uint64_t purchases = 0;
  bool expiry_recorded = false;
  std::uint32_t reminded_days_before = 0;  // 0, 3 or 1 for the current expiry
  std::string to_json() const;
  static result<subscription_row> from_json(std::string_view json);
};

struct channel_row {
  std::int64_t channel = 0;
  std::int64_t owner = 0;
  std::string title;
  bool disabled = false;
  u128 revenue = 0;    // USDT credited to the channel (sales and donations)
  u128 donations = 0;  // of which donations
  std::uint64_t sales = 0;
  u128 accrued = 0;
  u128 batched = 0;
  u128 paid = 0;
  std::string to_json() const;
  static result<channel_row> from_json(std::string_view json);
};

struct payout_row {
  std::int64_t channel = 0;
  std::string batch;
  u128 value = 0;
  std::string address;
  std::string status;
  std::string tx_hash;
  std::uint32_t attempts = 1;
  std::int64_t created_at_us = 0;  // batched
  std::int64_t updated_at_us = 0;  // its last event
  std::string to_json() const;
  static result<payout_row> from_json(std::string_view json);
};

struct process_row {
  std::string kind;
  std::string id;
  std::string status;  // started, completed, failed
  std::int64_t user = 0;
  u128 value = 0;      // USDT paid or deposited
  std::int64_t started_at_us = 0;
  std::string failure_code;
  std::string failure_reason;
  std::int64_t ended_at_us = 0;  // completed or failed; 0 while it runs
  std::string to_json() const;
  static result<process_row> from_json(std::string_view json);
};

struct manual_deposit_row {
  std::int64_t user = 0;
  u128 value = 0;
  std::string reference;
  std::string status;  // requested, approved, rejected
  std::string requested_by;
  std::string decided_by;
  std::int64_t requested_at_us = 0;
  std::int64_t decided_at_us = 0;  // 0 until approved or rejected
  std::string to_json() const;
  static result<manual_deposit_row> from_json(std::string_view json);
};

struct token_row {
  std::string role;
  std::string secret_sha256;
  std::vector<std::string> allowed_cidrs;
  std::uint32_t rate_per_second = 0;
  std::uint32_t burst = 0;
  std::string label;
  std::string identity;   // the operator it acts for: "op:{name}"
  std::string minted_by;  // who minted it
  bool pending = false;   // waiting for a second admin
  bool revoked = false;
  std::string to_json() const;
  static result<token_row> from_json(std::string_view json);
};

struct coupon_row {
  std::string kind;                // "percent" or "fixed"
  std::uint32_t percent_bps = 0;   // percent
  u128 fixed = 0;                  // fixed, USD base units
  std::uint32_t usage_limit = 0;   // 0: unlimited
  std::uint32_t uses = 0;
  u128 discount = 0;               // every redemption's discount, USD base units
  std::int64_t expires_at_us = 0;
  std::int64_t channel = 0;        // 0: any channel
  std::uint32_t tier = 0;          // 0: any tier
  std::string created_by;
  std::int64_t created_at_us = 0;
  std::int64_t last_used_at_us = 0;
  bool disabled = false;
  std::string disabled_by;
  std::int64_t disabled_at_us = 0;
  std::string to_json() const;
  static result<coupon_row> from_json(std::string_view json);
};

struct blacklist_row {
  std::string kind;
  std::string value;
  std::string reason;
  std::string by;
  std::string to_json() const;
  static result<blacklist_row> from_json(std::string_view json);
};

struct audit_row {
  std::string token;
  std::string method;
  std::string path;
  std::string idempotency_key;
  std::string request_sha256;
  std::uint32_t status = 0;
  std::string response;
  std::int64_t recorded_at_us = 0;
  std::string to_json() const;
  static result<audit_row> from_json(std::string_view json);
};

/// A different final status reported after a payment's recorded final one (for review).
struct invoice_late_status_row {
  std::string status;
  std::string source;
  std::int64_t recorded_at_us = 0;
};

/// One NOWPayments invoice and the payments reported for it.
struct invoice_payment_row {
  std::uint64_t payment_id = 0;
  std::uint64_t parent_payment_id = 0;
  std::string status;
  std::string action;
  u128 credit = 0;  // USDT
  std::string actually_paid;
  std::string pay_currency;
  std::string source;
  std::string note;
  std::int64_t updated_at_us = 0;
  std::vector<invoice_late_status_row> late_statuses;  // in the order recorded
  /// An operator must look at it: decided review, or a late status contradicts it.
  bool review() const { return action == "review" || !late_statuses.empty(); }
};

struct invoice_row {
  std::string order_id;
  std::int64_t user = 0;
  std::int64_t channel = 0;
  std::uint32_t tier = 0;  // 0: donation
  u128 price_cents = 0;    // USD
  u128 credit = 0;         // USDT
  std::string coupon;
  std::string provider_invoice_id;
  std::string url;
  std::string settlement;  // "", "started", "completed: <outcome>", "failed: <code>"
  /// The hosted invoice at NOWPayments: "recorded" (no attempt yet), "creating" (an attempt
  /// was sent or is being sent, its outcome unknown), "failed" (the last attempt created
  /// nothing, see creation_note), "linked".
  std::string creation = "recorded";
  std::string creation_note;
  std::uint32_t attempts = 0;
  std::int64_t created_at_us = 0;
  std::int64_t updated_at_us = 0;
  std::vector<invoice_payment_row> payments;
  std::string to_json() const;
  static result<invoice_row> from_json(std::string_view json);
  /// The status of the most recently reported payment, "created" before any.
  std::string status() const;
  /// True when any payment is in review.
  bool review() const;
};

/// A user's deposit address on a chain (key "{chain id}:{lower-case address}").
struct deposit_address_row {
  std::uint64_t chain_id = 0;
  std::string address;  // EIP-55
  std::int64_t user = 0;
  std::string path;
  std::string to_json() const;
  static result<deposit_address_row> from_json(std::string_view json);
};

/// One on-chain deposit (key "{chain id}:{tx hash}:{log index}").
struct chain_deposit_row {
  std::uint64_t chain_id = 0;
  std::string tx_hash;
  std::uint64_t log_index = 0;
  std::int64_t user = 0;
  u128 value = 0;  // USDT
  std::string status;  // detected, orphaned, confirmed
  std::uint64_t block_number = 0;
  std::string block_hash;
  std::string from;
  std::string to;
  std::string to_json() const;
  static result<chain_deposit_row> from_json(std::string_view json);
};

/// One withdrawal (key = its id).
struct withdrawal_row {
  std::string id;
  std::int64_t user = 0;
  u128 value = 0;  // USDT
  std::string address;
  std::string status;
  std::string requested_by;
  std::string approved_by;
  std::string tx_hash;
  std::string reason;
  std::int64_t requested_at_us = 0;
  std::int64_t decided_at_us = 0;  // approved (at the request when none was needed) or rejected
  std::int64_t ended_at_us = 0;    // completed, failed, cancelled or rejected
  std::string to_json() const;
  static result<withdrawal_row> from_json(std::string_view json);
};

// ---- projections ----

class balances : public table<balance_row> {
 public:
  std::string_view name() const override { return "balances"; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class users : public table<user_row> {
 public:
  std::string_view name() const override { return "users"; }
  /// 2: a deposit address no longer un-bans the row (version 1 folded it as an unban).
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class referrals : public table<referral_row> {
 public:
  std::string_view name() const override { return "referrals"; }
  /// 2: rows name the asset of their earnings.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
  /// Referrers by lifetime commission, highest first (ties by id).
  std::vector<const referral_row*> leaderboard(std::size_t limit, std::size_t offset) const;
  /// 1-based rank of a referrer, 0 if it has no row.
  std::size_t rank(std::int64_t referrer) const;

 protected:
  /// The board is keyed by referrer id and looks rows up by padded(id): a row whose key is not
  /// padded(referrer) would be on the board without a row.
  status check_loaded(const std::string& key, const referral_row& row) const override;
  void after_load(const std::string& key, const referral_row& row) override;

 private:
  std::set<std::pair<u128, std::int64_t>, std::greater<>> board_;
};

/// A subscription the expiry scheduler owes a reminder or an expiry.
struct due_subscription {
  std::int64_t user = 0;
  std::int64_t channel = 0;
  domain::subscription::due_kind kind = domain::subscription::due_kind::none;
};

class subscriptions : public table<subscription_row> {
 public:
  std::string_view name() const override { return "subscriptions"; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
  /// Subscriptions due for a reminder or an expiry at `now_us`, soonest expiry first, at most
  /// `limit` (an index by expiry: only subscriptions within 3 days of it are visited).
  std::vector<due_subscription> due(std::int64_t now_us, std::size_t limit) const;

 protected:
  void after_load(const std::string& key, const subscription_row& row) override;

 private:
  void index(const std::string& key, std::int64_t old_expiry, const subscription_row& row);
  std::set<std::pair<std::int64_t, std::string>> by_expiry_;  // unexpired rows only
};

class channels : public table<channel_row> {
 public:
  std::string_view name() const override { return "channels"; }
  /// 2: rows name the asset of their amounts.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class payouts : public table<payout_row> {
 public:
  std::string_view name() const override { return "payouts"; }
  /// 2: rows carry their asset and when they were created and last changed.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class processes : public table<process_row> {
 public:
  std::string_view name() const override { return "processes"; }
  /// 2: rows carry their asset and when they ended.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class manual_deposits : public table<manual_deposit_row> {
 public:
  std::string_view name() const override { return "manual_deposits"; }
  /// 2: rows carry their asset and when they were requested and decided.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class tokens : public table<token_row> {
 public:
  std::string_view name() const override { return "tokens"; }
  /// 2: rows name the operator (identity), who minted them and whether they wait for approval.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class coupons : public table<coupon_row> {
 public:
  std::string_view name() const override { return "coupons"; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class blacklist : public table<blacklist_row> {
 public:
  std::string_view name() const override { return "blacklist"; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class audit_log : public table<audit_row> {
 public:
  std::string_view name() const override { return "audit_log"; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
  /// What an idempotency key is scoped to: (token, method, path, key).
  using request_scope = std::tuple<std::string, std::string, std::string, std::string>;
  /// The entry a token recorded under an idempotency key for this method and path, if any.
  const audit_row* find_request(const request_scope& scope) const;

 protected:
  void after_load(const std::string& key, const audit_row& row) override;

 private:
  std::map<request_scope, std::string> by_request_;  // -> row key
};

class invoices : public table<invoice_row> {
 public:
  std::string_view name() const override { return "invoices"; }
  /// 2: rows carry the creation attempts, late statuses and the review marks.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
  /// Payments whose last reported status is not final and older than `before_us`, as
  /// (order id, payment id), at most `limit`: what reconciliation polls.
  std::vector<std::pair<std::string, std::uint64_t>> unsettled(std::int64_t before_us,
                                                                std::size_t limit) const;

 protected:
  void after_load(const std::string& key, const invoice_row& row) override;

 private:
  void track(const std::string& order, const invoice_payment_row& p);
  std::map<std::uint64_t, std::string> by_payment_;  // payment id -> order id
  std::map<std::uint64_t, std::int64_t> open_;       // payments not final -> last update
};

class deposit_addresses : public table<deposit_address_row> {
 public:
  std::string_view name() const override { return "deposit_addresses"; }
  /// 2: rows name their user "user_id" (and amounts their asset), as every answer does.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class chain_deposits : public table<chain_deposit_row> {
 public:
  std::string_view name() const override { return "chain_deposits"; }
  /// 2: rows name their user "user_id" (and amounts their asset), as every answer does.
  std::uint32_t format_version() const override { return 2; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

class withdrawals : public table<withdrawal_row> {
 public:
  std::string_view name() const override { return "withdrawals"; }
  /// 2: rows name their user "user_id" (and amounts their asset), as every answer does.
  /// 3: rows carry when they were requested, decided and ended.
  std::uint32_t format_version() const override { return 3; }
  void apply(const eventstore::record_view& r, const any_event& e) override;
};

/// Every read model of the server, fed from one decode per record.
struct model_set {
  balances balance;
  users user;
  referrals referral;
  subscriptions subscription;
  channels channel;
  payouts payout;
  processes process;
  manual_deposits manual_deposit;
  tokens token;
  blacklist blocked;
  audit_log audit;
  invoices invoice;
  deposit_addresses deposit_address;
  chain_deposits chain_deposit;
  withdrawals withdrawal;
  coupons coupon;

  /// All projections, in a fixed order.
  std::vector<projection*> all();
  std::vector<const projection*> all() const;
  /// Decodes once and applies to every projection (call settle() before ordered reads).
  /// Errors: a record that does not decode.
  status apply(const eventstore::record_view& record);
  /// Off for a one-shot replay that will not save rows (see table::track_changes).
  void track_changes(bool on);
  /// Settles every projection's ordered index (see table::settle).
  void settle();
  /// Empties one of this set's projections (rows and derived indexes), keeping its change
  /// tracking: what a rebuild from seq 1 starts from. REQUIRES: `p` is a member of this set.
  void reset(const projection& p);
};

/// A key that sorts numerically for non-negative ids ("00000000000000000042").
std::string padded(std::uint64_t value);

/// The same key in a stack buffer (no allocation): view() is valid while this lives.
class padded_key {
 public:
  explicit padded_key(std::uint64_t value);
  std::string_view view() const { return {digits_, sizeof digits_}; }

 private:
  char digits_[20];
};

}  // namespace telepay::projections
