#pragma once
/// The actor runtime of telepayd: the CAF actor_system, its configuration, and an orderly
/// shutdown. CAF's actor_system destructor waits for every live actor, so long-lived actors are
/// registered here and sent `exit` before the system is destroyed (BUILD-NOTES gotcha).
///
/// Thread safety: construct and destroy on one thread; keep()/system() from any thread.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace telepay::actors {

struct runtime_options {
  /// CAF scheduler worker threads. Default: 2 (the machine's cores).
  std::size_t scheduler_threads = 2;
  /// CAF scheduler policy: "sharing" (one shared job queue) or "stealing" (work stealing).
  /// Default: "sharing", which gave 15-20% more durable transfers/s than CAF's default
  /// work stealing on this 2-core machine (docs/BENCHMARKS.md).
  std::string scheduler_policy = "sharing";
};

class runtime {
 public:
  explicit runtime(const runtime_options& options);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  caf::actor_system& system() { return *system_; }

  /// Registers a long-lived actor to be sent `exit` (user_shutdown) at shutdown.
  void keep(caf::actor actor);

  /// Sends exit to every kept actor; the destructor then waits for them. Idempotent.
  void shutdown();

 private:
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::mutex mutex_;
  std::vector<caf::actor> kept_;
};

}  // namespace telepay::actors
