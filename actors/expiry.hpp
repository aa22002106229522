#pragma once
/// The expiry scheduler: every interval it asks which subscriptions are due (a reminder 3 days
/// and 1 day before expiry, or the expiry itself; answered from the subscriptions read model)
/// and sends each the remind or expire command through the ledger. The commands are
/// idempotent (a reminder is recorded once per expiry, an expiry once), so a due list that
/// lags the log by a moment repeats nothing. The notices those events call for (the message,
/// the removal from the channel) are recorded by the notifier.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/client.hpp"

namespace telepay::actors {

struct due_item {
  domain::user_id user;
  domain::channel_id channel;
  bool expire = false;  // false: a reminder
};

struct expiry_options {
  /// Time between scans. Default: 60 s.
  std::chrono::milliseconds interval{60'000};
  /// Commands per scan at most; a scan that wrote half a batch or more looks again soon.
  /// Default: 1000.
  std::size_t batch = 1000;
  /// Tests and drills only: judge "now" this far ahead (due lists and the commands' time).
  std::int64_t clock_offset_us = 0;
};

class expiry_scheduler {
 public:
  using due_fn = std::function<std::vector<due_item>(std::int64_t now_us, std::size_t limit)>;

  expiry_scheduler(ledger_client& client, due_fn due, expiry_options options);
  ~expiry_scheduler();
  expiry_scheduler(const expiry_scheduler&) = delete;
  expiry_scheduler& operator=(const expiry_scheduler&) = delete;

  std::uint64_t reminders() const { return reminders_.load(); }
  std::uint64_t expiries() const { return expiries_.load(); }
  std::uint64_t failures() const { return failures_.load(); }
  void stop();

 private:
  void run();
  /// One scan; returns how many commands wrote an event.
  std::size_t scan();

  ledger_client& client_;
  due_fn due_;
  expiry_options options_;
  std::atomic<std::uint64_t> reminders_{0};
  std::atomic<std::uint64_t> expiries_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace telepay::actors
