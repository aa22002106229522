#pragma once
/// A thread-safe way for non-actor code (the HTTP server's io thread, the bot's poller) to ask
/// the ledger facade and get the typed reply in a callback, without blocking a thread per
/// request: the request is handed to a bridge actor that sends it and runs the callback when
/// the reply arrives (on an actor thread: the callback must be short and must not block).

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "actors/ledger_api.hpp"
#include "actors/routes.hpp"

namespace telepay::actors {

using bridge_task = std::function<void(caf::event_based_actor*)>;
using run_atom = caf::atom_constant<caf::atom("run")>;

}  // namespace telepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::bridge_task)

namespace telepay::actors {

class ledger_client {
 public:
  /// Every ask is answered within this time, with errc::request_timeout when the ledger is
  /// slower (the command may still complete: callers retry with the same idempotency key).
  /// Default: 30 s.
  static constexpr std::chrono::seconds ask_timeout_default{30};

  /// Spawns `bridges` bridge actors on `system`. Call stop() before the system goes away.
  ledger_client(caf::actor_system& system, ledger_actor facade, std::size_t bridges = 2,
                std::chrono::milliseconds ask_timeout = ask_timeout_default)
      : facade_(std::move(facade)), ask_timeout_(ask_timeout) {
    for (std::size_t i = 0; i < bridges; ++i) {
      bridges_.push_back(system.spawn(
          [](caf::event_based_actor* self, int) -> caf::behavior {
            return {[self](run_atom, bridge_task& task) { task(self); }};
          },
          0));
    }
  }
  ~ledger_client() { stop(); }
  ledger_client(const ledger_client&) = delete;
  ledger_client& operator=(const ledger_client&) = delete;

  /// Sends `request` to the facade; `done` gets the reply or a CAF failure as a telepay error.
  template <class Reply, class Request>
  void ask(Request request, std::function<void(result<Reply>)> done) {
    if (bridges_.empty()) {
      done(result<Reply>(make_error(errc::store_closed, "the ledger is shutting down")));
      return;
    }
    auto facade = facade_;
    const auto& bridge = bridges_[next_.fetch_add(1, std::memory_order_relaxed) % bridges_.size()];
    const caf::duration timeout(ask_timeout_);
    caf::anon_send(bridge, run_atom::value,
                   bridge_task([facade, timeout, request = std::move(request),
                                done = std::move(done)](caf::event_based_actor* self) mutable {
                     self->request(facade, timeout, std::move(request))
                         .then([done](result<Reply>& r) { done(std::move(r)); },
                               [done](caf::error& e) { done(result<Reply>(from_caf(e))); });
                   }));
  }

  /// Sends `request` and blocks the calling thread until the reply arrives (at most the ask
  /// timeout). For gateway and tool threads only: never call it from an actor (it would wait on
  /// its own scheduler).
  template <class Reply, class Request>
  result<Reply> ask_and_wait(Request request) {
    auto done = std::make_shared<std::promise<result<Reply>>>();
    auto answer = done->get_future();
    ask<Reply>(std::move(request), [done](result<Reply> r) { done->set_value(std::move(r)); });
    return answer.get();
  }

  /// Sends exit to the bridges. Idempotent.
  void stop() {
    for (auto& bridge : bridges_) {
      caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
    }
    bridges_.clear();
  }

 private:
  ledger_actor facade_;
  std::chrono::milliseconds ask_timeout_;
  std::vector<caf::actor> bridges_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace telepay::actors
