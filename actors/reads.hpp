#pragma once
/// The read side the HTTP API serves: every query answered from the projections' read models
/// (or the log itself), rendered as JSON text, so the gateway needs neither the projections nor
/// the event store headers. Thread-safe: each call takes the projections' shared lock briefly.
///
/// List endpoints page by key: `cursor` is the last key of the previous page ("" for the first),
/// `limit` at most 1000; the answer is {"items":[...],"next_cursor":"..."|null}.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/admin.hpp"
#include "domain/base/result.hpp"

namespace telepay::eventstore {
class event_store;
}
namespace telepay::projections {
class projection_host;
}

namespace telepay::actors {

/// A token as the authenticator needs it.
struct auth_token {
  domain::role access = domain::role::auditor;
  std::string secret_sha256;
  std::vector<std::string> allowed_cidrs;
  std::uint32_t rate_per_second = 0;
  std::uint32_t burst = 0;
  bool revoked = false;
  std::string identity;  // the operator it acts for ("op:{name}")
  bool pending = false;  // minted under dual control, not yet approved by a second admin
};

struct page_request {
  std::string cursor;
  std::size_t limit = 100;
};

/// An answer the admin API gave before under (token, method, path, idempotency key).
struct recorded_answer {
  std::uint32_t status = 0;
  std::string body;
  std::string request_sha256;
  std::int64_t recorded_at_us = 0;  // 0: not yet in the audit log (just answered)
};

class ledger_reads {
 public:
  ledger_reads(eventstore::event_store& store, projections::projection_host& host);
  ~ledger_reads();

  // Users and money.
  result<std::string> user(std::int64_t user_id) const;
  result<std::string> users(const page_request& page) const;
  /// The user's wallets now, or as of a seq (at_seq > 0) from the log.
  result<std::string> user_balances(std::int64_t user_id, std::uint64_t at_seq) const;
  /// Wallets; filters: owner (exact, "" any: "42", "ch:-100", "sys:platform_revenue") and kind
  /// ("user", "channel", "system"; "" any).
  result<std::string> wallets(const page_request& page, const std::string& owner, const std::string& kind) const;
  /// Every wallet of one account (any owner) now (at_seq 0) or as of `at_seq`.
  result<std::string> account_balances(const domain::wallet_owner& owner, std::uint64_t at_seq) const;
  /// One wallet's movements with the balance after each, from the log (projections/statement.hpp).
  result<std::string> statement(const domain::wallet_key& wallet, std::uint64_t after_version,
                                std::size_t limit) const;
  /// The seq that was the head at a time (for `?at=TIME`).
  result<std::uint64_t> seq_at(std::int64_t at_us) const;

  // Referrals.
  result<std::string> referral(std::int64_t user_id) const;
  result<std::string> leaderboard(std::size_t limit, std::size_t offset) const;

  /// [since, until) in UTC microseconds; 0 leaves that end open.
  struct time_range {
    std::int64_t since_us = 0;
    std::int64_t until_us = 0;
    bool holds(std::int64_t at_us) const {
      return (since_us == 0 || at_us >= since_us) && (until_us == 0 || at_us < until_us);
    }
  };

  // Subscriptions: status "active", "expiring" (within `within_days`), "expired" or "" (all).
  result<std::string> subscriptions(const page_request& page, std::int64_t user_id,
                                    std::int64_t channel_id, const std::string& status,
                                    std::uint32_t within_days, std::int64_t now_us) const;

  // Channels, payouts, processes, manual deposits.
  result<std::string> channel(std::int64_t channel_id) const;
  result<std::string> channels(const page_request& page) const;
  result<std::string> payouts(const page_request& page, std::int64_t channel_id,
                              const std::string& status) const;
  /// Processes; filters: kind, status ("": any) and when they started.
  result<std::string> processes(const page_request& page, const std::string& kind,
                                const std::string& status, const time_range& started) const;
  result<std::string> manual_deposits(const page_request& page, const std::string& status) const;
  result<std::string> blacklist(const page_request& page) const;
  /// NOWPayments invoices by order id; status filters on the latest payment's status
  /// ("created" before any payment), or "review": invoices with a payment in review.
  result<std::string> invoice(const std::string& order_id) const;
  result<std::string> invoices(const page_request& page, std::int64_t user_id,
                               const std::string& status, const time_range& created) const;
  /// Payments last reported in a non-final status before `before_us`: (order id, payment id).
  std::vector<std::pair<std::string, std::uint64_t>> unsettled_payments(std::int64_t before_us,
                                                                        std::size_t limit) const;
  /// Subscriptions owed a reminder or an expiry now: (user, channel, expire?).
  struct due_subscription {
    std::int64_t user = 0;
    std::int64_t channel = 0;
    bool expire = false;
  };
  std::vector<due_subscription> due_subscriptions(std::int64_t now_us, std::size_t limit) const;

  // Chain.
  /// Deposit addresses of one chain after `after_key` ("{chain}:{lower-case address}"), at most
  /// `limit`, as (lower-case address, user); `next` gets the last key ("" at the end).
  std::vector<std::pair<std::string, std::int64_t>> deposit_address_page(std::uint64_t chain_id,
                                                                         const std::string& after_key,
                                                                         std::size_t limit, std::string& next) const;
  /// On-chain deposits; filters: user (0: any), status ("": any).
  result<std::string> chain_deposits(const page_request& page, std::int64_t user_id, const std::string& status) const;
  result<std::string> withdrawals(const page_request& page, std::int64_t user_id, const std::string& status) const;
  result<std::string> withdrawal(const std::string& id) const;

  // Operators.
  result<std::string> audit_log(const page_request& page, const std::string& token,
                                const time_range& recorded) const;
  /// The answer recorded under this idempotency key for this token, method and path.
  std::optional<recorded_answer> recorded(const std::string& token, const std::string& method,
                                          const std::string& path, const std::string& key) const;
  std::optional<auth_token> token(const std::string& token_id) const;
  /// Every token by id, without its secret's hash: role, operator, label, limits, allowlist,
  /// who minted it, pending, revoked.
  result<std::string> tokens(const page_request& page) const;
  /// Every coupon by code with its terms, uses and discount given; status (at `now_us`):
  /// "active", "disabled", "expired", "exhausted" ("": any).
  result<std::string> coupons(const page_request& page, const std::string& status, std::int64_t now_us) const;
  /// Dual control is on once two different operators have held admin tokens (approved ones,
  /// revoked later or not): from then on a change that weakens a control needs a second admin,
  /// and revoking the other admin does not turn it off.
  bool dual_control() const;
  std::size_t token_count() const;

  /// Up to `limit` records from `from_seq` on, recorded within `recorded`, as NDJSON, one
  /// event per line (the log's times only move forward: the walk starts at the first record
  /// at or after `since` and stops at the first at or after `until`).
  result<std::string> events(std::uint64_t from_seq, std::size_t limit, const time_range& recorded) const;

  // Health.
  std::uint64_t head_seq() const;
  std::uint64_t projection_position() const;
  std::uint64_t projection_lag() const;
  std::optional<std::string> projection_failure() const;
  /// Waits until the projections have applied `seq` (after a write, so reads see it).
  bool wait_for(std::uint64_t seq, std::chrono::milliseconds timeout) const;

 private:
  eventstore::event_store& store_;
  projections::projection_host& host_;
};

}  // namespace telepay::actors
