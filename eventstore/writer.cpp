// Group commit: the writer thread stages appends into an open batch while the commit thread
// syncs the previous one; each append is acknowledged only after its batch is durable.

#include <algorithm>

#include "domain/base/limits.hpp"
#include "eventstore/keys.hpp"
#include "eventstore/rocks_store.hpp"
#include "eventstore/sha256.hpp"

namespace telepay::eventstore::detail {
namespace {

using immediate_replies = std::vector<std::pair<append_callback, result<append_result>>>;

/// Digest of what an idempotency key stands for: the stream and every event's type, schema
/// version and payload (length-prefixed, so no two different requests share an encoding).
hash256 request_digest(const append_request& request) {
  sha256_hasher& hasher = thread_hasher();
  std::string header;
  put_be16(header, static_cast<std::uint16_t>(request.stream.size()));
  header.append(request.stream);
  put_be32(header, static_cast<std::uint32_t>(request.events.size()));
  hasher.update(header);
  for (const new_event& event : request.events) {
    header.clear();
    put_be16(header, static_cast<std::uint16_t>(event.type.size()));
    header.append(event.type);
    put_be16(header, event.schema_version);
    put_be32(header, static_cast<std::uint32_t>(event.payload.size()));
    hasher.update(header);
    hasher.update(event.payload);
  }
  return hasher.finish();
}

std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

error key_reused(const std::string& key) {
  return make_error(errc::idempotency_key_reused_with_different_payload,
                    "idempotency key '" + key + "' was already used for a different append");
}

}  // namespace

void rocks_store::append_async(append_request request, append_callback done) {
  LEDGER_ASSERT(done != nullptr, "append_async needs a callback");
  if (options_.mode != open_mode::read_write) {
    done(make_error(errc::store_closed, "the log is open read-only"));
    return;
  }
  if (auto valid = validate_append(request); !valid) {
    appends_rejected_.fetch_add(1, std::memory_order_relaxed);
    done(valid.error());
    return;
  }
  pending_append item;
  item.events = request.events.size();
  for (const new_event& event : request.events) {
    item.bytes += event.payload.size() + event.type.size() + request.stream.size() + 128;
  }
  if (!request.idempotency_key.empty()) {
    item.digest = request_digest(request);  // Hashing here keeps it off the writer thread.
  }
  item.request = std::move(request);
  item.done = std::move(done);
  item.queued = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  if (closing_ || failed_) {
    error why = closing_ ? make_error(errc::store_closed, "the event store is closing")
                         : make_error(errc::storage_failed, failure_message_);
    lock.unlock();
    item.done(std::move(why));
    return;
  }
  if (queue_.size() >= limits::append_queue_appends_max) {
    lock.unlock();
    item.done(make_error(errc::append_queue_full, "the append queue is full; retry later"));
    return;
  }
  queue_.push_back(std::move(item));
  lock.unlock();
  writer_cv_.notify_one();
}

void rocks_store::fail_all_locked(std::vector<append_callback>& to_fail) {
  for (auto& item : queue_) {
    to_fail.push_back(std::move(item.done));
  }
  queue_.clear();
  if (open_) {
    for (auto& staged : open_->appends) {
      to_fail.push_back(std::move(staged.done));
    }
    open_.reset();
  }
}

void rocks_store::writer_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    const auto open_has_room = [&] {
      return !open_ || (open_->events < limits::commit_batch_events_max &&
                        open_->bytes < limits::commit_batch_bytes_max);
    };
    writer_cv_.wait(lock, [&] {
      if (failed_) {
        return !queue_.empty() || open_ != nullptr || closing_;
      }
      return (!queue_.empty() && open_has_room()) || (open_ && !commit_busy_) ||
             (closing_ && queue_.empty() && !open_);
    });
    if (failed_) {
      std::vector<append_callback> to_fail;
      fail_all_locked(to_fail);
      const error why = make_error(errc::storage_failed, failure_message_);
      lock.unlock();
      for (auto& callback : to_fail) {
        callback(why);
      }
      lock.lock();
      if (closing_ && queue_.empty()) {
        break;
      }
      continue;
    }
    if (open_ && !commit_busy_) {
      handoff_ = std::move(open_);
      commit_busy_ = true;
      commit_cv_.notify_one();
    }
    if (queue_.empty()) {
      if (closing_ && !open_) {
        break;
      }
      continue;
    }
    if (!open_has_room()) {
      continue;
    }
    // Take as many queued appends as fit in the open batch.
    std::vector<pending_append> taken;
    std::size_t events = open_ ? open_->events : 0;
    while (!queue_.empty() &&
           (taken.empty() || events + queue_.front().events <= limits::commit_batch_events_max)) {
      events += queue_.front().events;
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    writer_completed_batch_id_ = completed_batch_id_;
    std::move(spare_batches_.begin(), spare_batches_.end(), std::back_inserter(writer_spares_));
    spare_batches_.clear();
    lock.unlock();

    const auto stage_start = std::chrono::steady_clock::now();
    prune_indexed_keys();
    immediate_replies immediate;
    for (auto& item : taken) {
      stage(item, immediate);
    }
    stage_ns_.fetch_add(elapsed_ns(stage_start), std::memory_order_relaxed);
    for (auto& [callback, outcome] : immediate) {
      callback(std::move(outcome));
    }
    lock.lock();
  }
  writer_done_ = true;
  commit_cv_.notify_one();
}

void rocks_store::prune_indexed_keys() {
  // Keys are staged in seq order, so the ingested ones form a prefix of the order list.
  const std::uint64_t indexed = indexed_through_.load(std::memory_order_acquire);
  while (!unindexed_key_order_.empty() && unindexed_key_order_.front().first <= indexed) {
    unindexed_keys_.erase(unindexed_key_order_.front().second);
    unindexed_key_order_.pop_front();
  }
}

result<std::optional<append_result>> rocks_store::find_durable_key(const pending_append& item) {
  auto found = read_key(item.request.idempotency_key);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return std::optional<append_result>();
  }
  const key_entry& entry = **found;
  if (entry.digest != item.digest) {
    return key_reused(item.request.idempotency_key);
  }
  append_result result;
  result.first_seq = entry.first_seq;
  result.last_seq = entry.first_seq + entry.count - 1;
  result.first_version = entry.first_version;
  result.last_version = entry.first_version + entry.count - 1;
  result.outcome = append_outcome::deduplicated;
  return std::optional<append_result>(result);
}

result<std::uint64_t> rocks_store::current_version(const std::string& stream) {
  if (auto cached = heads_.find(stream); cached != heads_.end()) {
    return cached->second.version;
  }
  auto head = read_stream_head(stream);
  if (!head) {
    return head.error();
  }
  remember_head(stream, *head);
  return head->version;
}

void rocks_store::remember_head(const std::string& stream, stream_head head) {
  if (heads_.size() >= options_.stream_cache_entries_max) {
    // Heads whose last append is durable can be re-read from RocksDB; staged ones must stay.
    const std::uint64_t durable = durable_seq_.load(std::memory_order_acquire);
    for (auto it = heads_.begin(); it != heads_.end();) {
      auto current = it++;
      if (current->second.last_seq <= durable) {
        heads_.erase(current);
      }
    }
  }
  heads_[stream] = head;
}

void rocks_store::stage(pending_append& item, immediate_replies& immediate) {
  const append_request& request = item.request;
  const bool has_key = !request.idempotency_key.empty();
  const auto open_batch = [this]() -> commit_batch& {
    if (!open_) {
      if (writer_spares_.empty()) {
        open_ = std::make_unique<commit_batch>();
      } else {
        open_ = std::move(writer_spares_.back());
        writer_spares_.pop_back();
      }
      open_->id = next_batch_id_++;
    }
    return *open_;
  };
  if (has_key) {
    if (auto known = unindexed_keys_.find(request.idempotency_key);
        known != unindexed_keys_.end()) {
      if (known->second.digest != item.digest) {
        appends_rejected_.fetch_add(1, std::memory_order_relaxed);
        immediate.emplace_back(std::move(item.done), key_reused(request.idempotency_key));
        return;
      }
      append_result repeat = known->second.result;
      repeat.outcome = append_outcome::deduplicated;
      if (known->second.batch_id <= writer_completed_batch_id_) {
        appends_deduplicated_.fetch_add(1, std::memory_order_relaxed);
        immediate.emplace_back(std::move(item.done), repeat);
      } else {
        // The original is staged but maybe not durable: answer with this (later) batch.
        open_batch().appends.push_back(staged_append{std::move(item.done), repeat, item.queued});
      }
      return;
    }
    auto durable = find_durable_key(item);
    if (!durable || durable->has_value()) {
      if (durable) {
        appends_deduplicated_.fetch_add(1, std::memory_order_relaxed);
        immediate.emplace_back(std::move(item.done), **durable);
      } else {
        appends_rejected_.fetch_add(1, std::memory_order_relaxed);
        immediate.emplace_back(std::move(item.done), durable.error());
      }
      return;
    }
  }
  auto current = current_version(request.stream);
  if (!current) {
    immediate.emplace_back(std::move(item.done), current.error());
    return;
  }
  if (!request.expected.is_any() && request.expected.version() != *current) {
    appends_rejected_.fetch_add(1, std::memory_order_relaxed);
    immediate.emplace_back(
        std::move(item.done),
        make_error(errc::wrong_expected_version,
                   "stream " + request.stream + " is at version " + std::to_string(*current) +
                       ", the append expected version " +
                       std::to_string(request.expected.version())));
    return;
  }

  commit_batch& batch = open_batch();
  append_result outcome;
  outcome.first_seq = next_seq_;
  outcome.first_version = *current + 1;
  const std::int64_t recorded_at = std::max(options_.clock_us(), last_recorded_at_us_);
  std::string value;
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    const new_event& event = request.events[i];
    record_fields fields;
    fields.seq = next_seq_;
    fields.version = *current + 1 + i;
    fields.recorded_at_us = recorded_at;
    fields.schema_version = event.schema_version;
    fields.prev_hash = last_hash_;
    fields.stream = request.stream;
    fields.type = event.type;
    fields.correlation_id = request.correlation_id;
    fields.causation_id = request.causation_id;
    fields.idempotency_key = request.idempotency_key;
    fields.payload = event.payload;
    value.clear();
    last_hash_ = encode_record(fields, value);
    const std::string key = be64_key(next_seq_);
    batch.write_batch.Put(cf_log_, key, value);
    batch.bytes += value.size() + key.size();
    ++next_seq_;
  }
  outcome.last_seq = next_seq_ - 1;
  outcome.last_version = *current + request.events.size();
  last_recorded_at_us_ = recorded_at;

  remember_head(request.stream, stream_head{outcome.last_version, outcome.last_seq});
  index_entry entry;
  entry.run = stream_run{outcome.first_version, outcome.first_seq,
                         static_cast<std::uint32_t>(request.events.size())};
  if (has_key) {
    entry.key = key_entry{outcome.first_seq, entry.run.count, outcome.first_version, item.digest};
    unindexed_keys_[request.idempotency_key] = unindexed_key{item.digest, outcome, batch.id};
    unindexed_key_order_.emplace_back(outcome.last_seq, request.idempotency_key);
    entry.idempotency_key = std::move(item.request.idempotency_key);  // the request is done
  }
  entry.stream = std::move(item.request.stream);
  batch.index.push_back(std::move(entry));
  batch.events += request.events.size();
  batch.last_seq = outcome.last_seq;
  batch.last_hash = last_hash_;
  batch.appends.push_back(staged_append{std::move(item.done), outcome, item.queued});
}

void rocks_store::record_latency(std::chrono::steady_clock::time_point queued) {
  const auto micros = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                     std::chrono::steady_clock::now() - queued)
                                                     .count());
  std::size_t bucket = 0;
  while (bucket < append_latency_bounds_us.size() && micros > append_latency_bounds_us[bucket]) {
    ++bucket;
  }
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

void rocks_store::commit_loop() {
  rocksdb::WriteOptions write;
  write.sync = true;  // An append is acknowledged only once its batch is on disk.
  std::unique_lock lock(mutex_);
  while (true) {
    commit_cv_.wait(lock, [&] { return handoff_ != nullptr || writer_done_; });
    if (!handoff_) {
      break;
    }
    std::unique_ptr<commit_batch> batch = std::move(handoff_);
    const bool already_failed = failed_;
    lock.unlock();

    rocksdb::Status s;
    if (already_failed) {
      s = rocksdb::Status::Aborted("an earlier batch failed");
    } else if (batch->last_seq != 0) {
      const auto write_start = std::chrono::steady_clock::now();
      s = db_->Write(write, &batch->write_batch);
      write_ns_.fetch_add(elapsed_ns(write_start), std::memory_order_relaxed);
    }

    if (s.ok()) {
      // Index entries become visible before the head moves, so a reader that sees head H finds
      // every entry up to H.
      recent_.add(batch->index);
    }
    lock.lock();
    if (s.ok()) {
      if (batch->last_seq != 0) {
        durable_seq_.store(batch->last_seq, std::memory_order_release);
        durable_hash_ = batch->last_hash;
      }
    } else if (!failed_) {
      // The writer's optimistic state (seqs, hashes, heads) is now ahead of the disk: refuse
      // every further append until the store is reopened and recovers from what is durable.
      failed_ = true;
      failure_message_ = "event log write failed, reopen required";
      failure_detail_ = s.ToString();
    }
    completed_batch_id_ = batch->id;
    commit_busy_ = false;
    const std::string failure = failure_message_;
    writer_cv_.notify_one();
    head_cv_.notify_all();
    lock.unlock();

    if (s.ok() && recent_.active_runs() >= options_.index_flush_runs) {
      std::lock_guard index_lock(index_mutex_);
      index_flush_requested_ = true;
      index_cv_.notify_one();
    }
    const auto acknowledge_start = std::chrono::steady_clock::now();
    if (s.ok()) {
      batches_committed_.fetch_add(1, std::memory_order_relaxed);
      events_written_.fetch_add(batch->events, std::memory_order_relaxed);
      for (auto& staged : batch->appends) {
        auto& counter = staged.result.outcome == append_outcome::written ? appends_written_
                                                                          : appends_deduplicated_;
        counter.fetch_add(1, std::memory_order_relaxed);
        record_latency(staged.queued);
        staged.done(staged.result);
      }
    } else {
      for (auto& staged : batch->appends) {
        staged.done(make_error(errc::storage_failed, failure));
      }
    }
    acknowledge_ns_.fetch_add(elapsed_ns(acknowledge_start), std::memory_order_relaxed);
    batch->reset();
    lock.lock();
    if (spare_batches_.size() < 4) {
      spare_batches_.push_back(std::move(batch));
    }
  }
}

}  // namespace telepay::eventstore::detail
