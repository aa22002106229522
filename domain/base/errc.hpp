#pragma once
/// Error codes shared by every layer. Values are pinned: never renumber, never reuse a value.
/// Switches over errc have no `default:` so -Wswitch reports a missing case.

#include <cstdint>
#include <string_view>

namespace telepay {

enum class errc : std::uint32_t {
  // Bad input (1..99): the caller sent something we refuse; nothing was written.
  invalid_argument = 1,
  stream_name_invalid = 2,
  event_type_invalid = 3,
  events_must_not_be_empty = 4,
  too_many_events = 5,
  payload_too_large = 6,
  metadata_invalid = 7,
  idempotency_key_invalid = 8,
  snapshot_invalid = 9,

  // Event store outcomes (100..199).
  wrong_expected_version = 100,
  idempotency_key_reused_with_different_payload = 101,
  store_closed = 102,
  storage_failed = 103,
  chain_broken = 104,
  record_corrupt = 105,
  not_found = 106,
  format_mismatch = 107,
  append_queue_full = 108,

  // Money (200..219).
  amount_invalid = 200,
  amount_must_be_positive = 201,
  amount_overflow = 202,
  asset_unknown = 203,
  asset_mismatch = 204,
  rate_invalid = 205,

  // Wallets (220..239).
  insufficient_funds = 220,
  transfer_exists_with_different_amount = 221,
  hold_not_found = 222,
  hold_expired = 223,
  overflows_credits = 224,
  overflows_debits = 225,
  transfer_id_invalid = 226,
  wallet_owner_invalid = 227,

  // Users, referrals, blacklist (240..259).
  user_not_registered = 240,
  user_already_registered = 241,
  self_referral = 242,
  referral_cycle = 243,
  referrer_already_set = 244,
  referrer_unknown = 245,
  user_banned = 246,
  user_not_banned = 247,
  blacklisted = 248,
  already_blacklisted = 249,
  not_blacklisted = 250,
  referral_code_invalid = 251,
  user_id_invalid = 252,

  // Channels (260..279).
  channel_not_found = 260,
  channel_exists = 261,
  tiers_invalid = 262,
  donation_out_of_range = 263,
  donations_disabled = 264,
  payout_address_invalid = 265,
  channel_disabled = 266,
  tier_not_found = 267,
  payout_threshold_invalid = 268,
  channel_title_invalid = 269,

  // Subscriptions (280..299).
  subscription_not_found = 280,
  subscription_not_expired = 281,

  // Coupons (300..319).
  coupon_not_found = 300,
  coupon_expired = 301,
  coupon_exhausted = 302,
  coupon_already_used = 303,
  coupon_not_applicable = 304,
  coupon_invalid = 305,
  coupon_exists = 306,

  // Payouts (320..339).
  payout_nothing_to_batch = 320,
  payout_batch_not_found = 321,
  payout_state_invalid = 322,

  // Settings (340..349).
  setting_unknown = 340,
  setting_invalid = 341,

  // Codec and runtime (350..379).
  event_decode_failed = 350,
  event_type_unknown = 351,
  event_version_unsupported = 352,
  request_timeout = 360,
  overloaded = 361,
  internal = 362,
  process_failed = 363,

  // Operators and admin (370..399).
  approval_same_operator = 370,
  manual_deposit_not_found = 371,
  manual_deposit_state_invalid = 372,
  approval_state_invalid = 373,  // nothing (any more) waits for this approval
  token_invalid = 380,
  token_exists = 381,
  token_not_found = 382,
  role_invalid = 383,
  unauthenticated = 384,
  forbidden = 385,
  rate_limited = 386,
  idempotency_key_required = 387,

  // payments (NOWPayments invoices and IPNs)
  invoice_not_found = 390,
  invoice_exists = 391,
  signature_missing = 392,
  signature_invalid = 393,
  payment_invalid = 394,
  upstream_failed = 395,      // the payment provider refused the request (4xx)
  upstream_unavailable = 396, // timeouts, connection failures, 5xx after every retry

  // Chain: JSON-RPC, deposits, payouts and withdrawals (400..439).
  chain_rpc_failed = 400,        // the node answered with a JSON-RPC error object
  chain_reply_malformed = 401,   // the node's answer is not what the method returns
  chain_mismatch = 402,          // chain id or token decimals differ from the configuration
  deposit_state_invalid = 403,   // a chain deposit command that its state refuses
  withdrawal_not_found = 404,
  withdrawal_state_invalid = 405,
  approval_pending = 406,        // a change that waits for a second operator
  send_state_invalid = 407,      // a hot-wallet send command that its state refuses
  chain_not_configured = 408,
  withdrawal_below_minimum = 409,  // smaller than the withdrawal_min_usdt setting

  // Broadcasts and purchases (440..459).
  broadcast_not_found = 440,
  broadcast_state_invalid = 441,  // a broadcast command that its state refuses (cancel a finished one)
  purchase_not_found = 442,
  refund_refused = 443,           // a purchase that cannot be refunded (refunded already, paid out)

  // Outbound webhooks (460..469).
  webhook_not_found = 460,
  webhook_state_invalid = 461,  // a webhook command that its state refuses (disable a disabled one)
};

/// A short, stable, human-readable name for each code (used in logs and HTTP errors).
constexpr std::string_view errc_name(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::stream_name_invalid: return "stream_name_invalid";
    case errc::event_type_invalid: return "event_type_invalid";
    case errc::events_must_not_be_empty: return "events_must_not_be_empty";
    case errc::too_many_events: return "too_many_events";
    case errc::payload_too_large: return "payload_too_large";
    case errc::metadata_invalid: return "metadata_invalid";
    case errc::idempotency_key_invalid: return "idempotency_key_invalid";
    case errc::snapshot_invalid: return "snapshot_invalid";
    case errc::wrong_expected_version: return "wrong_expected_version";
    case errc::idempotency_key_reused_with_different_payload:
      return "idempotency_key_reused_with_different_payload";
    case errc::store_closed: return "store_closed";
    case errc::storage_failed: return "storage_failed";
    case errc::chain_broken: return "chain_broken";
    case errc::record_corrupt: return "record_corrupt";
    case errc::not_found: return "not_found";
    case errc::format_mismatch: return "format_mismatch";
    case errc::append_queue_full: return "append_queue_full";
    case errc::amount_invalid: return "amount_invalid";
    case errc::amount_must_be_positive: return "amount_must_be_positive";
    case errc::amount_overflow: return "amount_overflow";
    case errc::asset_unknown: return "asset_unknown";
    case errc::asset_mismatch: return "asset_mismatch";
    case errc::rate_invalid: return "rate_invalid";
    case errc::insufficient_funds: return "insufficient_funds";
    case errc::transfer_exists_with_different_amount: return "transfer_exists_with_different_amount";
    case errc::hold_not_found: return "hold_not_found";
    case errc::hold_expired: return "hold_expired";
    case errc::overflows_credits: return "overflows_credits";
    case errc::overflows_debits: return "overflows_debits";
    case errc::transfer_id_invalid: return "transfer_id_invalid";
    case errc::wallet_owner_invalid: return "wallet_owner_invalid";
    case errc::user_not_registered: return "user_not_registered";
    case errc::user_already_registered: return "user_already_registered";
    case errc::self_referral: return "self_referral";
    case errc::referral_cycle: return "referral_cycle";
    case errc::referrer_already_set: return "referrer_already_set";
    case errc::referrer_unknown: return "referrer_unknown";
    case errc::user_banned: return "user_banned";
    case errc::user_not_banned: return "user_not_banned";
    case errc::blacklisted: return "blacklisted";
    case errc::already_blacklisted: return "already_blacklisted";
    case errc::not_blacklisted: return "not_blacklisted";
    case errc::referral_code_invalid: return "referral_code_invalid";
    case errc::user_id_invalid: return "user_id_invalid";
    case errc::channel_not_found: return "channel_not_found";
    case errc::channel_exists: return "channel_exists";
    case errc::tiers_invalid: return "tiers_invalid";
    case errc::donation_out_of_range: return "donation_out_of_range";
    case errc::donations_disabled: return "donations_disabled";
    case errc::payout_address_invalid: return "payout_address_invalid";
    case errc::channel_disabled: return "channel_disabled";
    case errc::tier_not_found: return "tier_not_found";
    case errc::payout_threshold_invalid: return "payout_threshold_invalid";
    case errc::channel_title_invalid: return "channel_title_invalid";
    case errc::subscription_not_found: return "subscription_not_found";
    case errc::subscription_not_expired: return "subscription_not_expired";
    case errc::coupon_not_found: return "coupon_not_found";
    case errc::coupon_expired: return "coupon_expired";
    case errc::coupon_exhausted: return "coupon_exhausted";
    case errc::coupon_already_used: return "coupon_already_used";
    case errc::coupon_not_applicable: return "coupon_not_applicable";
    case errc::coupon_invalid: return "coupon_invalid";
    case errc::coupon_exists: return "coupon_exists";
    case errc::payout_nothing_to_batch: return "payout_nothing_to_batch";
    case errc::payout_batch_not_found: return "payout_batch_not_found";
    case errc::payout_state_invalid: return "payout_state_invalid";
    case errc::setting_unknown: return "setting_unknown";
    case errc::setting_invalid: return "setting_invalid";
    case errc::event_decode_failed: return "event_decode_failed";
    case errc::event_type_unknown: return "event_type_unknown";
    case errc::event_version_unsupported: return "event_version_unsupported";
    case errc::request_timeout: return "request_timeout";
    case errc::overloaded: return "overloaded";
    case errc::internal: return "internal";
    case errc::process_failed: return "process_failed";
    case errc::approval_same_operator: return "approval_same_operator";
    case errc::approval_state_invalid: return "approval_state_invalid";
    case errc::manual_deposit_not_found: return "manual_deposit_not_found";
    case errc::manual_deposit_state_invalid: return "manual_deposit_state_invalid";
    case errc::token_invalid: return "token_invalid";
    case errc::token_exists: return "token_exists";
    case errc::token_not_found: return "token_not_found";
    case errc::role_invalid: return "role_invalid";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::rate_limited: return "rate_limited";
    case errc::idempotency_key_required: return "idempotency_key_required";
    case errc::invoice_not_found: return "invoice_not_found";
    case errc::invoice_exists: return "invoice_exists";
    case errc::signature_missing: return "signature_missing";
    case errc::signature_invalid: return "signature_invalid";
    case errc::payment_invalid: return "payment_invalid";
    case errc::upstream_failed: return "upstream_failed";
    case errc::upstream_unavailable: return "upstream_unavailable";
    case errc::chain_rpc_failed: return "chain_rpc_failed";
    case errc::chain_reply_malformed: return "chain_reply_malformed";
    case errc::chain_mismatch: return "chain_mismatch";
    case errc::deposit_state_invalid: return "deposit_state_invalid";
    case errc::withdrawal_not_found: return "withdrawal_not_found";
    case errc::withdrawal_state_invalid: return "withdrawal_state_invalid";
    case errc::approval_pending: return "approval_pending";
    case errc::send_state_invalid: return "send_state_invalid";
    case errc::chain_not_configured: return "chain_not_configured";
    case errc::withdrawal_below_minimum: return "withdrawal_below_minimum";
    case errc::broadcast_not_found: return "broadcast_not_found";
    case errc::broadcast_state_invalid: return "broadcast_state_invalid";
    case errc::purchase_not_found: return "purchase_not_found";
    case errc::refund_refused: return "refund_refused";
    case errc::webhook_not_found: return "webhook_not_found";
    case errc::webhook_state_invalid: return "webhook_state_invalid";
  }
  return "unknown";  // Unreachable for valid enumerators; keeps -Wreturn-type quiet.
}

/// Every enumerator, for tests that check names are unique and non-empty.
inline constexpr errc errc_all[] = {
    errc::invalid_argument,
    errc::stream_name_invalid,
    errc::event_type_invalid,
    errc::events_must_not_be_empty,
    errc::too_many_events,
    errc::payload_too_large,
    errc::metadata_invalid,
    errc::idempotency_key_invalid,
    errc::snapshot_invalid,
    errc::wrong_expected_version,
    errc::idempotency_key_reused_with_different_payload,
    errc::store_closed,
    errc::storage_failed,
    errc::chain_broken,
    errc::record_corrupt,
    errc::not_found,
    errc::format_mismatch,
    errc::append_queue_full,
    errc::amount_invalid,
    errc::amount_must_be_positive,
    errc::amount_overflow,
    errc::asset_unknown,
    errc::asset_mismatch,
    errc::rate_invalid,
    errc::insufficient_funds,
    errc::transfer_exists_with_different_amount,
    errc::hold_not_found,
    errc::hold_expired,
    errc::overflows_credits,
    errc::overflows_debits,
    errc::transfer_id_invalid,
    errc::wallet_owner_invalid,
    errc::user_not_registered,
    errc::user_already_registered,
    errc::self_referral,
    errc::referral_cycle,
    errc::referrer_already_set,
    errc::referrer_unknown,
    errc::user_banned,
    errc::user_not_banned,
    errc::blacklisted,
    errc::already_blacklisted,
    errc::not_blacklisted,
    errc::referral_code_invalid,
    errc::user_id_invalid,
    errc::channel_not_found,
    errc::channel_exists,
    errc::tiers_invalid,
    errc::donation_out_of_range,
    errc::donations_disabled,
    errc::payout_address_invalid,
    errc::channel_disabled,
    errc::tier_not_found,
    errc::payout_threshold_invalid,
    errc::channel_title_invalid,
    errc::subscription_not_found,
    errc::subscription_not_expired,
    errc::coupon_not_found,
    errc::coupon_expired,
    errc::coupon_exhausted,
    errc::coupon_already_used,
    errc::coupon_not_applicable,
    errc::coupon_invalid,
    errc::coupon_exists,
    errc::payout_nothing_to_batch,
    errc::payout_batch_not_found,
    errc::payout_state_invalid,
    errc::setting_unknown,
    errc::setting_invalid,
    errc::event_decode_failed,
    errc::event_type_unknown,
    errc::event_version_unsupported,
    errc::request_timeout,
    errc::overloaded,
    errc::internal,
    errc::process_failed,
    errc::approval_same_operator,
    errc::approval_state_invalid,
    errc::manual_deposit_not_found,
    errc::manual_deposit_state_invalid,
    errc::token_invalid,
    errc::token_exists,
    errc::token_not_found,
    errc::role_invalid,
    errc::unauthenticated,
    errc::forbidden,
    errc::rate_limited,
    errc::idempotency_key_required,
    errc::invoice_not_found,
    errc::invoice_exists,
    errc::signature_missing,
    errc::signature_invalid,
    errc::payment_invalid,
    errc::upstream_failed,
    errc::upstream_unavailable,
    errc::chain_rpc_failed,
    errc::chain_reply_malformed,
    errc::chain_mismatch,
    errc::deposit_state_invalid,
    errc::withdrawal_not_found,
    errc::withdrawal_state_invalid,
    errc::approval_pending,
    errc::send_state_invalid,
    errc::chain_not_configured,
    errc::withdrawal_below_minimum,
    errc::broadcast_not_found,
    errc::broadcast_state_invalid,
    errc::purchase_not_found,
    errc::refund_refused,
    errc::webhook_not_found,
    errc::webhook_state_invalid,
};

}  // namespace telepay
