#pragma once
/// How the ledger's actors reach entity registries, and the request helpers they share. Every
/// helper turns a CAF failure (timeout, receiver down) into a telepay error, so callers handle
/// exactly one kind of result.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/all.hpp>

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
  caf::actor processes;
  std::chrono::milliseconds timeout{30'000};

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

/// Errors a process retries (the infrastructure, not the business, said no).
inline bool is_transient(errc code) {
  switch (code) {
    case errc::storage_failed:
    case errc::store_closed:
    case errc::append_queue_full:
    case errc::request_timeout:
    case errc::overloaded:
    case errc::internal:
    case errc::wrong_expected_version: return true;
    default: return false;
  }
}

/// Sends a command to an entity through its registry; `done` gets the entity's reply.
template <class Entity, class Self>
void send_command(Self* self, const caf::actor& registry, const typename Entity::key_type& key,
                  typename Entity::command_type command, command_meta meta,
                  std::chrono::milliseconds timeout,
                  std::function<void(result<entity_reply>)> done) {
  self->request(registry, timeout, route_atom::value, key,
                envelope<typename Entity::command_type>{std::move(meta), std::move(command)})
      .then([done](result<entity_reply>& r) { done(std::move(r)); },
            [done](caf::error& e) { done(result<entity_reply>(from_caf(e))); });
}

/// Reads an entity's durable state through its registry.
template <class Entity, class Self>
void query_state(Self* self, const caf::actor& registry, const typename Entity::key_type& key,
                 std::chrono::milliseconds timeout,
                 std::function<void(result<typename Entity::state_type>)> done) {
  using state_result = result<typename Entity::state_type>;
  self->request(registry, timeout, route_atom::value, key, state_atom::value)
      .then([done](state_result& r) { done(std::move(r)); },
            [done](caf::error& e) { done(state_result(from_caf(e))); });
}

}  // namespace telepay::actors
