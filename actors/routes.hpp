#pragma once
/// How the ledger's actors reach entity registries, and the request helpers they share. Every
/// helper turns a CAF failure (timeout, receiver down) into a telepay error, so callers handle
/// exactly one kind of result.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/ask_watch.hpp"
#include "actors/directory.hpp"
#include "actors/entities.hpp"
#include "actors/registry.hpp"

namespace telepay::actors {

/// Registries by entity kind. Wallets are sharded by stream so the hottest registry is not one
/// actor's mailbox.
struct routes {
  std::vector<caf::actor> wallets;
  caf::actor users;
  caf::actor channels;
  caf::actor subscriptions;
  caf::actor payouts;
  caf::actor coupons;
  caf::actor settings;
  caf::actor blacklist;
  caf::actor webhooks;
  caf::actor processes;
  caf::actor tokens;
  caf::actor manual_deposits;
  caf::actor admin_logs;
  caf::actor invoices;
  caf::actor notices;
  caf::actor conversations;
  caf::actor broadcasts;
  caf::actor chain_deposits;
  caf::actor chain_scans;
  caf::actor chain_sends;
  caf::actor withdrawals;
  /// Live entity actors, to message them without the registry hop (null: always the registry).
  std::shared_ptr<actor_directory> directory;
  /// How long an actor waits for another's reply before it answers itself with
  /// errc::request_timeout (ask_watch.hpp: one watch per asking actor, no CAF timer per
  /// request). A process step that times out is retried like any transient failure.
  std::chrono::milliseconds ask_bound{60'000};

  const caf::actor& wallet(const domain::wallet_key& key) const {
    return wallets[std::hash<std::string>{}(key.stream()) % wallets.size()];
  }
};

/// A CAF error as a telepay error: timeouts are request_timeout, anything else internal.
inline error from_caf(const caf::error& e) {
  if (e == caf::sec::request_timeout) {
    return make_error(errc::request_timeout, "the request timed out");
  }
  return make_error(errc::internal, "actor request failed (caf error " +
                                        std::to_string(static_cast<int>(e.code())) + ")");
}

/// Errors a process retries (the infrastructure, not the business, said no). Every code is
/// named (no default): -Wswitch makes a new code's author decide whether it is retried.
inline bool is_transient(errc code) {
  switch (code) {
    case errc::storage_failed:
    case errc::store_closed:
    case errc::append_queue_full:
    case errc::request_timeout:
    case errc::overloaded:
    case errc::internal:
    case errc::wrong_expected_version: return true;
    case errc::invalid_argument:
    case errc::stream_name_invalid:
    case errc::event_type_invalid:
    case errc::events_must_not_be_empty:
    case errc::too_many_events:
    case errc::payload_too_large:
    case errc::metadata_invalid:
    case errc::idempotency_key_invalid:
    case errc::snapshot_invalid:
    case errc::idempotency_key_reused_with_different_payload:
    case errc::chain_broken:
    case errc::record_corrupt:
    case errc::not_found:
    case errc::format_mismatch:
    case errc::amount_invalid:
    case errc::amount_must_be_positive:
    case errc::amount_overflow:
    case errc::asset_unknown:
    case errc::asset_mismatch:
    case errc::rate_invalid:
    case errc::insufficient_funds:
    case errc::transfer_exists_with_different_amount:
    case errc::hold_not_found:
    case errc::hold_expired:
    case errc::overflows_credits:
    case errc::overflows_debits:
    case errc::transfer_id_invalid:
    case errc::wallet_owner_invalid:
    case errc::user_not_registered:
    case errc::user_already_registered:
    case errc::self_referral:
    case errc::referral_cycle:
    case errc::referrer_already_set:
    case errc::referrer_unknown:
    case errc::user_banned:
    case errc::user_not_banned:
    case errc::blacklisted:
    case errc::already_blacklisted:
    case errc::not_blacklisted:
    case errc::referral_code_invalid:
    case errc::user_id_invalid:
    case errc::channel_not_found:
    case errc::channel_exists:
    case errc::tiers_invalid:
    case errc::donation_out_of_range:
    case errc::donations_disabled:
    case errc::payout_address_invalid:
    case errc::channel_disabled:
    case errc::tier_not_found:
    case errc::payout_threshold_invalid:
    case errc::channel_title_invalid:
    case errc::subscription_not_found:
    case errc::subscription_not_expired:
    case errc::coupon_not_found:
    case errc::coupon_expired:
    case errc::coupon_exhausted:
    case errc::coupon_already_used:
    case errc::coupon_not_applicable:
    case errc::coupon_invalid:
    case errc::coupon_exists:
    case errc::payout_nothing_to_batch:
    case errc::payout_batch_not_found:
    case errc::payout_state_invalid:
    case errc::setting_unknown:
    case errc::setting_invalid:
    case errc::event_decode_failed:
    case errc::event_type_unknown:
    case errc::event_version_unsupported:
    case errc::process_failed:
    case errc::approval_same_operator:
    case errc::approval_state_invalid:
    case errc::manual_deposit_not_found:
    case errc::manual_deposit_state_invalid:
    case errc::token_invalid:
    case errc::token_exists:
    case errc::token_not_found:
    case errc::role_invalid:
    case errc::unauthenticated:
    case errc::forbidden:
    case errc::rate_limited:
    case errc::idempotency_key_required:
    case errc::invoice_not_found:
    case errc::invoice_exists:
    case errc::signature_missing:
    case errc::signature_invalid:
    case errc::payment_invalid:
    case errc::upstream_failed:
    case errc::upstream_unavailable:
    case errc::chain_rpc_failed:
    case errc::chain_reply_malformed:
    case errc::chain_mismatch:
    case errc::deposit_state_invalid:
    case errc::withdrawal_not_found:
    case errc::withdrawal_state_invalid:
    case errc::approval_pending:
    case errc::send_state_invalid:
    case errc::chain_not_configured:
    case errc::withdrawal_below_minimum:
    case errc::broadcast_not_found:
    case errc::broadcast_state_invalid:
    case errc::purchase_not_found:
    case errc::refund_refused:
    case errc::webhook_not_found:
    case errc::webhook_state_invalid: return false;
  }
  return false;
}

/// A watch for `self`'s asks: its ticks are ask_tick_atom messages to `self`, which the
/// actor's behavior hands to on_tick().
template <class Self>
std::shared_ptr<ask_watch> make_ask_watch(Self* self, std::chrono::milliseconds bound) {
  return std::make_shared<ask_watch>(
      bound, [self](std::chrono::milliseconds delay) { self->delayed_send(self, delay, ask_tick_atom::value); });
}

/// Asks `to` and hands the reply, CAF's error or the watch's timeout to `done` (exactly once).
template <class T, class Self, class Dest, class... Ts>
void ask(Self* self, ask_watch& asks, const Dest& to, std::function<void(result<T>)> done, Ts&&... message) {
  auto waiting = asks.watch<T>(std::move(done));
  self->request(to, caf::infinite, std::forward<Ts>(message)...)
      .then([waiting](result<T>& r) { waiting->answer(std::move(r)); },
            [waiting](caf::error& e) { waiting->answer(result<T>(from_caf(e))); });
}

namespace detail {

template <class Entity, class Self>
void send_command_to(Self* self, const caf::actor& registry, const typename Entity::key_type& key,
                     typename Entity::command_type command, command_meta meta,
                     std::shared_ptr<watched_ask<entity_reply>> waiting, const actor_directory* directory) {
  using env_type = envelope<typename Entity::command_type>;
  if (directory != nullptr) {
    if (caf::actor live = directory->find(Entity::stream(key))) {
      auto env = std::make_shared<env_type>(env_type{std::move(meta), std::move(command)});
      self->request(live, caf::infinite, cmd_atom::value, *env)
          .then([waiting](result<entity_reply>& r) { waiting->answer(std::move(r)); },
                [self, registry, key, env, waiting](caf::error& e) {
                  if (e != caf::sec::request_receiver_down) {
                    waiting->answer(result<entity_reply>(from_caf(e)));
                    return;
                  }
                  if (waiting->answered()) return;  // timed out meanwhile
                  // It passivated in between: the registry spawns a fresh one.
                  send_command_to<Entity>(self, registry, key, env->command, env->meta, waiting, nullptr);
                });
      return;
    }
  }
  self->request(registry, caf::infinite, route_atom::value, key, env_type{std::move(meta), std::move(command)})
      .then([waiting](result<entity_reply>& r) { waiting->answer(std::move(r)); },
            [waiting](caf::error& e) { waiting->answer(result<entity_reply>(from_caf(e))); });
}

}  // namespace detail

/// Sends a command to an entity (directly if its actor is live, else through its registry);
/// `done` gets the entity's reply, or request_timeout once `asks`' bound has passed.
template <class Entity, class Self>
void send_command(Self* self, const caf::actor& registry, const typename Entity::key_type& key,
                  typename Entity::command_type command, command_meta meta, ask_watch& asks,
                  std::function<void(result<entity_reply>)> done, const actor_directory* directory = nullptr) {
  detail::send_command_to<Entity>(self, registry, key, std::move(command), std::move(meta),
                                  asks.watch<entity_reply>(std::move(done)), directory);
}

/// A wallet command, straight to the wallet's actor when it is live.
template <class Self>
void send_wallet(Self* self, const routes& r, ask_watch& asks, const domain::wallet_key& key,
                 domain::wallet::command command, command_meta meta,
                 std::function<void(result<entity_reply>)> done) {
  send_command<wallet_entity>(self, r.wallet(key), key, std::move(command), std::move(meta), asks, std::move(done),
                              r.directory.get());
}

/// Reads an entity's durable state through its registry.
template <class Entity, class Self>
void query_state(Self* self, const caf::actor& registry, const typename Entity::key_type& key, ask_watch& asks,
                 std::function<void(result<typename Entity::state_type>)> done) {
  ask<typename Entity::state_type>(self, asks, registry, std::move(done), route_atom::value, key, state_atom::value);
}

}  // namespace telepay::actors
