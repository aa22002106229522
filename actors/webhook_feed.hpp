#pragma once
/// The log follower behind outbound webhooks: one subscription per enabled endpoint, each
/// handing the endpoint the events it asked for in log order, one at a time, and moving on
/// only once the deliverer says the endpoint accepted it (at least once, in order, per
/// endpoint; endpoints do not wait for each other).
///
/// Endpoints come from the "webhooks" stream (domain/webhook.hpp), re-read every `poll`: a new
/// endpoint starts at its from_seq (the seq after its registration when none was given), a
/// disabled one stops, a rewound one starts again at the rewind's seq. A worker also stops by
/// itself when its subscription reaches the endpoint's disable or rewind record, so no event
/// after a disable in the log is sent, however late the poll. Each endpoint's position
/// is saved as projection "webhook:{id}" (the last seq it handled, and the rewind generation it
/// belongs to) after every delivery and at most once a second otherwise, so a restart, also
/// after kill -9, resends at most the delivery that was in flight.
///
/// Lifecycle: start() -> stop() (or destruction); the store and the deliverer outlive it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/webhook.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

/// Sends one delivery until the endpoint accepts it (true) or `cancelled` becomes true (false:
/// the feed is stopping, or the endpoint was disabled or rewound). Runs on the endpoint's thread.
using webhook_deliverer = std::function<bool(const domain::webhook::endpoint&, const domain::webhook::delivery&,
                                             const std::atomic<bool>& cancelled)>;

struct webhook_feed_options {
  /// How often the "webhooks" stream is re-read for new, disabled and rewound endpoints.
  std::chrono::milliseconds poll{500};
};

struct webhook_endpoint_view {
  domain::webhook::endpoint endpoint;
  /// The registration's seq (its from_seq when it gave none is this + 1).
  std::uint64_t registered_seq = 0;
  std::int64_t registered_at_us = 0;
  /// The seq of the registration or of the latest rewind: the worker of this generation stops
  /// at the first disable or rewind of the endpoint after it, in log order.
  std::uint64_t generation_seq = 0;
  /// The last seq handled: every event up to it that the endpoint wants was accepted.
  std::uint64_t position = 0;
  /// Deliveries accepted since this process started.
  std::uint64_t delivered = 0;
  /// The seq being delivered now (0: none).
  std::uint64_t in_flight = 0;
};

class webhook_feed {
 public:
  static result<std::unique_ptr<webhook_feed>> start(eventstore::event_store& store, webhook_deliverer deliver,
                                                     webhook_feed_options options = {});
  ~webhook_feed();
  webhook_feed(const webhook_feed&) = delete;
  webhook_feed& operator=(const webhook_feed&) = delete;

  /// Every endpoint ever registered (disabled ones too), by id.
  std::vector<webhook_endpoint_view> endpoints() const;
  std::optional<webhook_endpoint_view> endpoint(std::string_view id) const;
  /// Reads what the "webhooks" stream gained now, instead of at the next poll, so a read after
  /// an acknowledged registration sees it. Workers are started and stopped by the poll thread
  /// only (stopping one waits for its attempt in flight), so a reader never waits for that.
  status catch_up();
  /// A problem reading the "webhooks" stream or an endpoint's position (the last one).
  std::optional<error> failure() const;
  void stop();

 private:
  struct worker;
  webhook_feed(eventstore::event_store& store, webhook_deliverer deliver, webhook_feed_options options)
      : store_(store), deliver_(std::move(deliver)), options_(options) {}
  void run();
  /// Reads the stream; with `reconcile`, starts and stops workers to match.
  status refresh(bool reconcile = true);
  void start_worker(const std::string& id);
  void stop_worker(const std::string& id);
  bool on_records(worker& w, std::span<const eventstore::record> records);
  static bool ends_this(const worker& w, const eventstore::record& r);
  result<std::string> data_of(const eventstore::record& r);
  void save(worker& w, std::uint64_t position);
  void fail(error e);

  eventstore::event_store& store_;
  webhook_deliverer deliver_;
  webhook_feed_options options_;
  std::thread thread_;
  std::mutex refresh_mutex_;  // one refresh at a time (the poll thread, readers' catch_up)
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t version_ = 0;  // of the "webhooks" stream, read so far
  std::map<std::string, webhook_endpoint_view, std::less<>> views_;
  std::map<std::string, std::shared_ptr<worker>, std::less<>> workers_;
  std::optional<error> failure_;
};

}  // namespace telepay::actors
