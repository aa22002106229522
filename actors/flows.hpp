#pragma once
/// Process managers: the actors that move money between entities.
///
///   transfer  wallet -> wallet: hold the source, credit the target, post the hold (void it if
///             the credit is refused).
///   purchase  a subscription or donation paid from the buyer's wallet: hold -> redeem coupon ->
///             activate/extend the subscription -> credit platform fee, referral commission and
///             the channel's share -> accrue the payout -> post (void on a refusal before any
///             credit).
///   refund    a completed purchase taken back (the purchase manager runs it): reverse the
///             payout accrual (refused once batched), debit the channel's share, the fee and
///             the commission (the referral expense account when the referrer spent it),
///             credit the buyer, shorten the subscription.
///   deposit   external money to a user: credit the user, debit the clearing account, then the
///             referral commission (debit referral expense, credit the referrer).
///   payout    after an accrual (only with a chain sender configured: without one accruals
///             wait unbatched), batch when the channel's strategy says so and hold the
///             channel's wallet, then ask the hot wallet to send it; on the chain's
///             confirmation post the hold and credit chain clearing; on final failure (or an
///             operator's cancel before the transaction is signed) void it.
///   withdrawal a user's: hold the user's wallet, wait for a second operator above the limit,
///             ask the hot wallet to send; on success post and credit chain clearing, on
///             rejection or failure void.
///
/// Each process is resumable: every event it causes carries correlation "{kind}:{id}" and
/// causation = the step, so recovery (recovery.hpp) finds the steps done and the manager goes on
/// from there. Transient failures (timeouts, storage) are retried with backoff; business
/// refusals end the process cleanly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <caf/all.hpp>

#include "actors/attention.hpp"
#include "actors/ledger_api.hpp"
#include "actors/routes.hpp"
#include "domain/chain_send.hpp"
#include "domain/process.hpp"
#include "domain/withdrawal.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::actors {

struct flow_options {
  /// How long a transfer's hold lasts before expire_holds may void it. Default: 15 min.
  std::chrono::seconds transfer_hold{900};
  /// Retry backoff for transient failures: first delay and cap. Defaults: 20 ms, 5 s.
  std::chrono::milliseconds retry_first{20};
  std::chrono::milliseconds retry_max{5'000};
  /// Tries of one step after which a process stops retrying and is parked as needing
  /// attention (about 2 minutes with the defaults above). Default: 30.
  int retry_attempts_max = 30;
  /// Where parked processes go (the ledger makes one when none is given).
  std::shared_ptr<attention_board> attention;
  /// A payout batch hold lasts this long (the chain has this long to confirm). Default: 30 days.
  std::chrono::seconds payout_hold{30 * 86'400};
  /// Fault injection for crash tests only: exit the process (137) right after a payment's
  /// settlement process has durably started, before any money moves.
  bool crash_after_payment_start = false;
  /// The hot wallet that sends payouts and withdrawals on chain. Without one a new withdrawal
  /// or an approval is refused (chain_not_configured) before money is held, no payout batch is
  /// created (accruals wait unbatched, batched at the first start with one), and batches held
  /// and withdrawals approved earlier wait (resumed once a sender is configured, or cancelled).
  std::optional<domain::chain_send::key> sender;
};

/// An unfinished transfer found in the log.
struct transfer_resume {
  std::string id;
  domain::wallet_key from;
  domain::wallet_key to;
  domain::amount value;
  std::int64_t expires_at_us = 0;
  std::set<std::string> done;
};

/// An unfinished purchase or deposit found in the log (its intent is in its process stream).
struct process_resume {
  std::string kind;  // "purchase" | "refund" | "deposit" | "payment"
  std::string id;
  std::string intent;
  std::set<std::string> done;
};

/// A NOWPayments payment recorded with money to move whose settlement process never started
/// (a crash between the two): the payment manager starts it from the invoice.
struct payment_pending {
  std::string order_id;
  std::uint64_t payment_id = 0;
};

/// An unfinished payout batch found in the log: its steps done so far ("batch", "hold",
/// "confirm", "fail_final", "post", "credit_clearing", "void").
struct payout_resume {
  domain::channel_id channel;
  std::string batch_id;
  domain::amount value;
  std::set<std::string> done;
  std::string address;  // the batch's payout address (EIP-55)
};

/// The next step of a payout batch, or "" when it waits for the chain or is finished (a batch
/// that failed finally before its hold has nothing to undo). `can_send`: a chain sender is
/// configured (after the hold, the send is asked for).
std::string next_payout_step(const std::set<std::string>& done, bool can_send = true);

/// An unfinished withdrawal found in the log: its steps done so far ("request", "approve",
/// "hold", "send", "complete", "post", "credit_clearing", "fail", "reject", "void").
struct withdrawal_resume {
  std::string id;
  std::set<std::string> done;
};

/// The next step of a withdrawal in `status`, or "" when it waits (for approval, for the chain)
/// or is finished.
std::string next_withdrawal_step(domain::withdrawal::status_kind status, const std::set<std::string>& done,
                                 bool can_send);

using accrued_atom = caf::atom_constant<caf::atom("accrued")>;
using quote_atom = caf::atom_constant<caf::atom("quote")>;

caf::behavior transfer_manager(caf::event_based_actor* self, routes r, flow_options options);
caf::behavior purchase_manager(caf::event_based_actor* self, routes r, flow_options options,
                               caf::actor payouts);
caf::behavior deposit_manager(caf::event_based_actor* self, routes r, flow_options options);
caf::behavior payout_manager(caf::event_based_actor* self, routes r, flow_options options);
/// Handles withdrawal_request, withdrawal_decision, withdrawal_outcome and resumes.
/// `recent`: the withdrawals of the last 24 hours found in the log (the cumulative limits' totals).
caf::behavior withdrawal_manager(caf::event_based_actor* self, routes r, flow_options options,
                                 std::vector<domain::withdrawal::counted> recent);
/// Settles NOWPayments payments: records each reported status on its invoice and, for a
/// finished or partially paid payment, runs process "payment-{payment_id}": deposit the
/// credit from NOWPayments clearing (no deposit commission), then the purchase the invoice
/// was for (purchase id = order id), then complete. Every step is idempotent by its id, so a
/// resumed or re-reported payment repeats nothing.
caf::behavior payment_manager(caf::event_based_actor* self, routes r, flow_options options,
                              caf::actor purchases, caf::actor deposits);

}  // namespace telepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::transfer_resume)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::process_resume)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payout_resume)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::withdrawal_resume)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payment_pending)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::process::purchase_intent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::domain::process::purchase_intent>)
