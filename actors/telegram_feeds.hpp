#pragma once
/// The two log followers the Telegram gateway runs on (the gateway never touches the store):
///
/// outbox_feed — every broadcast not finished, and every notice requested in a "notice-{user}" stream and not yet delivered, in
/// log order. The sender takes items, carries them out and records each outcome
/// (notice.delivered, durable before record() returns). Nothing is handed out until the
/// feed has read the log up to the head it saw at start, so a notice delivered before a
/// restart is never sent again. Its checkpoint ("telegram-outbox") is the seq below the
/// oldest pending notice.
///
/// update_feed — every Telegram update recorded on a "conversation-{user}" stream, handed to a
/// handler per user in log order (users in parallel). The handler calls done() when it has
/// finished with an update; the position ("telegram-bot") is saved after each run, so a
/// restart re-delivers at most the last run, whose effects the handler must make idempotent
/// (notices and dialogue changes carry the update's seq as their source).
///
/// Lifecycle: start() -> stop() (or destruction); the store and the client outlive them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/client.hpp"
#include "domain/notice.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

struct outbox_item {
  domain::user_id user;
  std::uint64_t notice = 0;  // the notice.requested event's stream version
  std::uint64_t seq = 0;     // its log seq
  std::string origin;
  domain::notice::item what;
};

/// Records a feed skipped because they did not decode. Skipping keeps one bad payload from
/// stopping every user's notices; the count and the last one let the caller log and alert.
struct undecodable_records {
  std::uint64_t count = 0;
  std::string last;  // "seq N (type): why", empty when count is 0
};

class outbox_feed {
 public:
  static result<std::unique_ptr<outbox_feed>> start(eventstore::event_store& store, ledger_client& client);
  ~outbox_feed();
  outbox_feed(const outbox_feed&) = delete;
  outbox_feed& operator=(const outbox_feed&) = delete;

  /// Waits up to `wait` for pending items not handed out before; returns them in log order.
  std::vector<outbox_item> take(std::chrono::milliseconds wait);
  /// Records the outcome of an item taken. Errors: the ledger's (the item stays taken; the
  /// caller may retry record()).
  status record(const outbox_item& item, bool ok, std::string detail);
  /// Hands an item back untouched (it will be taken again).
  void release(const outbox_item& item);

  std::size_t pending() const;
  /// Broadcasts started and not finished (ids), once the feed has caught up; the checkpoint
  /// stays below the oldest one, so a restart finds them again.
  std::vector<std::string> unfinished_broadcasts() const;
  std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  bool caught_up() const { return caught_up_.load(std::memory_order_acquire); }
  std::optional<error> failure() const;
  /// Notice records skipped because they did not decode (their notices are never sent).
  undecodable_records undecodable() const;
  void stop();

 private:
  outbox_feed(eventstore::event_store& store, ledger_client& client) : store_(store), client_(client) {}
  bool on_records(std::span<const eventstore::record> records);
  void save_checkpoint_locked();

  using key = std::pair<std::int64_t, std::uint64_t>;  // user, notice version
  eventstore::event_store& store_;
  ledger_client& client_;
  std::unique_ptr<eventstore::subscription> subscription_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<key, outbox_item> items_;  // pending: requested, not delivered
  std::set<key> taken_;
  std::map<std::string, std::uint64_t> broadcasts_;  // unfinished: id -> started seq
  std::uint64_t start_head_ = 0;
  std::uint64_t position_ = 0;
  std::uint64_t saved_checkpoint_ = 0;
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> delivered_{0};
  std::optional<error> failure_;
  undecodable_records undecodable_;  // under mutex_
};

struct inbound_update {
  domain::user_id user;
  std::uint64_t seq = 0;
  std::int64_t update_id = 0;
  std::string kind;
  std::string raw;
  std::int64_t received_at_us = 0;
};

class update_feed {
 public:
  using handler = std::function<void(const inbound_update&, std::function<void()> done)>;
  static result<std::unique_ptr<update_feed>> start(eventstore::event_store& store, handler on_update);
  ~update_feed();
  update_feed(const update_feed&) = delete;
  update_feed& operator=(const update_feed&) = delete;

  std::uint64_t position() const { return position_.load(std::memory_order_acquire); }
  std::uint64_t handled() const { return handled_.load(std::memory_order_relaxed); }
  std::optional<error> failure() const;
  /// Update records skipped because they did not decode (never handed to the handler).
  undecodable_records undecodable() const;
  void stop();

 private:
  update_feed(eventstore::event_store& store, handler on_update) : store_(store), on_update_(std::move(on_update)) {}
  bool on_records(std::span<const eventstore::record> records);

  eventstore::event_store& store_;
  handler on_update_;
  std::unique_ptr<eventstore::subscription> subscription_;
  std::atomic<std::uint64_t> position_{0};
  std::atomic<std::uint64_t> handled_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex failure_mutex_;
  std::optional<error> failure_;
  undecodable_records undecodable_;  // under failure_mutex_
};

}  // namespace telepay::actors
