#pragma once
/// The ledger's typed facade: the one actor gateways and the HTTP API talk to. Requests are
/// plain structs; every reply is a telepay::result, so domain errors (insufficient_funds,
/// coupon_expired, ...) reach the caller with their pinned code and a message.
///
/// Times: every request carries `now_us` (the gateway's clock); the domain never reads a clock.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/typed_actor.hpp>

#include "actors/ask_watch.hpp"
#include "actors/entities.hpp"

namespace telepay::actors {

// ---- users ----
struct register_user_request {
  domain::user_id user;
  std::string username;
  std::string referral_code;  // "" when none ("/start" without a code)
  std::int64_t now_us = 0;
};
struct link_referrer_request {
  domain::user_id user;
  std::string referral_code;
  std::int64_t now_us = 0;
};
struct user_admin_request {  // ban / unban
  domain::user_id user;
  domain::user::command command;
  std::int64_t now_us = 0;
};
struct blacklist_request {
  domain::blacklist::command command;
  std::int64_t now_us = 0;
};
/// Register, disable or rewind an outbound webhook endpoint (stream "webhooks").
struct webhook_request {
  domain::webhook::command command;
  std::int64_t now_us = 0;
};

// ---- channels, settings, coupons ----
struct channel_request {
  domain::channel_id channel;
  domain::channel::command command;
  std::int64_t now_us = 0;
};
struct settings_request {
  domain::settings::command command;
  std::int64_t now_us = 0;
};
struct coupon_request {
  std::string code;
  domain::coupon::command command;
  std::int64_t now_us = 0;
};
struct subscription_request {  // remind / expire, from the expiry scheduler
  domain::user_id user;
  domain::channel_id channel;
  domain::subscription::command command;
  std::int64_t now_us = 0;
};
struct wallet_request {  // direct wallet commands (operators, tests)
  domain::wallet_key wallet;
  domain::wallet::command command;
  command_meta meta;
};

// ---- money flows (process managers) ----
struct purchase_request {
  std::string purchase_id;
  domain::user_id buyer;
  domain::channel_id channel;
  std::uint32_t tier = 0;  // 0: a donation of donation_usd
  domain::amount donation_usd = domain::amount(domain::asset::usd, 0);
  std::string coupon;      // "" when none
  std::int64_t now_us = 0;
  /// Paid by a NOWPayments invoice (its money enters with it): earns the referral commission;
  /// a purchase from the balance does not (domain::process::purchase_facts::paid_by_invoice).
  bool paid_by_invoice = false;
};
/// An operator's refund of a completed purchase: process "refund-{purchase_id}" takes the
/// channel's share (refused once a payout batch took it), the platform fee and the referral
/// commission back (the platform bears a commission the referrer has spent), credits the buyer
/// what was paid and takes the purchase's days off the subscription. Once per purchase.
struct refund_request {
  std::string purchase_id;
  std::string by;
  std::string reason;
  std::int64_t now_us = 0;
};
struct deposit_request {
  std::string deposit_id;
  domain::user_id user;
  domain::amount value = domain::amount(domain::asset::usdt, 0);
  domain::system_account source = domain::system_account::nowpayments_clearing;
  std::string external_ref;
  std::int64_t now_us = 0;
  bool with_commission = true;  // false: the money pays for a purchase that pays commission
};
struct transfer_request {
  std::string transfer_id;
  domain::wallet_key from;
  domain::wallet_key to;
  domain::amount value = domain::amount(domain::asset::usdt, 0);
  std::int64_t now_us = 0;
};
struct payout_request {  // from the chain gateway: submitted / confirmed / failed / retry
  domain::channel_id channel;
  domain::payout::command command;
  std::int64_t now_us = 0;
};
/// An operator's cancel of a payout batch whose transaction is not signed yet: a send queued on
/// the hot wallet's stream is abandoned first, then the batch fails finally and its hold is
/// voided; the money is the channel's again and goes into a later batch.
struct payout_cancel {
  domain::channel_id channel;
  std::string batch_id;
  std::string by;
  std::string reason;
  std::int64_t now_us = 0;
};

// ---- operators ----
struct token_request {  // create / revoke an API token
  std::string token_id;
  domain::token::command command;
  std::int64_t now_us = 0;
};
struct manual_deposit_request {  // request / reject a manual (bank) deposit
  std::string deposit_id;
  domain::manual_deposit::command command;
  std::int64_t now_us = 0;
};
/// Approval by a second operator: records it, then credits the user through a deposit process
/// from the manual clearing account.
struct manual_deposit_approval {
  std::string deposit_id;
  std::string by;  // token id of the approving operator
  std::int64_t now_us = 0;
};
struct admin_log_request {
  domain::admin_log::recorded entry;
  std::int64_t now_us = 0;
};

// ---- NOWPayments invoices ----
/// Prices the order like a purchase (tier or donation, coupon) and records the invoice; the
/// reply is the invoice as recorded (a retry with the same order id and terms gets the same).
struct invoice_create_request {
  std::string order_id;
  domain::user_id buyer;
  domain::channel_id channel;
  std::uint32_t tier = 0;  // 0: a donation of donation_usd
  domain::amount donation_usd = domain::amount(domain::asset::usd, 0);
  std::string coupon;
  std::string description;
  std::int64_t now_us = 0;
};
/// Records the hosted invoice NOWPayments created for the order.
struct invoice_link_request {
  std::string order_id;
  std::string provider_invoice_id;
  std::string url;
  std::int64_t now_us = 0;
};
/// Records a creation attempt before POST /v1/invoice is sent, or that one created nothing
/// (domain/invoice.hpp); the reply says whether anything was written.
using invoice_attempt_step = std::variant<domain::invoice::begin_attempt, domain::invoice::close_attempt>;
struct invoice_attempt_request {
  std::string order_id;
  invoice_attempt_step step;
  std::int64_t now_us = 0;
};
/// A payment status from an IPN or from polling. The reply comes once the status is durable
/// and, when it moves money, once the settlement process has started durably.
struct payment_report_request {
  std::string order_id;
  domain::invoice::report reported;
  std::int64_t now_us = 0;
};
struct payment_ack {
  bool recorded = false;  // false: a duplicate or an older status (nothing written)
  bool late = false;      // a different final status after the recorded final one: for review
  domain::invoice::status current = domain::invoice::status::waiting;
  domain::invoice::action decided = domain::invoice::action::none;
  std::uint64_t last_seq = 0;
};
struct invoice_query {
  std::string order_id;
};
/// Records Telegram notices for a user, or a notice's delivery (the outbox; domain/notice.hpp).
struct notice_request {
  domain::user_id user;
  domain::notice::command request;
  std::int64_t now_us = 0;
};
/// Records a Telegram update on its user's conversation, or a dialogue change
/// (domain/conversation.hpp).
struct conversation_request {
  domain::user_id user;
  domain::conversation::command command;
  std::int64_t now_us = 0;
};
/// Starts a broadcast, records its progress, or finishes it (domain/broadcast.hpp).
struct broadcast_request {
  std::string id;
  domain::broadcast::command command;
  std::int64_t now_us = 0;
};

// ---- chain (gateways/chain): deposits, the scan cursor, the hot wallet, withdrawals ----
/// A deposit's sighting, orphaning or confirmation; the reply is the deposit's state after it.
struct chain_deposit_request {
  domain::chain_deposit::key deposit;
  domain::chain_deposit::command command;
  std::int64_t now_us = 0;
};
/// Credits a confirmed deposit to its user (deposit process "c{chain}-..." from chain clearing,
/// with referral commission). Idempotent; refused unless the deposit is confirmed.
struct chain_deposit_credit_request {
  domain::chain_deposit::key deposit;
  std::int64_t now_us = 0;
};
struct chain_deposit_query {
  domain::chain_deposit::key deposit;
};
struct chain_scan_request {
  std::uint64_t chain_id = 0;
  domain::chain_scan::command command;
  std::int64_t now_us = 0;
};
struct chain_scan_query {
  std::uint64_t chain_id = 0;
};
/// A command to the hot wallet's send queue (sign, record_mined, settle, abandon, skip_nonces).
struct chain_send_request {
  domain::chain_send::key sender;
  domain::chain_send::command command;
  std::int64_t now_us = 0;
};
struct chain_send_query {
  domain::chain_send::key sender;
};
/// A user's withdrawal: records it, holds the user's wallet, and (unless it needs a second
/// operator) asks the hot wallet to send it. The reply is the withdrawal as recorded.
struct withdrawal_request {
  std::string id;
  domain::user_id user;
  domain::amount value = domain::amount(domain::asset::usdt, 0);
  std::string address;
  std::string by;
  std::int64_t now_us = 0;
};
/// A second operator's approval (then the send) or rejection (then the hold is voided), or a
/// cancel by an operator or the user before its transaction is signed (a queued send is
/// abandoned first; then the hold is voided).
enum class withdrawal_verdict : std::uint8_t { approve, reject, cancel };
struct withdrawal_decision {
  std::string id;
  withdrawal_verdict verdict = withdrawal_verdict::approve;
  std::string by;
  std::string reason;
  std::int64_t now_us = 0;
};
/// The chain's outcome for a withdrawal's send: success posts the hold (money left), failure
/// voids it (money back).
struct withdrawal_outcome {
  std::string id;
  bool success = false;
  std::string tx_hash;
  std::string reason;
  std::int64_t now_us = 0;
};
struct withdrawal_query {
  std::string id;
};

/// How a process ended.
struct process_reply {
  std::string process;     // "purchase:P1"
  std::string outcome;     // "completed"
  std::uint64_t last_seq = 0;
};

// ---- queries (durable state) ----
struct wallet_query {
  domain::wallet_key wallet;
};
struct user_query {
  domain::user_id user;
};
struct channel_query {
  domain::channel_id channel;
};
struct subscription_query {
  domain::user_id user;
  domain::channel_id channel;
};
struct payout_query {
  domain::channel_id channel;
};
struct coupon_query {
  std::string code;
};
struct settings_query {};
struct blacklist_query {};
struct process_query {
  std::string key;  // "purchase-P1"
};
struct token_query {
  std::string token_id;
};
struct notice_query {
  domain::user_id user;
};
struct conversation_query {
  domain::user_id user;
};
struct broadcast_query {
  std::string id;
};

using ledger_actor = caf::typed_actor<
    caf::reacts_to<ask_tick_atom>,
    caf::replies_to<register_user_request>::with<result<entity_reply>>,
    caf::replies_to<link_referrer_request>::with<result<entity_reply>>,
    caf::replies_to<user_admin_request>::with<result<entity_reply>>,
    caf::replies_to<blacklist_request>::with<result<entity_reply>>,
    caf::replies_to<webhook_request>::with<result<entity_reply>>,
    caf::replies_to<channel_request>::with<result<entity_reply>>,
    caf::replies_to<settings_request>::with<result<entity_reply>>,
    caf::replies_to<coupon_request>::with<result<entity_reply>>,
    caf::replies_to<subscription_request>::with<result<entity_reply>>,
    caf::replies_to<wallet_request>::with<result<entity_reply>>,
    caf::replies_to<payout_request>::with<result<entity_reply>>,
    caf::replies_to<payout_cancel>::with<result<entity_reply>>,
    caf::replies_to<token_request>::with<result<entity_reply>>,
    caf::replies_to<manual_deposit_request>::with<result<entity_reply>>,
    caf::replies_to<manual_deposit_approval>::with<result<process_reply>>,
    caf::replies_to<admin_log_request>::with<result<entity_reply>>,
    caf::replies_to<purchase_request>::with<result<process_reply>>,
    caf::replies_to<refund_request>::with<result<process_reply>>,
    caf::replies_to<deposit_request>::with<result<process_reply>>,
    caf::replies_to<transfer_request>::with<result<process_reply>>,
    caf::replies_to<invoice_create_request>::with<result<domain::invoice::state>>,
    caf::replies_to<invoice_link_request>::with<result<entity_reply>>,
    caf::replies_to<invoice_attempt_request>::with<result<entity_reply>>,
    caf::replies_to<payment_report_request>::with<result<payment_ack>>,
    caf::replies_to<invoice_query>::with<result<domain::invoice::state>>,
    caf::replies_to<notice_request>::with<result<entity_reply>>,
    caf::replies_to<conversation_request>::with<result<entity_reply>>,
    caf::replies_to<notice_query>::with<result<domain::notice::state>>,
    caf::replies_to<conversation_query>::with<result<domain::conversation::state>>,
    caf::replies_to<broadcast_request>::with<result<entity_reply>>,
    caf::replies_to<broadcast_query>::with<result<domain::broadcast::state>>,
    caf::replies_to<wallet_query>::with<result<domain::wallet::state>>,
    caf::replies_to<user_query>::with<result<domain::user::state>>,
    caf::replies_to<channel_query>::with<result<domain::channel::state>>,
    caf::replies_to<subscription_query>::with<result<domain::subscription::state>>,
    caf::replies_to<payout_query>::with<result<domain::payout::state>>,
    caf::replies_to<coupon_query>::with<result<domain::coupon::state>>,
    caf::replies_to<settings_query>::with<result<domain::settings::state>>,
    caf::replies_to<blacklist_query>::with<result<domain::blacklist::state>>,
    caf::replies_to<process_query>::with<result<domain::process::state>>,
    caf::replies_to<token_query>::with<result<domain::token::state>>,
    caf::replies_to<chain_deposit_request>::with<result<domain::chain_deposit::state>>,
    caf::replies_to<chain_deposit_credit_request>::with<result<process_reply>>,
    caf::replies_to<chain_deposit_query>::with<result<domain::chain_deposit::state>>,
    caf::replies_to<chain_scan_request>::with<result<entity_reply>>,
    caf::replies_to<chain_scan_query>::with<result<domain::chain_scan::state>>,
    caf::replies_to<chain_send_request>::with<result<entity_reply>>,
    caf::replies_to<chain_send_query>::with<result<domain::chain_send::state>>,
    caf::replies_to<withdrawal_request>::with<result<domain::withdrawal::state>>,
    caf::replies_to<withdrawal_decision>::with<result<domain::withdrawal::state>>,
    caf::replies_to<withdrawal_outcome>::with<result<domain::withdrawal::state>>,
    caf::replies_to<withdrawal_query>::with<result<domain::withdrawal::state>>>;

}  // namespace telepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::register_user_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::link_referrer_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::user_admin_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::blacklist_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::webhook_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::channel_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::settings_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::coupon_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::subscription_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::wallet_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::purchase_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::deposit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::transfer_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payout_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payout_cancel)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::refund_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::process_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::actors::process_reply>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::wallet_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::user_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::channel_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::subscription_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payout_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::coupon_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::settings_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::blacklist_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::process_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::token_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::token_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::manual_deposit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::manual_deposit_approval)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::admin_log_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::invoice_create_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::invoice_link_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::invoice_attempt_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payment_report_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::payment_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::actors::payment_ack>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::invoice_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::notice_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::conversation_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::notice_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::conversation_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::broadcast_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::broadcast_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_deposit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_deposit_credit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_deposit_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_scan_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_scan_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_send_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::chain_send_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::withdrawal_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::withdrawal_decision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::withdrawal_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::withdrawal_query)
