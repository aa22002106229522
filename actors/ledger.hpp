#pragma once
/// The ledger core as one object: entity registries, process managers and the typed facade,
/// started on an actor system over an event store, with interrupted processes resumed from the
/// log before the facade is handed out.
///
/// Lifecycle: start() -> facade() for requests -> stop() (or destruction) sends exit to every
/// actor it spawned; the event store and the actor system must outlive the ledger.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/flows.hpp"
#include "actors/ledger_api.hpp"
#include "actors/recovery.hpp"
#include "actors/registry.hpp"

namespace telepay::actors {

struct ledger_options {
  /// Wallet registries (shards) and, per shard, the live-actor cap and idle timeout.
  /// Defaults: 4 shards of 25,000 live wallets, 60 s idle.
  std::size_t wallet_shards = 4;
  registry_options wallets{25'000, std::chrono::milliseconds(60'000), std::chrono::milliseconds(1'000)};
  /// Registries of every other entity kind (one each). Default: 100,000 live, 60 s idle.
  registry_options entities{};
  /// Transfer process managers (transfers are spread over them by id). Default: 2.
  std::size_t transfer_managers = 2;
  /// How long an actor waits for another's reply before it gives up with request_timeout (a
  /// process retries the step; ask_watch.hpp). Must be positive. Default: 60 s.
  std::chrono::milliseconds ask_bound{60'000};
  flow_options flows{};
  /// Called with the seq reached while the recovery scan walks a long log.
  std::function<void(std::uint64_t)> recovery_progress;
};

class ledger {
 public:
  static result<std::unique_ptr<ledger>> start(caf::actor_system& system,
                                               eventstore::event_store& store,
                                               const ledger_options& options);
  ~ledger();
  ledger(const ledger&) = delete;
  ledger& operator=(const ledger&) = delete;

  ledger_actor facade() const { return facade_; }

  /// What the start-up scan found and resumed.
  const recovery_result& recovered() const { return recovered_; }
  /// Processes that stopped retrying and wait for an operator (or a restart).
  const std::shared_ptr<attention_board>& attention() const { return attention_; }

  /// Live/spawned/passivated counters summed over the wallet registries (blocking query).
  registry_stats wallet_stats(caf::actor_system& system) const;

  /// Sends exit to every actor the ledger spawned. Idempotent.
  void stop();

 private:
  ledger() = default;
  routes routes_;
  std::vector<caf::actor> managers_;  // transfers..., purchase, deposit, payout
  std::shared_ptr<attention_board> attention_;
  ledger_actor facade_;
  recovery_result recovered_;
  bool stopped_ = false;
};

}  // namespace telepay::actors
