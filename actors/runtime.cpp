#include "actors/runtime.hpp"

#include <caf/all.hpp>

namespace telepay::actors {

runtime::runtime(const runtime_options& options) {
  config_.set("scheduler.max-threads", options.scheduler_threads);
  config_.set("scheduler.policy", caf::atom_from_string(options.scheduler_policy));
  system_ = std::make_unique<caf::actor_system>(config_);
}

runtime::~runtime() {
  shutdown();
  system_.reset();  // waits for every actor to finish
}

void runtime::keep(caf::actor actor) {
  std::lock_guard lock(mutex_);
  kept_.push_back(std::move(actor));
}

void runtime::shutdown() {
  std::vector<caf::actor> kept;
  {
    std::lock_guard lock(mutex_);
    kept.swap(kept_);
  }
  for (auto& actor : kept) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
}

}  // namespace telepay::actors
