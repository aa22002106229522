#include "actors/webhook_feed.hpp"

#include <charconv>

#include "domain/base/visit.hpp"
#include "domain/codec/event_codec.hpp"
#include "domain/process.hpp"

namespace telepay::actors {

namespace {

constexpr std::string_view generation_row = "generation";

std::string checkpoint_name(std::string_view id) { return "webhook:" + std::string(id); }

}  // namespace

struct webhook_feed::worker {
  domain::webhook::endpoint endpoint;
  std::uint64_t generation_seq = 0;
  std::atomic<bool> cancelled{false};
  std::unique_ptr<eventstore::subscription> subscription;
  std::chrono::steady_clock::time_point saved_at{};
};

result<std::unique_ptr<webhook_feed>> webhook_feed::start(eventstore::event_store& store, webhook_deliverer deliver,
                                                          webhook_feed_options options) {
  std::unique_ptr<webhook_feed> feed(new webhook_feed(store, std::move(deliver), options));
  TELEPAY_CHECK(feed->refresh());  // a stream that does not read at start is a refusal, not a silent feed
  feed->thread_ = std::thread([raw = feed.get()] { raw->run(); });
  return feed;
}

webhook_feed::~webhook_feed() { stop(); }

void webhook_feed::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, w] : workers_) ids.push_back(id);
  }
  for (const auto& id : ids) stop_worker(id);
}

void webhook_feed::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (auto refreshed = refresh(); !refreshed) fail(refreshed.error());
    lock.lock();
  }
}

void webhook_feed::fail(error e) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(e);
}

std::optional<error> webhook_feed::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::vector<webhook_endpoint_view> webhook_feed::endpoints() const {
  std::lock_guard lock(mutex_);
  std::vector<webhook_endpoint_view> out;
  out.reserve(views_.size());
  for (const auto& [id, view] : views_) out.push_back(view);
  return out;
}

std::optional<webhook_endpoint_view> webhook_feed::endpoint(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = views_.find(id);
  if (found == views_.end()) return std::nullopt;
  return found->second;
}

status webhook_feed::catch_up() {
  status done = refresh(false);
  if (!done) fail(done.error());
  return done;
}

status webhook_feed::refresh(bool reconcile) {
  std::lock_guard one_at_a_time(refresh_mutex_);
  // Read what the stream gained since the last look, then make the workers match it.
  for (;;) {
    auto records = store_.read_stream(domain::webhook::stream_name, version_ + 1, 256);
    if (!records) return records.error();
    if (records->empty()) break;
    std::lock_guard lock(mutex_);
    for (const auto& r : *records) {
      version_ = r.version;
      auto ev = domain::decode_event<domain::webhook::event>(r.type, r.schema_version, r.payload);
      if (!ev) {
        failure_ = make_error(ev.code(), "webhooks stream version " + std::to_string(r.version) +
                                             " does not decode: " + ev.error().message);
        continue;
      }
      std::visit(overload{
                     [&](const domain::webhook::registered& e) {
                       webhook_endpoint_view& view = views_[e.id];
                       view.registered_seq = r.seq;
                       view.generation_seq = r.seq;
                       view.registered_at_us = r.recorded_at_us;
                       view.endpoint = domain::webhook::endpoint{};
                       view.endpoint.id = e.id;
                       view.endpoint.url = e.url;
                       view.endpoint.types = e.types;
                       view.endpoint.from_seq = e.from_seq != 0 ? e.from_seq : r.seq + 1;
                       view.endpoint.registered_by = e.by;
                       view.position = view.endpoint.from_seq - 1;
                     },
                     [&](const domain::webhook::disabled& e) {
                       if (auto found = views_.find(e.id); found != views_.end()) {
                         found->second.endpoint.enabled = false;
                         found->second.endpoint.disabled_by = e.by;
                         found->second.endpoint.disabled_reason = e.reason;
                       }
                     },
                     [&](const domain::webhook::rewound& e) {
                       if (auto found = views_.find(e.id); found != views_.end()) {
                         found->second.endpoint.from_seq = e.from_seq;
                         ++found->second.endpoint.generation;
                         found->second.generation_seq = r.seq;
                       }
                     },
                 },
                 *ev);
    }
  }
  if (!reconcile) return {};
  std::vector<std::string> to_stop;
  std::vector<std::string> to_start;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return {};
    for (const auto& [id, view] : views_) {
      const auto running = workers_.find(id);
      const bool has = running != workers_.end();
      if (has && (!view.endpoint.enabled || running->second->endpoint.generation != view.endpoint.generation)) {
        to_stop.push_back(id);
      }
      if (view.endpoint.enabled && (!has || running->second->endpoint.generation != view.endpoint.generation)) {
        to_start.push_back(id);
      }
    }
  }
  for (const auto& id : to_stop) stop_worker(id);
  for (const auto& id : to_start) start_worker(id);
  return {};
}

void webhook_feed::stop_worker(const std::string& id) {
  std::shared_ptr<worker> w;
  {
    std::lock_guard lock(mutex_);
    const auto found = workers_.find(id);
    if (found == workers_.end()) return;
    w = found->second;
    workers_.erase(found);
  }
  w->cancelled.store(true);  // the deliverer gives up its retries
  if (w->subscription) w->subscription->stop();
}

void webhook_feed::start_worker(const std::string& id) {
  auto w = std::make_shared<worker>();
  {
    std::lock_guard lock(mutex_);
    w->endpoint = views_.at(id).endpoint;
    w->generation_seq = views_.at(id).generation_seq;
  }
  // Where this endpoint stopped: its saved position if it belongs to the current rewind
  // generation, else the generation's from_seq.
  std::optional<std::uint64_t> saved_generation;
  auto checkpoint = store_.load_projection(checkpoint_name(id), [&](std::string_view key, std::string_view value) {
    if (key == generation_row) {
      std::uint64_t g = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), g);
      if (ec == std::errc() && end == value.data() + value.size()) saved_generation = g;
    }
    return true;
  });
  if (!checkpoint) {
    fail(make_error(checkpoint.code(), "webhook " + id + ": its position does not load: " + checkpoint.error().message));
    return;  // tried again at the next refresh
  }
  std::uint64_t begin = w->endpoint.from_seq;
  if (saved_generation && *saved_generation == w->endpoint.generation) {
    begin = *checkpoint + 1;
  } else {
    save(*w, begin - 1);  // a rewind (or a first start) is remembered before anything is sent
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    views_.at(id).position = begin - 1;
    workers_[id] = w;
  }
  worker* raw = w.get();
  w->subscription = store_.subscribe(
      begin, [this, raw](std::span<const eventstore::record> records) { return on_records(*raw, records); },
      [this, id](const error& e) {
        fail(make_error(e.code, "webhook " + id + ": the log subscription failed: " + e.message));
      });
}

void webhook_feed::save(worker& w, std::uint64_t position) {
  const status saved = store_.save_projection(
      checkpoint_name(w.endpoint.id), position,
      {eventstore::projection_row{std::string(generation_row), std::to_string(w.endpoint.generation)}});
  if (!saved) fail(make_error(saved.code(), "webhook " + w.endpoint.id + ": its position was not saved: " +
                                                saved.error().message));
  w.saved_at = std::chrono::steady_clock::now();
}

result<std::string> webhook_feed::data_of(const eventstore::record& r) {
  if (r.type != domain::process::completed::type_name) return r.payload;
  TELEPAY_TRY(completed, domain::decode_event<domain::process::event>(r.type, r.schema_version, r.payload));
  TELEPAY_TRY(first, store_.read_stream(r.stream, 1, 1));
  if (first.empty()) return make_error(errc::not_found, "process stream " + r.stream + " has no start");
  TELEPAY_TRY(started, domain::decode_event<domain::process::event>(first[0].type, first[0].schema_version,
                                                                       first[0].payload));
  const auto* start = std::get_if<domain::process::started>(&started);
  const auto* done = std::get_if<domain::process::completed>(&completed);
  if (start == nullptr || done == nullptr) {
    return make_error(errc::event_decode_failed, "process stream " + r.stream + " does not start with process.started");
  }
  return domain::webhook::process_data(r.stream, start->kind, start->intent, done->outcome);
}

bool webhook_feed::ends_this(const worker& w, const eventstore::record& r) {
  auto ev = domain::decode_event<domain::webhook::event>(r.type, r.schema_version, r.payload);
  if (!ev) return false;  // the poll thread reports it
  return std::visit(overload{
                        [](const domain::webhook::registered&) { return false; },
                        [&](const domain::webhook::disabled& e) { return e.id == w.endpoint.id; },
                        [&](const domain::webhook::rewound& e) { return e.id == w.endpoint.id; },
                    },
                    *ev);
}

bool webhook_feed::on_records(worker& w, std::span<const eventstore::record> records) {
  for (const auto& r : records) {
    if (w.cancelled.load()) return false;
    if (r.seq > w.generation_seq && r.stream == domain::webhook::stream_name && ends_this(w, r)) {
      // Disabled or rewound: nothing after this in the log is this generation's to send (the
      // poll thread stops this worker and, for a rewind, starts the next generation).
      return false;
    }
    if (!domain::webhook::may_map(r.type)) continue;
    const auto type = domain::webhook::type_of(r.stream, r.type);
    if (!type || !w.endpoint.wants(*type)) continue;
    auto data = data_of(r);
    if (!data) {
      // The event is still sent, with the log's own payload as its data, and the problem kept.
      fail(make_error(data.code(), "webhook " + w.endpoint.id + ": seq " + std::to_string(r.seq) + ": " +
                                       data.error().message));
      data = r.payload;
    }
    domain::webhook::delivery d{r.seq, std::string(*type),
                                domain::webhook::payload(r.seq, r.recorded_at_us, r.stream, r.type, *type, *data)};
    {
      std::lock_guard lock(mutex_);
      if (auto v = views_.find(w.endpoint.id); v != views_.end()) v->second.in_flight = r.seq;
    }
    if (!deliver_(w.endpoint, d, w.cancelled)) return false;  // cancelled: the next start resends it
    save(w, r.seq);
    std::lock_guard lock(mutex_);
    if (auto v = views_.find(w.endpoint.id); v != views_.end()) {
      v->second.in_flight = 0;
      v->second.position = r.seq;
      ++v->second.delivered;
    }
  }
  const std::uint64_t last = records.back().seq;
  if (std::chrono::steady_clock::now() - w.saved_at >= std::chrono::seconds(1)) save(w, last);
  std::lock_guard lock(mutex_);
  if (auto v = views_.find(w.endpoint.id); v != views_.end()) v->second.position = last;
  return true;
}

}  // namespace telepay::actors
