// Goal: the actor runtime starts, runs actors, and shuts down without hanging even with a
// long-lived actor alive (the CAF 0.17 exit gotcha in BUILD-NOTES).
// Method: a real actor_system; a stateful actor that would live forever unless sent exit.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <chrono>
#include <future>

#include "actors/runtime.hpp"

namespace telepay::actors {
namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;

struct counter_state {
  std::int64_t total = 0;
};

// Function-based actors get at least one argument: CAF 0.17's init_fun_factory binds a
// reference through a null tuple pointer when there are none (flagged by UBSan).
caf::behavior counter(caf::stateful_actor<counter_state>* self, std::int64_t start) {
  self->state.total = start;
  return {[self](add_atom, std::int64_t amount) {
    self->state.total += amount;
    return self->state.total;
  }};
}

TEST(ActorRuntime, RunsActorsAndShutsDownWithLongLivedActors) {
  auto finished = std::async(std::launch::async, [] {
    runtime rt(runtime_options{.scheduler_threads = 2});
    auto actor = rt.system().spawn(counter, std::int64_t{0});
    rt.keep(actor);
    caf::scoped_actor self{rt.system()};
    std::int64_t seen = 0;
    for (int i = 1; i <= 3; ++i) {
      self->request(actor, std::chrono::seconds(5), add_atom::value, std::int64_t{i})
          .receive([&](std::int64_t total) { seen = total; },
                   [&](caf::error&) { seen = -1; });
    }
    return seen;
  });
  // Without the exit on shutdown the runtime's destructor would wait forever.
  ASSERT_EQ(finished.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(finished.get(), 6);
}

}  // namespace
}  // namespace telepay::actors
