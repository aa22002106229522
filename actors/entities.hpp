#pragma once
/// Entity traits: how the generic entity actor hosts each domain entity (its key, stream name,
/// initial state, decide/evolve, idempotency key, pipeline depth and snapshot support).
///
/// Only wallets pipeline: they are the hot streams, and their events carry amounts, never
/// values computed from earlier state. Every other entity decides one command at a time.

#include <string>

#include "actors/messages.hpp"
#include "domain/admin.hpp"
#include "domain/blacklist.hpp"
#include "domain/broadcast.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/chain_send.hpp"
#include "domain/channel.hpp"
#include "domain/conversation.hpp"
#include "domain/coupon.hpp"
#include "domain/invoice.hpp"
#include "domain/notice.hpp"
#include "domain/payout.hpp"
#include "domain/process.hpp"
#include "domain/settings.hpp"
#include "domain/subscription.hpp"
#include "domain/user.hpp"
#include "domain/wallet.hpp"
#include "domain/webhook.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::actors {

/// A singleton entity's key.
struct singleton_key {
  friend bool operator==(const singleton_key&, const singleton_key&) = default;
};

struct subscription_key {
  domain::user_id user;
  domain::channel_id channel;
  friend bool operator==(const subscription_key&, const subscription_key&) = default;
};

struct wallet_entity {
  using key_type = domain::wallet_key;
  using state_type = domain::wallet::state;
  using command_type = domain::wallet::command;
  using event_type = domain::wallet::event;
  static constexpr std::size_t pipeline_max = 512;
  static constexpr bool snapshots = true;
  static std::string stream(const key_type& k) { return k.stream(); }
  static state_type initial(const key_type& k) { return state_type(k); }
  static result<std::vector<event_type>> decide(const state_type& s, const command_type& c,
                                                std::int64_t now) {
    return domain::wallet::decide(s, c, now);
  }
  static void evolve(state_type& s, const event_type& e) { domain::wallet::evolve(s, e); }
  static std::string idempotency_key(const state_type& s, const command_type& c) {
    return domain::wallet::idempotency_key(s, c);
  }
  static std::string encode_snapshot(const state_type& s) {
    return domain::wallet::encode_snapshot(s);
  }
  static result<state_type> decode_snapshot(const key_type& k, std::string_view bytes) {
    return domain::wallet::decode_snapshot(k, bytes);
  }
};

/// The hot wallet's send queue: one long stream (every send ever made), so it is snapshotted.
struct chain_send_entity {
  using key_type = domain::chain_send::key;
  using state_type = domain::chain_send::state;
  using command_type = domain::chain_send::command;
  using event_type = domain::chain_send::event;
  static constexpr std::size_t pipeline_max = 1;
  static constexpr bool snapshots = true;
  static std::string stream(const key_type& k) { return domain::chain_send::stream(k); }
  static state_type initial(const key_type& k) { return state_type(k); }
  static result<std::vector<event_type>> decide(const state_type& s, const command_type& c, std::int64_t now) {
    return domain::chain_send::decide(s, c, now);
  }
  static void evolve(state_type& s, const event_type& e) { domain::chain_send::evolve(s, e); }
  static std::string idempotency_key(const state_type& s, const command_type& c) {
    return domain::chain_send::idempotency_key(s, c);
  }
  static std::string encode_snapshot(const state_type& s) { return domain::chain_send::encode_snapshot(s); }
  static result<state_type> decode_snapshot(const key_type& k, std::string_view bytes) {
    return domain::chain_send::decode_snapshot(k, bytes);
  }
};

/// Entities without snapshots and with one command in flight at a time.
#define TELEPAY_SIMPLE_ENTITY(NAME, NS, KEY, STREAM_EXPR, INITIAL_EXPR)                        \
  struct NAME {                                                                                \
    using key_type = KEY;                                                                      \
    using state_type = domain::NS::state;                                                      \
    using command_type = domain::NS::command;                                                  \
    using event_type = domain::NS::event;                                                      \
    static constexpr std::size_t pipeline_max = 1;                                             \
    static constexpr bool snapshots = false;                                                   \
    static std::string stream(const key_type& k) { return STREAM_EXPR; }                       \
    static state_type initial(const key_type& k) { return INITIAL_EXPR; }                      \
    static result<std::vector<event_type>> decide(const state_type& s, const command_type& c,  \
                                                  std::int64_t now) {                          \
      return domain::NS::decide(s, c, now);                                                    \
    }                                                                                          \
    static void evolve(state_type& s, const event_type& e) { domain::NS::evolve(s, e); }       \
    static std::string idempotency_key(const state_type& s, const command_type& c) {           \
      return domain::NS::idempotency_key(s, c);                                                \
    }                                                                                          \
    static std::string encode_snapshot(const state_type&) { return {}; }                       \
    static result<state_type> decode_snapshot(const key_type&, std::string_view) {             \
      return make_error(errc::snapshot_invalid, "no snapshots");                               \
    }                                                                                          \
  }

TELEPAY_SIMPLE_ENTITY(user_entity, user, domain::user_id, domain::user_stream(k),
                      domain::user::state(k));
TELEPAY_SIMPLE_ENTITY(channel_entity, channel, domain::channel_id, domain::channel_stream(k),
                      domain::channel::state(k));
TELEPAY_SIMPLE_ENTITY(subscription_entity, subscription, subscription_key,
                      domain::subscription_stream(k.user, k.channel),
                      domain::subscription::state(k.user, k.channel));
TELEPAY_SIMPLE_ENTITY(payout_entity, payout, domain::channel_id, domain::payout_stream(k),
                      domain::payout::state(k));
TELEPAY_SIMPLE_ENTITY(coupon_entity, coupon, std::string, domain::coupon_stream(k),
                      domain::coupon::state(k));
TELEPAY_SIMPLE_ENTITY(settings_entity, settings, singleton_key,
                      ((void)k, std::string(domain::settings_stream)), ((void)k, domain::settings::state()));
TELEPAY_SIMPLE_ENTITY(blacklist_entity, blacklist, singleton_key,
                      ((void)k, std::string(domain::blacklist_stream)), ((void)k, domain::blacklist::state()));
TELEPAY_SIMPLE_ENTITY(webhook_entity, webhook, singleton_key,
                      ((void)k, std::string(domain::webhook::stream_name)), ((void)k, domain::webhook::state()));
TELEPAY_SIMPLE_ENTITY(process_entity, process, std::string, domain::process::stream(k),
                      domain::process::state(k));
TELEPAY_SIMPLE_ENTITY(token_entity, token, std::string, domain::token::stream(k),
                      domain::token::state(k));
TELEPAY_SIMPLE_ENTITY(manual_deposit_entity, manual_deposit, std::string,
                      domain::manual_deposit::stream(k), domain::manual_deposit::state(k));
TELEPAY_SIMPLE_ENTITY(admin_log_entity, admin_log, std::string, domain::admin_log::stream(k),
                      domain::admin_log::state(k));
TELEPAY_SIMPLE_ENTITY(invoice_entity, invoice, std::string, domain::invoice::stream(k),
                      domain::invoice::state(k));
TELEPAY_SIMPLE_ENTITY(notice_entity, notice, domain::user_id, domain::notice::stream(k),
                      domain::notice::state(k));
TELEPAY_SIMPLE_ENTITY(conversation_entity, conversation, domain::user_id, domain::conversation::stream(k),
                      domain::conversation::state(k));
TELEPAY_SIMPLE_ENTITY(broadcast_entity, broadcast, std::string, domain::broadcast::stream(k),
                      domain::broadcast::state(k));

TELEPAY_SIMPLE_ENTITY(chain_deposit_entity, chain_deposit, domain::chain_deposit::key,
                      domain::chain_deposit::stream(k), domain::chain_deposit::state(k));
TELEPAY_SIMPLE_ENTITY(chain_scan_entity, chain_scan, std::uint64_t, domain::chain_scan::stream(k),
                      domain::chain_scan::state(k));
TELEPAY_SIMPLE_ENTITY(withdrawal_entity, withdrawal, std::string, domain::withdrawal::stream(k),
                      domain::withdrawal::state(k));

#undef TELEPAY_SIMPLE_ENTITY

}  // namespace telepay::actors

#define TELEPAY_ENTITY_MESSAGE_TYPES(NS)                                                     \
  CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::envelope<telepay::domain::NS::command>)     \
  CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::domain::NS::state>)                 \
  CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::NS::state)

TELEPAY_ENTITY_MESSAGE_TYPES(wallet)
TELEPAY_ENTITY_MESSAGE_TYPES(user)
TELEPAY_ENTITY_MESSAGE_TYPES(channel)
TELEPAY_ENTITY_MESSAGE_TYPES(subscription)
TELEPAY_ENTITY_MESSAGE_TYPES(payout)
TELEPAY_ENTITY_MESSAGE_TYPES(coupon)
TELEPAY_ENTITY_MESSAGE_TYPES(settings)
TELEPAY_ENTITY_MESSAGE_TYPES(blacklist)
TELEPAY_ENTITY_MESSAGE_TYPES(process)
TELEPAY_ENTITY_MESSAGE_TYPES(token)
TELEPAY_ENTITY_MESSAGE_TYPES(manual_deposit)
TELEPAY_ENTITY_MESSAGE_TYPES(admin_log)
TELEPAY_ENTITY_MESSAGE_TYPES(invoice)
TELEPAY_ENTITY_MESSAGE_TYPES(notice)
TELEPAY_ENTITY_MESSAGE_TYPES(conversation)
TELEPAY_ENTITY_MESSAGE_TYPES(broadcast)
TELEPAY_ENTITY_MESSAGE_TYPES(chain_deposit)
TELEPAY_ENTITY_MESSAGE_TYPES(chain_scan)
TELEPAY_ENTITY_MESSAGE_TYPES(chain_send)
TELEPAY_ENTITY_MESSAGE_TYPES(withdrawal)
TELEPAY_ENTITY_MESSAGE_TYPES(webhook)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::chain_deposit::key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::chain_send::key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::wallet_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::user_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::domain::channel_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::singleton_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::subscription_key)
