#include "actors/telegram_feeds.hpp"

#include <charconv>
#include <future>
#include <thread>

#include "actors/ledger_api.hpp"
#include "domain/base/visit.hpp"
#include "domain/conversation.hpp"

namespace telepay::actors {
namespace {

constexpr std::string_view outbox_checkpoint = "telegram-outbox";
constexpr std::string_view bot_checkpoint = "telegram-bot";

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The user of "{prefix}{id}" streams; nullopt for other streams.
std::optional<domain::user_id> user_of(std::string_view stream, std::string_view prefix) {
  if (stream.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = stream.substr(prefix.size());
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  auto user = domain::make_user_id(id);
  if (!user) return std::nullopt;
  return *user;
}

void note_undecodable(undecodable_records& out, const eventstore::record& r, const error& e) {
  out.count += 1;
  out.last = "seq " + std::to_string(r.seq) + " (" + r.type + "): " + e.message;
}

}  // namespace

// ---- outbox_feed ----

result<std::unique_ptr<outbox_feed>> outbox_feed::start(eventstore::event_store& store, ledger_client& client) {
  std::unique_ptr<outbox_feed> f(new outbox_feed(store, client));
  auto checkpoint = store.load_projection(outbox_checkpoint, [](std::string_view, std::string_view) { return true; });
  if (!checkpoint) return checkpoint.error();
  f->position_ = *checkpoint;
  f->saved_checkpoint_ = *checkpoint;
  f->start_head_ = store.head_seq();
  if (f->start_head_ <= *checkpoint) f->caught_up_.store(true);
  outbox_feed* raw = f.get();
  f->subscription_ = store.subscribe(
      *checkpoint + 1, [raw](std::span<const eventstore::record> records) { return raw->on_records(records); },
      [raw](const error& e) {
        std::lock_guard lock(raw->mutex_);
        raw->failure_ = e;
      });
  return f;
}

outbox_feed::~outbox_feed() { stop(); }

void outbox_feed::stop() {
  stopping_.store(true);
  changed_.notify_all();
  if (subscription_) {
    subscription_->stop();
    subscription_.reset();
  }
}

std::optional<error> outbox_feed::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

undecodable_records outbox_feed::undecodable() const {
  std::lock_guard lock(mutex_);
  return undecodable_;
}

std::size_t outbox_feed::pending() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

std::vector<std::string> outbox_feed::unfinished_broadcasts() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  if (!caught_up_.load()) return out;
  for (const auto& [id, seq] : broadcasts_) out.push_back(id);
  return out;
}

bool outbox_feed::on_records(std::span<const eventstore::record> records) {
  std::lock_guard lock(mutex_);
  for (const auto& r : records) {
    position_ = r.seq;
    if (r.type == "broadcast.started" && r.stream.substr(0, 10) == "broadcast-") {
      broadcasts_.emplace(r.stream.substr(10), r.seq);
      continue;
    }
    if ((r.type == "broadcast.finished" || r.type == "broadcast.cancelled") && r.stream.substr(0, 10) == "broadcast-") {
      broadcasts_.erase(r.stream.substr(10));
      continue;
    }
    if (r.type.substr(0, 7) != "notice.") continue;
    auto user = user_of(r.stream, "notice-");
    if (!user) continue;
    auto ev = domain::decode_event<domain::notice::event>(r.type, r.schema_version, r.payload);
    if (!ev) {
      note_undecodable(undecodable_, r, ev.error());  // skipped, but counted
      continue;
    }
    std::visit(overload{
                   [&](const domain::notice::requested& q) {
                     items_[{user->value(), r.version}] = outbox_item{*user, r.version, r.seq, q.origin, q.what};
                   },
                   [&](const domain::notice::delivered& d) {
                     items_.erase({user->value(), d.notice});
                     taken_.erase({user->value(), d.notice});
                   },
               },
               *ev);
  }
  if (!caught_up_.load() && position_ >= start_head_) caught_up_.store(true, std::memory_order_release);
  save_checkpoint_locked();
  changed_.notify_all();
  return !stopping_.load();
}

void outbox_feed::save_checkpoint_locked() {
  std::uint64_t checkpoint = position_;
  for (const auto& [k, item] : items_) checkpoint = std::min(checkpoint, item.seq - 1);
  for (const auto& [id, seq] : broadcasts_) checkpoint = std::min(checkpoint, seq - 1);
  if (checkpoint == saved_checkpoint_) return;
  saved_checkpoint_ = checkpoint;
  (void)store_.save_projection(outbox_checkpoint, checkpoint, {});  // unsynced: a loss only re-reads
}

std::vector<outbox_item> outbox_feed::take(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  auto untaken = [&] {
    if (!caught_up_.load()) return false;
    for (const auto& [k, item] : items_) {
      if (!taken_.contains(k)) return true;
    }
    return false;
  };
  changed_.wait_for(lock, wait, [&] { return stopping_.load() || untaken(); });
  std::vector<outbox_item> out;
  if (stopping_.load() || !caught_up_.load()) return out;
  std::vector<const outbox_item*> fresh;
  for (const auto& [k, item] : items_) {
    if (taken_.insert(k).second) fresh.push_back(&item);
  }
  std::sort(fresh.begin(), fresh.end(), [](const outbox_item* a, const outbox_item* b) { return a->seq < b->seq; });
  out.reserve(fresh.size());
  for (const outbox_item* item : fresh) out.push_back(*item);
  return out;
}

void outbox_feed::release(const outbox_item& item) {
  std::lock_guard lock(mutex_);
  taken_.erase({item.user.value(), item.notice});
  changed_.notify_all();
}

status outbox_feed::record(const outbox_item& item, bool ok, std::string detail) {
  if (detail.size() > 512) detail.resize(512);
  auto r = client_.ask_and_wait<entity_reply>(
      notice_request{item.user, domain::notice::deliver{item.notice, ok, std::move(detail)}, wall_clock_us()});
  if (!r) return r.error();
  delivered_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  // The delivered event reaches on_records too; dropping it here keeps take() from
  // handing the item out again in between.
  items_.erase({item.user.value(), item.notice});
  taken_.erase({item.user.value(), item.notice});
  return {};
}

// ---- update_feed ----

namespace {

struct run_state {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t open_chains = 0;
};

void run_chain(const update_feed::handler& on_update, std::shared_ptr<run_state> run,
               std::shared_ptr<std::vector<inbound_update>> queue, std::size_t next,
               std::atomic<std::uint64_t>& handled, const std::atomic<bool>& stopping) {
  if (next == queue->size() || stopping.load()) {
    std::lock_guard lock(run->mutex);
    if (--run->open_chains == 0) run->done.notify_all();
    return;
  }
  on_update((*queue)[next], [&on_update, run, queue, next, &handled, &stopping] {
    handled.fetch_add(1, std::memory_order_relaxed);
    run_chain(on_update, run, queue, next + 1, handled, stopping);
  });
}

}  // namespace

result<std::unique_ptr<update_feed>> update_feed::start(eventstore::event_store& store, handler on_update) {
  std::unique_ptr<update_feed> f(new update_feed(store, std::move(on_update)));
  auto checkpoint = store.load_projection(bot_checkpoint, [](std::string_view, std::string_view) { return true; });
  if (!checkpoint) return checkpoint.error();
  f->position_.store(*checkpoint);
  update_feed* raw = f.get();
  f->subscription_ = store.subscribe(
      *checkpoint + 1, [raw](std::span<const eventstore::record> records) { return raw->on_records(records); },
      [raw](const error& e) {
        std::lock_guard lock(raw->failure_mutex_);
        raw->failure_ = e;
      });
  return f;
}

update_feed::~update_feed() { stop(); }

void update_feed::stop() {
  stopping_.store(true);
  if (subscription_) {
    subscription_->stop();
    subscription_.reset();
  }
}

std::optional<error> update_feed::failure() const {
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

undecodable_records update_feed::undecodable() const {
  std::lock_guard lock(failure_mutex_);
  return undecodable_;
}

bool update_feed::on_records(std::span<const eventstore::record> records) {
  std::map<std::int64_t, std::shared_ptr<std::vector<inbound_update>>> by_user;
  for (const auto& r : records) {
    if (r.type != domain::conversation::update_received::type_name) continue;
    auto user = user_of(r.stream, "conversation-");
    if (!user) continue;
    auto ev = domain::decode_event<domain::conversation::event>(r.type, r.schema_version, r.payload);
    if (!ev) {
      std::lock_guard lock(failure_mutex_);
      note_undecodable(undecodable_, r, ev.error());  // skipped, but counted
      continue;
    }
    auto& u = std::get<domain::conversation::update_received>(*ev);  // the type was checked above
    auto& queue = by_user[user->value()];
    if (!queue) queue = std::make_shared<std::vector<inbound_update>>();
    queue->push_back(inbound_update{*user, r.seq, u.update_id, std::move(u.kind), std::move(u.raw), u.received_at_us});
  }
  if (!by_user.empty()) {
    auto run = std::make_shared<run_state>();
    run->open_chains = by_user.size();
    for (auto& [user, queue] : by_user) run_chain(on_update_, run, queue, 0, handled_, stopping_);
    std::unique_lock lock(run->mutex);
    run->done.wait(lock, [&] { return run->open_chains == 0; });
    if (stopping_.load()) return false;  // not all handled: the next start re-reads this run
  }
  const std::uint64_t last = records.back().seq;
  position_.store(last, std::memory_order_release);
  (void)store_.save_projection(bot_checkpoint, last, {});
  return true;
}

}  // namespace telepay::actors
