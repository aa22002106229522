#include "eventstore/recent_index.hpp"

#include <algorithm>
#include <mutex>

#include "domain/base/assert.hpp"

namespace telepay::eventstore::detail {

void recent_index::reserve(std::size_t runs) {
  std::unique_lock lock(mutex_);
  reserve_runs_ = runs;
  active_.streams.reserve(runs);
  active_.keys.reserve(runs);
}

void recent_index::add(std::vector<index_entry>& entries) {
  if (entries.empty()) {
    return;
  }
  std::unique_lock lock(mutex_);
  for (index_entry& entry : entries) {
    LEDGER_ASSERT(entry.run.count > 0, "empty run for ", entry.stream);
    LEDGER_ASSERT(entry.run.first_seq > active_.last_seq, "index entries out of order: seq ",
                  entry.run.first_seq, " after ", active_.last_seq);
    if (active_.first_seq == 0) {
      active_.first_seq = entry.run.first_seq;
    }
    active_.last_seq = entry.run.last_seq();
    auto& runs = active_.streams[entry.stream];
    // One append to a stream right after another of the same stream extends the run.
    if (!runs.empty() && runs.back().last_seq() + 1 == entry.run.first_seq &&
        runs.back().last_version() + 1 == entry.run.first_version) {
      runs.back().count += entry.run.count;
    } else {
      runs.push_back(entry.run);
      active_.runs += 1;
    }
    if (!entry.idempotency_key.empty()) {
      active_.keys.emplace_back(std::move(entry.idempotency_key), entry.key);
    }
  }
}

std::vector<stream_run> recent_index::runs(const std::string& stream) const {
  std::vector<stream_run> out;
  std::shared_lock lock(mutex_);
  if (frozen_) {
    if (auto it = frozen_->streams.find(stream); it != frozen_->streams.end()) {
      out = it->second;
    }
  }
  if (auto it = active_.streams.find(stream); it != active_.streams.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

std::optional<stream_run> recent_index::last_run(const std::string& stream) const {
  std::shared_lock lock(mutex_);
  if (auto it = active_.streams.find(stream); it != active_.streams.end()) {
    return it->second.back();
  }
  if (frozen_) {
    if (auto it = frozen_->streams.find(stream); it != frozen_->streams.end()) {
      return it->second.back();
    }
  }
  return std::nullopt;
}

std::size_t recent_index::active_runs() const {
  std::shared_lock lock(mutex_);
  return active_.runs;
}

std::shared_ptr<const index_generation> recent_index::freeze() {
  std::unique_lock lock(mutex_);
  if (frozen_) {
    return frozen_;  // an earlier write failed: retry the same generation
  }
  auto generation = std::make_shared<index_generation>(std::move(active_));
  const std::uint64_t next = generation->last_seq;
  active_ = index_generation{};
  active_.streams.reserve(reserve_runs_);
  active_.keys.reserve(reserve_runs_);
  active_.last_seq = next;  // keeps the ordering assertion across generations
  frozen_ = generation;
  return generation;
}

void recent_index::release_frozen() {
  std::unique_lock lock(mutex_);
  frozen_.reset();
}

}  // namespace telepay::eventstore::detail
