#include "projections/host.hpp"

#include <algorithm>
#include <thread>

namespace telepay::projections {

projection_host::projection_host(eventstore::event_store& store, const host_options& options)
    : store_(store), options_(options), last_save_(std::chrono::steady_clock::now()) {}

result<std::unique_ptr<projection_host>> projection_host::start(eventstore::event_store& store,
                                                                const host_options& options) {
  std::unique_ptr<projection_host> host(new projection_host(store, options));
  if (auto loaded = host->load(); !loaded) {
    host->stopped_ = true;  // nothing to save: the checkpoints are incomplete
    return loaded.error();
  }
  projection_host* raw = host.get();
  host->subscription_ = store.subscribe(
      host->position() + 1, [raw](std::span<const eventstore::record> records) {
        return raw->on_records(records);
      },
      [raw](const error& e) {
        std::lock_guard lock(raw->failure_mutex_);
        raw->failure_ = e;
      });
  return host;
}

projection_host::~projection_host() { stop(); }

status projection_host::load() {
  std::unique_lock lock(mutex_);
  std::uint64_t lowest = UINT64_MAX;
  for (projection* p : models_.all()) {
    TELEPAY_TRY(checkpoint, load_one(*p));
    checkpoints_.push_back(checkpoint);
    lowest = std::min(lowest, checkpoint);
  }
  models_.settle();
  position_.store(lowest == UINT64_MAX ? 0 : lowest, std::memory_order_release);
  return {};
}

// A read model is derived data: rows folded by another version of the code, or rows that no
// longer decode, are dropped and rebuilt from the log (checkpoint 0: the live path replays it
// from seq 1 while the other models skip what they have) rather than served or refusing the
// start. Only this model's own name is dropped, never the followers sharing the namespace.
result<std::uint64_t> projection_host::load_one(projection& p) {
  const std::string name(p.name());
  TELEPAY_TRY(stored_format, store_.projection_format(name));
  std::string reason;
  bool anything_stored = false;
  if (stored_format == p.format_version()) {
    std::optional<error> bad;
    auto checkpoint = store_.load_projection(name, [&](std::string_view key, std::string_view value) {
      if (auto row = p.load_row(key, value); !row) {
        bad = row.error();
        return false;
      }
      return true;
    });
    if (!checkpoint) {
      return checkpoint.error();
    }
    if (!bad) {
      return *checkpoint;
    }
    models_.reset(p);
    reason = "stored row does not decode: " + bad->message;
    anything_stored = true;
  } else {
    auto checkpoint = store_.load_projection(name, [&](std::string_view, std::string_view) {
      anything_stored = true;
      return false;  // only whether there is a row
    });
    if (!checkpoint) {
      return checkpoint.error();
    }
    anything_stored = anything_stored || *checkpoint != 0;
    reason = "stored format " + std::to_string(stored_format) + ", this build folds format " +
             std::to_string(p.format_version());
  }
  TELEPAY_CHECK(store_.drop_projection(name, p.format_version()));
  if (anything_stored) {  // a fresh store only records the version: nothing was rebuilt
    rebuilt_.push_back(rebuilt_projection{name, std::move(reason)});
  }
  return std::uint64_t{0};
}

bool projection_host::on_records(std::span<const eventstore::record> records) {
  std::unique_lock lock(mutex_);
  const auto all = models_.all();
  for (const auto& owned : records) {
    const eventstore::record_view view = owned.view();
    auto event = decode_any(view);
    if (!event) {
      std::lock_guard failure_lock(failure_mutex_);
      failure_ = make_error(event.code(), "projections stopped at seq " + std::to_string(owned.seq) +
                                              ": " + event.error().message);
      return false;
    }
    if (!std::holds_alternative<std::monostate>(*event)) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (owned.seq > checkpoints_[i]) {  // a projection saved further ahead skips what it has
          all[i]->apply(view, *event);
        }
      }
    }
    position_.store(owned.seq, std::memory_order_release);
  }
  models_.settle();
  if (std::chrono::steady_clock::now() - last_save_ >= options_.save_every) {
    save_locked();
  }
  return true;
}

void projection_host::save_locked() {
  const std::uint64_t at = position();
  const auto all = models_.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (at < checkpoints_[i]) {
      continue;  // still replaying up to what is already stored
    }
    auto rows = all[i]->take_dirty();
    if (auto saved = store_.save_projection(all[i]->name(), at, rows); saved) {
      checkpoints_[i] = at;
    } else {
      std::lock_guard failure_lock(failure_mutex_);
      failure_ = saved.error();
    }
  }
  last_save_ = std::chrono::steady_clock::now();
}

std::uint64_t projection_host::lag() const {
  const std::uint64_t head = store_.head_seq();
  const std::uint64_t at = position();
  return head > at ? head - at : 0;
}

std::optional<error> projection_host::failure() const {
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

bool projection_host::wait_for(std::uint64_t seq, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (position() < seq) {
    if (std::chrono::steady_clock::now() >= until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void projection_host::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (subscription_) {
    subscription_->stop();
  }
  std::unique_lock lock(mutex_);
  if (!failure()) {
    save_locked();
  }
}

}  // namespace telepay::projections
