#include "projections/replay.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace telepay::projections {
namespace {

/// What applying needs of a record (projections read its stream, seq and time), plus its event.
struct decoded {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  std::string stream;
  any_event event;
};

constexpr std::size_t batch_size = 2048;
constexpr std::size_t batches_in_flight = 8;

}  // namespace

result<replay_result> replay(eventstore::event_store& store, model_set& models,
                             std::uint64_t from_seq, std::uint64_t to_seq,
                             const std::function<void(std::uint64_t)>& after_each) {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::vector<decoded>> ready;
  bool finished = false;
  bool cancelled = false;
  std::optional<error> failure;

  std::thread reader([&] {
    std::vector<decoded> batch;
    batch.reserve(batch_size);
    const auto hand_over = [&] {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return ready.size() < batches_in_flight || cancelled; });
      ready.push_back(std::move(batch));
      batch = {};
      batch.reserve(batch_size);
      cv.notify_all();
      return !cancelled;
    };
    auto walked = store.for_each(from_seq, to_seq, [&](const eventstore::record_view& r) {
      auto event = decode_any(r);
      if (!event) {
        std::lock_guard lock(mutex);
        failure = make_error(event.code(), "seq " + std::to_string(r.seq) + " (" +
                                               std::string(r.type) + "): " + event.error().message);
        return false;
      }
      if (std::holds_alternative<std::monostate>(*event)) {
        batch.push_back(decoded{r.seq, r.recorded_at_us, {}, std::monostate{}});
      } else {
        batch.push_back(decoded{r.seq, r.recorded_at_us, std::string(r.stream), std::move(*event)});
      }
      return batch.size() < batch_size || hand_over();
    });
    std::lock_guard lock(mutex);
    if (!walked && !failure) {
      failure = walked.error();
    }
    if (!batch.empty()) {
      ready.push_back(std::move(batch));
    }
    finished = true;
    cv.notify_all();
  });

  replay_result out;
  const auto all = models.all();
  while (true) {
    std::vector<decoded> batch;
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return !ready.empty() || finished; });
      if (ready.empty()) {
        break;
      }
      batch = std::move(ready.front());
      ready.pop_front();
      cv.notify_all();
    }
    for (const decoded& d : batch) {
      if (!std::holds_alternative<std::monostate>(d.event)) {
        eventstore::record_view view;
        view.seq = d.seq;
        view.recorded_at_us = d.recorded_at_us;
        view.stream = d.stream;
        for (projection* p : all) {
          p->apply(view, d.event);
        }
      }
      ++out.events;
      if (after_each) {
        after_each(d.seq);
      }
    }
  }
  {
    std::lock_guard lock(mutex);
    cancelled = true;
    cv.notify_all();
  }
  reader.join();
  models.settle();
  if (failure) {
    return *failure;
  }
  return out;
}

}  // namespace telepay::projections
