#pragma once
/// Hosts the read models inside the server: loads their stored rows and checkpoints, catches up
/// from the log, follows it live through a subscription, and periodically saves changed rows
/// with the seq they reflect. Readers (the HTTP API) take a shared lock; the follower applies
/// each delivered run of records under the exclusive lock.
///
/// Thread safety: read() and the accessors from any thread. Lifecycle: start() -> ... -> stop()
/// (or destruction), which saves what changed; the store must outlive the host.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "projections/models.hpp"

namespace telepay::projections {

/// A read model whose stored rows were dropped at start and are rebuilt from seq 1.
struct rebuilt_projection {
  std::string name;
  std::string reason;  // "stored format 1, this build folds format 2", or the row that did not decode
};

struct host_options {
  /// Changed rows are saved at most this often. Default: 1 s.
  std::chrono::milliseconds save_every{1000};
};

class projection_host {
 public:
  static result<std::unique_ptr<projection_host>> start(eventstore::event_store& store,
                                                        const host_options& options);
  ~projection_host();
  projection_host(const projection_host&) = delete;
  projection_host& operator=(const projection_host&) = delete;

  /// Calls `f(const model_set&)` under the shared lock and returns what it returns.
  template <class F>
  auto read(F&& f) const {
    std::shared_lock lock(mutex_);
    return f(static_cast<const model_set&>(models_));
  }

  /// The last seq applied to every projection.
  std::uint64_t position() const { return position_.load(std::memory_order_acquire); }
  /// Durable head minus position.
  std::uint64_t lag() const;
  /// Set when a record could not be applied: the projections stop there (not ready).
  std::optional<error> failure() const;
  /// Waits until position() >= seq; returns whether it got there in time.
  bool wait_for(std::uint64_t seq, std::chrono::milliseconds timeout) const;

  /// The models whose stored rows were dropped at start (another format version, or a row that
  /// did not decode) and are being rebuilt from seq 1; until position() reaches the head they
  /// hold partial rows. Fixed after start().
  const std::vector<rebuilt_projection>& rebuilt() const { return rebuilt_; }

  /// Stops following and saves changed rows. Idempotent.
  void stop();

 private:
  projection_host(eventstore::event_store& store, const host_options& options);
  status load();
  result<std::uint64_t> load_one(projection& p);
  bool on_records(std::span<const eventstore::record> records);
  void save_locked();

  eventstore::event_store& store_;
  host_options options_;
  mutable std::shared_mutex mutex_;
  model_set models_;
  std::vector<std::uint64_t> checkpoints_;  // per projection, as loaded
  std::vector<rebuilt_projection> rebuilt_;
  std::atomic<std::uint64_t> position_{0};
  std::chrono::steady_clock::time_point last_save_;
  std::unique_ptr<eventstore::subscription> subscription_;
  mutable std::mutex failure_mutex_;
  std::optional<error> failure_;
  bool stopped_ = false;
};

}  // namespace telepay::projections
