#pragma once
// A real ledger for tests: an event store in a temporary directory, a CAF actor system and the
// ledger's actors, torn down in order. `call` sends one request to the facade and waits.

#include <chrono>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/ledger.hpp"
#include "actors/runtime.hpp"
#include "eventstore/event_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay::testing {

inline std::int64_t test_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The hot wallet tests sign with (a test chain id and address; nothing here signs).
inline domain::chain_send::key test_hot_wallet() {
  return domain::chain_send::key{1337, "0x00000000000000000000000000000000000000aa"};
}

/// `options` with a hot wallet configured: withdrawals are accepted and payouts are batched.
inline actors::ledger_options with_hot_wallet(actors::ledger_options options = {}) {
  options.flows.sender = test_hot_wallet();
  return options;
}

class ledger_fixture {
 public:
  /// `store_dir`: where the log lives (default: a fresh temporary directory).
  explicit ledger_fixture(actors::ledger_options options = {}, std::filesystem::path store_dir = {})
      : options_(std::move(options)), store_dir_(store_dir.empty() ? dir_.path() / "eventlog" : std::move(store_dir)) {
    open();
  }
  ~ledger_fixture() { close(); }

  void open() {
    eventstore::open_options store_options;
    store_options.directory = store_dir_;
    auto opened = eventstore::event_store::open(store_options);
    if (!opened) {
      ADD_FAILURE() << opened.error().message;
      return;
    }
    store_ = std::move(opened.value());
    runtime_ = std::make_unique<actors::runtime>(actors::runtime_options{});
    auto started = actors::ledger::start(runtime_->system(), *store_, options_);
    if (!started) {
      ADD_FAILURE() << started.error().message;
      return;
    }
    ledger_ = std::move(started.value());
  }

  void close() {
    ledger_.reset();   // sends exit to its actors and drops their handles
    runtime_.reset();  // waits for every actor to finish
    store_.reset();    // drains appends still queued
  }

  void reopen() {
    close();
    open();
  }

  /// Restarts on the same log with other options (a hot wallet configured since, say).
  void reopen(actors::ledger_options options) {
    close();
    options_ = std::move(options);
    open();
  }

  template <class Reply, class Request>
  result<Reply> call(Request request, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    caf::scoped_actor self{runtime_->system()};
    result<Reply> out = make_error(errc::internal, "no reply");
    self->request(ledger_->facade(), timeout, std::move(request))
        .receive([&](result<Reply>& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   out = make_error(errc::internal, runtime_->system().render(e));
                 });
    return out;
  }

  eventstore::event_store& store() { return *store_; }
  actors::ledger& ledger() { return *ledger_; }
  caf::actor_system& system() { return runtime_->system(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  actors::ledger_options options_;
  temp_dir dir_;
  std::filesystem::path store_dir_;
  std::unique_ptr<eventstore::event_store> store_;
  std::unique_ptr<actors::runtime> runtime_;
  std::unique_ptr<actors::ledger> ledger_;
};

}  // namespace telepay::testing
