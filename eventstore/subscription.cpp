// Catch-up then live subscriptions. Both phases are one loop keyed by the next seq to deliver:
// read what is durable from that seq, deliver it, and when nothing is left wait for the head to
// move. Because the position only advances by what was delivered, the switch from history to
// live can neither skip nor repeat a record, however appends race it.

#include "domain/base/limits.hpp"
#include "eventstore/rocks_store.hpp"

namespace telepay::eventstore::detail {
namespace {

class thread_subscription final : public subscription {
 public:
  thread_subscription(rocks_store& store, std::uint64_t from_seq, subscription_handler handler,
                      subscription_error_handler on_error)
      : store_(store), next_(std::max<std::uint64_t>(from_seq, 1)),
        handler_(std::move(handler)), on_error_(std::move(on_error)) {
    thread_ = std::thread([this] { run(); });
  }

  ~thread_subscription() override { stop(); }

  void stop() override {
    stopping_.store(true);
    store_.wake_waiters();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  std::uint64_t position() const override { return next_.load(); }

 private:
  void run() {
    while (!stopping_.load()) {
      auto batch = store_.read_all(next_.load(), limits::read_batch_events_max);
      if (!batch) {
        if (on_error_) {
          on_error_(batch.error());
        }
        return;
      }
      if (batch->empty()) {
        store_.wait_for_seq_or_stop(next_.load(), std::chrono::milliseconds(500), stopping_);
        continue;
      }
      LEDGER_ASSERT(batch->front().seq == next_.load(), "subscription read skipped from ",
                    next_.load(), " to ", batch->front().seq);
      const std::uint64_t after = batch->back().seq + 1;
      const bool keep_going = handler_(std::span<const record>(*batch));
      next_.store(after);
      if (!keep_going) {
        return;
      }
    }
  }

  rocks_store& store_;
  std::atomic<std::uint64_t> next_;
  subscription_handler handler_;
  subscription_error_handler on_error_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<subscription> rocks_store::subscribe(std::uint64_t from_seq,
                                                     subscription_handler handler,
                                                     subscription_error_handler on_error) {
  LEDGER_ASSERT(handler != nullptr, "subscribe needs a handler");
  return std::make_unique<thread_subscription>(*this, from_seq, std::move(handler),
                                               std::move(on_error));
}

}  // namespace telepay::eventstore::detail
