#pragma once
/// Processes that stopped retrying: a step failed with a transient error (storage, timeouts,
/// overload) more times than flow_options::retry_attempts_max allows. Instead of looping for
/// ever, the process manager parks the run here and answers its waiters; the log still holds
/// the unfinished process, so a restart resumes it, and an operator can retry it now
/// (GET /v1/processes/attention, POST /v1/admin/processes/{kind}/{id}/retry).
///
/// Thread safety: every member may be called from any thread (actors park, the API reads).

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::actors {

struct parked_process {
  std::string kind;  // "transfer", "purchase", "deposit", "payout", "withdrawal", "payment"
  std::string id;
  std::string step;  // the step that kept failing
  error last_error;
  int attempts = 0;
  std::int64_t since_us = 0;
};

class attention_board {
 public:
  /// Parks a run; `retry` resumes it (it is called at most once, by retry()).
  void park(parked_process p, std::function<void()> retry) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(p.kind, p.id);
    parked_[std::move(key)] = entry{std::move(p), std::move(retry)};
    parked_total_ += 1;
  }

  /// Every parked process, by kind and id.
  std::vector<parked_process> list() const {
    std::lock_guard lock(mutex_);
    std::vector<parked_process> out;
    for (const auto& [key, e] : parked_) out.push_back(e.process);
    return out;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return parked_.size();
  }
  std::uint64_t parked_total() const {
    std::lock_guard lock(mutex_);
    return parked_total_;
  }

  /// Takes the process off the board and resumes it; false when it is not parked.
  bool retry(const std::string& kind, const std::string& id) {
    std::function<void()> resume;
    {
      std::lock_guard lock(mutex_);
      auto found = parked_.find({kind, id});
      if (found == parked_.end()) return false;
      resume = std::move(found->second.retry);
      parked_.erase(found);
    }
    if (resume) resume();
    return true;
  }

 private:
  struct entry {
    parked_process process;
    std::function<void()> retry;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, entry> parked_;
  std::uint64_t parked_total_ = 0;
};

}  // namespace telepay::actors
