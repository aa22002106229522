#include "actors/expiry.hpp"

#include "actors/routes.hpp"

namespace telepay::actors {

expiry_scheduler::expiry_scheduler(ledger_client& client, due_fn due, expiry_options options)
    : client_(client), due_(std::move(due)), options_(options), thread_([this] { run(); }) {}

expiry_scheduler::~expiry_scheduler() { stop(); }

void expiry_scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void expiry_scheduler::run() {
  while (true) {
    const std::size_t written = scan();
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    // After a full batch that wrote something, look again soon (the read model catches up in
    // milliseconds); otherwise wait the interval.
    const auto pause = written >= options_.batch / 2 && written > 0 ? std::chrono::milliseconds(50)
                                                                    : options_.interval;
    wake_.wait_for(lock, pause, [this] { return stopping_; });
    if (stopping_) return;
  }
}

std::size_t expiry_scheduler::scan() {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           options_.clock_offset_us;
  const std::vector<due_item> due = due_(now, options_.batch);
  if (due.empty()) return 0;
  std::mutex m;
  std::condition_variable cv;
  std::size_t open = due.size();
  std::size_t written = 0;
  for (const due_item& item : due) {
    domain::subscription::command command = domain::subscription::remind{};
    if (item.expire) command = domain::subscription::expire{};
    const bool expire = item.expire;
    client_.ask<entity_reply>(subscription_request{item.user, item.channel, command, now},
                              [this, &m, &cv, &open, &written, expire](result<entity_reply> r) {
                                std::lock_guard lock(m);
                                if (!r) {
                                  failures_.fetch_add(1);
                                } else if (r->result == entity_reply::outcome::written) {
                                  (expire ? expiries_ : reminders_).fetch_add(1);
                                  written += 1;
                                }
                                if (--open == 0) cv.notify_all();
                              });
  }
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return open == 0; });
  return written;
}

}  // namespace telepay::actors
