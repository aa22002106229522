#include "actors/notifier.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include "actors/routes.hpp"
#include "domain/control.hpp"
#include "domain/notice.hpp"

namespace telepay::actors {
namespace {

constexpr std::string_view checkpoint_name = "notifier";

/// Waits for a set of per-user request chains to finish.
struct batch {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t open_chains = 0;
  std::optional<error> failure;  // a refusal that is not transient
};

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Sends a user's requests one after another (retrying transient failures), then closes the
/// chain.
void run_chain(ledger_client& client, std::shared_ptr<batch> b, domain::user_id user,
               std::shared_ptr<std::deque<domain::notice::request>> queue, int attempt,
               const std::atomic<bool>& stopping) {
  if (queue->empty() || stopping.load()) {
    std::lock_guard lock(b->mutex);
    if (--b->open_chains == 0) b->done.notify_all();
    return;
  }
  notice_request req{user, queue->front(), wall_clock_us()};
  client.ask<entity_reply>(std::move(req), [&client, b, user, queue, attempt, &stopping](result<entity_reply> r) {
    if (!r && is_transient(r.code()) && attempt < 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
      run_chain(client, b, user, queue, attempt + 1, stopping);
      return;
    }
    if (!r) {
      std::lock_guard lock(b->mutex);
      b->failure = r.error();
    }
    queue->pop_front();
    run_chain(client, b, user, queue, 0, stopping);
  });
}

}  // namespace

result<std::unique_ptr<notifier>> notifier::start(eventstore::event_store& store, ledger_client& client,
                                                 notifier_options options) {
  std::unique_ptr<notifier> n(new notifier(store, client, std::move(options)));
  auto checkpoint = store.load_projection(checkpoint_name, [](std::string_view, std::string_view) { return true; });
  if (!checkpoint) {
    return checkpoint.error();
  }
  n->position_.store(*checkpoint);
  notifier* raw = n.get();
  n->subscription_ = store.subscribe(
      *checkpoint + 1, [raw](std::span<const eventstore::record> records) { return raw->on_records(records); },
      [raw](const error& e) {
        std::lock_guard lock(raw->failure_mutex_);
        raw->failure_ = e;
      });
  return n;
}

notifier::~notifier() { stop(); }

void notifier::stop() {
  stopping_.store(true);
  if (subscription_) {
    subscription_->stop();
    subscription_.reset();
  }
}

std::optional<error> notifier::failure() const {
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

bool notifier::on_records(std::span<const eventstore::record> records) {
  // Plan every notice of the run, grouped by user in log order.
  std::map<std::int64_t, std::shared_ptr<std::deque<domain::notice::request>>> by_user;
  std::size_t planned = 0;
  for (const auto& r : records) {
    if (auto change = domain::control::announcement(r.stream, r.type, r.schema_version, r.payload)) {
      control_changes_.fetch_add(1, std::memory_order_relaxed);
      if (options_.on_control_change) {
        options_.on_control_change(*change);
      }
      for (const std::int64_t admin : options_.admins) {
        auto& queue = by_user[admin];
        if (!queue) queue = std::make_shared<std::deque<domain::notice::request>>();
        queue->push_back(domain::notice::request{r.seq, {domain::notice::item{domain::notice::kind::message, 0, "", 0,
                                                                               "telepay control change: " + *change,
                                                                               {}, 0}}});
        planned += 1;
      }
      continue;
    }
    auto plan = domain::notice::plan(r.stream, r.type, r.schema_version, r.payload, r.recorded_at_us);
    if (!plan || plan->items.empty()) continue;
    auto& queue = by_user[plan->user.value()];
    if (!queue) queue = std::make_shared<std::deque<domain::notice::request>>();
    queue->push_back(domain::notice::request{r.seq, std::move(plan->items)});
    planned += queue->back().items.size();
  }
  if (!by_user.empty()) {
    auto b = std::make_shared<batch>();
    b->open_chains = by_user.size();
    for (auto& [user, queue] : by_user) {
      run_chain(client_, b, domain::user_id(user), queue, 0, stopping_);
    }
    std::unique_lock lock(b->mutex);
    b->done.wait(lock, [&] { return b->open_chains == 0; });
    if (stopping_.load()) {
      return false;  // not all recorded: the next start re-reads this run
    }
    if (b->failure) {
      std::lock_guard failure_lock(failure_mutex_);
      failure_ = make_error(b->failure->code, "notices not recorded: " + b->failure->message);
    }
    recorded_.fetch_add(planned, std::memory_order_relaxed);
  }
  const std::uint64_t last = records.back().seq;
  position_.store(last, std::memory_order_release);
  (void)store_.save_projection(checkpoint_name, last, {});  // unsynced: a loss only re-reads
  return true;
}

}  // namespace telepay::actors
