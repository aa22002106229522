#pragma once
// Writes a realistic event log straight into an event store (no actors), fast: users who
// register (some with a referrer), deposit, and transfer to each other by hold / credit / post,
// with a balancing debit of NOWPayments clearing. Every payload is a real domain event, so the
// projections and telepayd read it like any other log. For benchmarks only.

#include <cstdint>
#include <functional>
#include <string>

#include "eventstore/event_store.hpp"

namespace telepay::tools {

struct seed_options {
  std::uint64_t users = 1000;
  /// Transfers between random users after the deposits (3 events each).
  std::uint64_t transfers = 0;
  std::uint64_t seed = 42;
};

struct seed_result {
  std::uint64_t events = 0;
  double seconds = 0;
  std::string error;
};

seed_result seed_log(eventstore::event_store& store, const seed_options& options,
                     const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

}  // namespace telepay::tools
