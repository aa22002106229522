#pragma once
/// The Telegram outbox writer: follows the log and records, for each event that calls for it
/// (domain::notice::plan), the notices in the user's "notice-{id}" stream. Its position is
/// saved as projection "notifier" after each delivered run; after a restart it re-reads from
/// there, and a notice stream ignores sources it already recorded, so each notice is recorded
/// exactly once. Notices of one user are recorded in log order; different users in parallel.
///
/// Lifecycle: start() -> stop() (or destruction); the store, the actor system and the client
/// must outlive it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "actors/client.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

/// Who hears about changes to the controls that guard money (domain/control.hpp).
struct notifier_options {
  /// Telegram ids of the admins (TELEPAY_TELEGRAM_ADMINS): each gets a message per change.
  std::vector<std::int64_t> admins;
  /// Called for each change (telepayd logs it). May be empty.
  std::function<void(const std::string&)> on_control_change;
};

class notifier {
 public:
  static result<std::unique_ptr<notifier>> start(eventstore::event_store& store, ledger_client& client,
                                                 notifier_options options = {});
  ~notifier();
  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  /// The last seq whose notices are recorded.
  std::uint64_t position() const { return position_.load(std::memory_order_acquire); }
  std::uint64_t notices_recorded() const { return recorded_.load(std::memory_order_relaxed); }
  /// Changes to the controls seen (each announced).
  std::uint64_t control_changes() const { return control_changes_.load(std::memory_order_relaxed); }
  std::optional<error> failure() const;
  void stop();

 private:
  notifier(eventstore::event_store& store, ledger_client& client, notifier_options options)
      : store_(store), client_(client), options_(std::move(options)) {}
  bool on_records(std::span<const eventstore::record> records);

  eventstore::event_store& store_;
  ledger_client& client_;
  notifier_options options_;
  std::atomic<std::uint64_t> control_changes_{0};
  std::unique_ptr<eventstore::subscription> subscription_;
  std::atomic<std::uint64_t> position_{0};
  std::atomic<std::uint64_t> recorded_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex failure_mutex_;
  std::optional<error> failure_;
};

}  // namespace telepay::actors
