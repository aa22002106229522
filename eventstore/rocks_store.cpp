#include "eventstore/rocks_store.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <pthread.h>

#include "domain/base/limits.hpp"
#include "eventstore/keys.hpp"

namespace telepay::eventstore::detail {
namespace {

error storage_error(std::string_view what, const rocksdb::Status& s) {
  return make_error(errc::storage_failed, std::string(what) + ": " + s.ToString());
}

std::string seq_context(std::uint64_t seq) { return "seq " + std::to_string(seq); }

/// meta key of a projection's row format: "projection_format:" + name -> be32 version. Apart
/// from the checkpoint ("projection:" + name), whose 8-byte value older binaries read.
std::string projection_format_key(std::string_view name) {
  return "projection_format:" + std::string(name);
}

bool valid_projection_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name.find('\0') == std::string_view::npos;
}

}  // namespace

rocks_store::rocks_store(const open_options& options, rocksdb::DB* db,
                         std::vector<rocksdb::ColumnFamilyHandle*> handles,
                         std::string secondary_dir)
    : options_(options), db_(db), handles_(std::move(handles)),
      secondary_dir_(std::move(secondary_dir)),
      cf_log_(cf(keys::cf_log)),
      cf_streams_(cf(keys::cf_streams)),
      cf_idempotency_(cf(keys::cf_idempotency)),
      cf_snapshots_(cf(keys::cf_snapshots)),
      cf_meta_(cf(keys::cf_meta)),
      cf_projections_(cf(keys::cf_projections)) {
  if (!options_.clock_us) {
    options_.clock_us = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

rocks_store::~rocks_store() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  writer_cv_.notify_all();
  commit_cv_.notify_all();
  head_cv_.notify_all();
  if (writer_thread_.joinable()) {
    writer_thread_.join();
  }
  if (commit_thread_.joinable()) {
    commit_thread_.join();
  }
  if (indexer_thread_.joinable()) {
    {
      std::lock_guard lock(index_mutex_);
      index_stopping_ = true;
    }
    index_cv_.notify_one();
    indexer_thread_.join();
    // Write what is left so the next open has nothing to re-index; on failure the next open
    // rebuilds it from the log, so the error needs no further handling here.
    flush_index().has_value();
  }
  for (auto* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
  delete db_;
  if (!secondary_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(secondary_dir_, ignored);
  }
}

rocksdb::ColumnFamilyHandle* rocks_store::cf(std::string_view name) const {
  for (auto* handle : handles_) {
    if (handle->GetName() == name) {
      return handle;
    }
  }
  LEDGER_ASSERT(false, "unknown column family ", name);
}

status rocks_store::check_format() {
  std::string value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_meta_, keys::meta_format_key, &value);
  if (s.IsNotFound()) {
    if (options_.mode == open_mode::read_only) {
      return {};  // An empty log that a server created but never wrote to is still readable.
    }
    rocksdb::WriteOptions write;
    write.sync = true;
    const rocksdb::Status put =
        db_->Put(write, cf_meta_, keys::meta_format_key, keys::meta_format_value);
    if (!put.ok()) {
      return storage_error("cannot write the format marker", put);
    }
    return {};
  }
  if (!s.ok()) {
    return storage_error("cannot read the format marker", s);
  }
  if (value != keys::meta_format_value) {
    return make_error(errc::format_mismatch, "the log at " + options_.directory.string() +
                                                 " has format '" + value + "', expected '" +
                                                 std::string(keys::meta_format_value) + "'");
  }
  return {};
}

status rocks_store::load_head() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_log_));
  it->SeekToLast();
  if (!it->status().ok()) {
    return storage_error("cannot read the log tail", it->status());
  }
  if (!it->Valid()) {
    durable_seq_.store(0, std::memory_order_release);
    durable_hash_ = hash256{};
    return {};
  }
  const rocksdb::Slice key = it->key();
  if (key.size() != 8) {
    return make_error(errc::chain_broken, "the last key of the log is not an 8-byte seq");
  }
  const std::uint64_t seq = get_be64(key.data());
  auto view = decode_record(std::string_view(it->value().data(), it->value().size()));
  if (!view) {
    return make_error(errc::chain_broken, "refusing to open: chain broken at " + seq_context(seq) +
                                              ": " + view.error().message);
  }
  std::lock_guard lock(mutex_);
  durable_seq_.store(seq, std::memory_order_release);
  durable_hash_ = view->hash;
  next_seq_ = seq + 1;
  last_hash_ = view->hash;
  last_recorded_at_us_ = view->recorded_at_us;
  return {};
}

status rocks_store::start() {
  if (auto s = check_format(); !s) {
    return s;
  }
  if (auto s = load_head(); !s) {
    return s;
  }
  const std::uint64_t head = head_seq();
  if (head > 0 && options_.verify_tail_records > 0) {
    const std::uint64_t from =
        head > options_.verify_tail_records ? head - options_.verify_tail_records + 1 : 1;
    const verify_report report = verify(from, {});
    if (report.fault) {
      std::string where = seq_context(report.fault->seq);
      if (!report.fault->stream.empty()) {
        where += " (stream " + report.fault->stream + ")";
      }
      return make_error(errc::chain_broken,
                        "refusing to open " + options_.directory.string() +
                            ": chain broken at " + where + ": " + report.fault->reason);
    }
  }
  std::string checkpoint;
  const rocksdb::Status got =
      db_->Get(rocksdb::ReadOptions(), cf_meta_, keys::meta_indexed_through_key, &checkpoint);
  if (!got.ok() && !got.IsNotFound()) {
    return storage_error("cannot read the index checkpoint", got);
  }
  const std::uint64_t indexed = checkpoint.size() == 8 ? get_be64(checkpoint.data()) : 0;
  indexed_through_.store(std::min(indexed, head));
  if (options_.mode == open_mode::read_write) {
    recent_.reserve(options_.index_flush_runs);
  }
  if (auto rebuilt = rebuild_index(indexed + 1, head); !rebuilt) {
    return rebuilt;
  }
  if (options_.mode == open_mode::read_write) {
    indexer_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "es-indexer");
      indexer_loop();
    });
    writer_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "es-writer");
      writer_loop();
    });
    commit_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "es-commit");
      commit_loop();
    });
  }
  return {};
}

hash256 rocks_store::head_hash() const {
  std::lock_guard lock(mutex_);
  return durable_hash_;
}

store_stats rocks_store::stats() const {
  store_stats out;
  out.head_seq = head_seq();
  out.head_hash = head_hash();
  out.appends_written = appends_written_.load();
  out.appends_deduplicated = appends_deduplicated_.load();
  out.appends_rejected = appends_rejected_.load();
  out.batches_committed = batches_committed_.load();
  out.stage_ns = stage_ns_.load();
  out.write_ns = write_ns_.load();
  out.acknowledge_ns = acknowledge_ns_.load();
  out.index_flushes = index_flushes_.load();
  out.indexed_through = indexed_through_.load();
  {
    std::lock_guard lock(index_mutex_);
    out.index_error = index_error_;
  }
  out.events_written = events_written_.load();
  for (std::size_t i = 0; i < latency_buckets_.size(); ++i) {
    out.append_latency_buckets[i] = latency_buckets_[i].load(std::memory_order_relaxed);
  }
  out.append_latency_sum_us = latency_sum_us_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    out.write_failed = failed_;
    out.write_failure = failed_ ? failure_message_ + ": " + failure_detail_ : std::string();
  }
  return out;
}

std::uint64_t rocks_store::disk_bytes() {
  std::uint64_t total = 0;
  for (auto* handle : handles_) {
    std::uint64_t size = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kTotalSstFilesSize, &size)) {
      total += size;
    }
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kCurSizeAllMemTables, &size)) {
      total += size;
    }
  }
  return total;
}

status rocks_store::refresh() {
  if (options_.mode != open_mode::read_only) {
    return {};
  }
  const std::uint64_t before = head_seq();
  const rocksdb::Status s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) {
    return storage_error("cannot catch up with the primary", s);
  }
  if (auto loaded = load_head(); !loaded) {
    return loaded;
  }
  return rebuild_index(before + 1, head_seq());
}

bool rocks_store::wait_for_seq(std::uint64_t seq, std::chrono::milliseconds timeout) {
  const std::atomic<bool> never{false};
  return wait_for_seq_or_stop(seq, timeout, never);
}

bool rocks_store::wait_for_seq_or_stop(std::uint64_t seq, std::chrono::milliseconds timeout,
                                       const std::atomic<bool>& stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (options_.mode == open_mode::read_only) {
    // A secondary instance learns of new writes only by polling the primary's files.
    while (head_seq() < seq && !stop.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      refresh().has_value();  // A failed refresh just means no progress this round.
    }
    return head_seq() >= seq;
  }
  std::unique_lock lock(mutex_);
  head_cv_.wait_until(lock, deadline, [&] {
    return durable_seq_.load(std::memory_order_acquire) >= seq || stop.load() || closing_;
  });
  return durable_seq_.load(std::memory_order_acquire) >= seq;
}

void rocks_store::wake_waiters() {
  std::lock_guard lock(mutex_);
  head_cv_.notify_all();
}

result<stream_head> rocks_store::read_stream_head(std::string_view stream) {
  // Memory holds every entry after indexed_through, so a run found there is the newest.
  if (auto run = recent_.last_run(std::string(stream))) {
    return stream_head{run->last_version(), run->last_seq()};
  }
  rocksdb::ReadOptions read;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_streams_));
  it->SeekForPrev(keys::stream_key(stream, ~std::uint64_t{0}));
  if (!it->status().ok()) {
    return storage_error("cannot read the stream index", it->status());
  }
  const std::string prefix = keys::stream_key(stream, 0).substr(0, stream.size() + 1);
  if (!it->Valid() || !it->key().starts_with(prefix) || it->value().size() != keys::stream_value_bytes) {
    return stream_head{};
  }
  const std::uint64_t first_version = get_be64(it->key().data() + prefix.size());
  const std::uint64_t first_seq = get_be64(it->value().data());
  const std::uint32_t count = get_be32(it->value().data() + 8);
  if (count == 0) {
    // An on-disk value, not an invariant of this process: refuse it, do not trap.
    return make_error(errc::record_corrupt,
                      "stream index entry for " + std::string(stream) + " has zero events");
  }
  return stream_head{first_version + count - 1, first_seq + count - 1};
}

result<std::optional<key_entry>> rocks_store::read_key(const std::string& key) {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_idempotency_, key, &value);
  if (s.IsNotFound()) {
    return std::optional<key_entry>();
  }
  if (!s.ok()) {
    return storage_error("cannot read the idempotency index", s);
  }
  if (value.size() != keys::idempotency_value_bytes) {
    return make_error(errc::record_corrupt, "malformed idempotency entry for key '" + key + "'");
  }
  key_entry entry;
  entry.first_seq = get_be64(value.data());
  entry.count = get_be32(value.data() + 8);
  entry.first_version = get_be64(value.data() + 12);
  std::copy_n(value.data() + 20, entry.digest.size(), reinterpret_cast<char*>(entry.digest.data()));
  return std::optional<key_entry>(entry);
}

result<std::uint64_t> rocks_store::stream_version(std::string_view stream) {
  auto head = read_stream_head(stream);
  if (!head) {
    return head.error();
  }
  return head->version;
}

result<std::vector<record>> rocks_store::read_stream(std::string_view stream,
                                                     std::uint64_t from_version,
                                                     std::size_t max_count) {
  max_count = std::min(max_count, limits::read_batch_events_max);
  std::vector<record> out;
  if (max_count == 0) {
    return out;
  }
  from_version = std::max<std::uint64_t>(from_version, 1);
  const std::uint64_t until_version = from_version + max_count - 1;
  // version -> seq for the wanted range; runs may overlap (memory and an ingested copy), so a
  // map de-duplicates. Memory first, then RocksDB: an entry leaves memory only once ingested.
  std::map<std::uint64_t, std::uint64_t> seq_of;
  const auto take = [&](std::uint64_t first_version, std::uint64_t first_seq, std::uint64_t count) {
    const std::uint64_t lo = std::max(first_version, from_version);
    const std::uint64_t hi = std::min(first_version + count - 1, until_version);
    for (std::uint64_t v = lo; v <= hi && hi >= lo; ++v) {
      seq_of.emplace(v, first_seq + (v - first_version));
    }
  };
  for (const stream_run& run : recent_.runs(std::string(stream))) {
    take(run.first_version, run.first_seq, run.count);
  }
  const std::string prefix = std::string(stream) + '\0';
  rocksdb::ReadOptions read;
  // Index and log must agree: one snapshot for both reads (secondary instances change only in
  // refresh() and do not support snapshots).
  const rocksdb::Snapshot* snap =
      options_.mode == open_mode::read_write ? db_->GetSnapshot() : nullptr;
  read.snapshot = snap;
  const auto release = [&] {
    if (snap != nullptr) {
      db_->ReleaseSnapshot(snap);
    }
  };
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_streams_));
  it->SeekForPrev(keys::stream_key(stream, from_version));
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    it->Seek(keys::stream_key(stream, from_version));
  }
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != keys::stream_value_bytes) {
      release();
      return make_error(errc::record_corrupt, "malformed stream index entry for " +
                                                  std::string(stream));
    }
    const std::uint64_t first_version = get_be64(it->key().data() + prefix.size());
    if (first_version > until_version) {
      break;
    }
    take(first_version, get_be64(it->value().data()), get_be32(it->value().data() + 8));
  }
  const rocksdb::Status iter_status = it->status();
  if (!iter_status.ok()) {
    release();
    return storage_error("cannot read the stream index", iter_status);
  }
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t v = from_version; v <= until_version; ++v) {
    const auto found = seq_of.find(v);
    if (found == seq_of.end()) {
      break;  // versions are contiguous: the first gap is the end of the stream
    }
    seqs.push_back(found->second);
  }
  std::vector<std::string> key_storage;
  key_storage.reserve(seqs.size());
  for (std::uint64_t seq : seqs) {
    key_storage.push_back(be64_key(seq));
  }
  std::vector<rocksdb::Slice> key_slices(key_storage.begin(), key_storage.end());
  std::vector<rocksdb::PinnableSlice> values(seqs.size());
  std::vector<rocksdb::Status> statuses(seqs.size());
  if (!seqs.empty()) {
    db_->MultiGet(read, cf_log_, seqs.size(), key_slices.data(), values.data(), statuses.data());
  }
  release();
  out.reserve(seqs.size());
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    if (!statuses[i].ok()) {
      return storage_error("cannot read " + seq_context(seqs[i]), statuses[i]);
    }
    auto view = decode_record(std::string_view(values[i].data(), values[i].size()));
    if (!view) {
      return make_error(errc::record_corrupt, seq_context(seqs[i]) + ": " + view.error().message);
    }
    if (view->seq != seqs[i] || view->stream != stream ||
        view->version != from_version + i) {
      return make_error(errc::record_corrupt, seq_context(seqs[i]) + " does not hold version " +
                                                  std::to_string(from_version + i) + " of " +
                                                  std::string(stream));
    }
    out.push_back(record::from_view(*view));
  }
  return out;
}

status rocks_store::for_each(std::uint64_t from_seq, std::uint64_t to_seq,
                             const std::function<bool(const record_view&)>& visit) {
  from_seq = std::max<std::uint64_t>(from_seq, 1);
  to_seq = std::min(to_seq, head_seq());
  if (from_seq > to_seq) {
    return {};
  }
  const std::string lower = be64_key(from_seq);
  const std::string upper = be64_key(to_seq + 1);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  if (to_seq - from_seq >= limits::read_batch_events_max) {
    // A long scan (replay, audit): read ahead and keep it out of the block cache. Short reads
    // (a subscription's next page, a point lookup) keep the defaults, or each would pay 2 MB.
    read.readahead_size = 2 << 20;
    read.fill_cache = false;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_log_));
  std::uint64_t expected = from_seq;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const std::uint64_t seq = key.size() == 8 ? get_be64(key.data()) : 0;
    if (seq != expected) {
      return make_error(errc::record_corrupt, "gap in the log: expected " + seq_context(expected) +
                                                  ", found key of " + seq_context(seq));
    }
    auto view = decode_record(std::string_view(it->value().data(), it->value().size()));
    if (!view) {
      return make_error(errc::record_corrupt, seq_context(seq) + ": " + view.error().message);
    }
    if (view->seq != seq) {
      return make_error(errc::record_corrupt, seq_context(seq) + " holds a record of " +
                                                  seq_context(view->seq));
    }
    if (!visit(*view)) {
      return {};
    }
    ++expected;
  }
  if (!it->status().ok()) {
    return storage_error("cannot read the log", it->status());
  }
  if (expected != to_seq + 1) {
    return make_error(errc::record_corrupt, "the log ends at " + seq_context(expected - 1) +
                                                " before the head " + seq_context(to_seq));
  }
  return {};
}

result<std::vector<record>> rocks_store::read_all(std::uint64_t from_seq, std::size_t max_count) {
  max_count = std::min(max_count, limits::read_batch_events_max);
  std::vector<record> out;
  if (max_count == 0) {
    return out;
  }
  from_seq = std::max<std::uint64_t>(from_seq, 1);
  const std::uint64_t to_seq = from_seq + max_count - 1;
  auto s = for_each(from_seq, to_seq, [&](const record_view& view) {
    out.push_back(record::from_view(view));
    return true;
  });
  if (!s) {
    return s.error();
  }
  return out;
}

status rocks_store::save_snapshot(std::string_view stream, std::uint64_t version,
                                  std::string_view bytes) {
  if (options_.mode != open_mode::read_write) {
    return make_error(errc::store_closed, "the log is open read-only");
  }
  if (stream.empty() || stream.size() > limits::stream_name_bytes_max) {
    return make_error(errc::stream_name_invalid, "snapshot stream name has a bad length");
  }
  if (bytes.size() > limits::snapshot_bytes_max) {
    return make_error(errc::snapshot_invalid, "snapshot of " + std::to_string(bytes.size()) +
                                                  " bytes exceeds the limit");
  }
  auto head = read_stream_head(stream);
  if (!head) {
    return head.error();
  }
  if (version == 0 || version > head->version) {
    return make_error(errc::snapshot_invalid,
                      "snapshot version " + std::to_string(version) + " of " + std::string(stream) +
                          " is not a durable version (stream is at " +
                          std::to_string(head->version) + ")");
  }
  std::string value;
  put_be64(value, version);
  value.append(bytes);
  // A lost snapshot only costs a longer replay, so it need not be synced on its own.
  const rocksdb::Status s =
      db_->Put(rocksdb::WriteOptions(), cf_snapshots_, rocksdb::Slice(stream.data(), stream.size()), value);
  if (!s.ok()) {
    return storage_error("cannot write snapshot", s);
  }
  return {};
}

result<std::optional<snapshot>> rocks_store::load_snapshot(std::string_view stream) {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_snapshots_,
                                     rocksdb::Slice(stream.data(), stream.size()), &value);
  if (s.IsNotFound()) {
    return std::optional<snapshot>();
  }
  if (!s.ok()) {
    return storage_error("cannot read snapshot", s);
  }
  if (value.size() < 8) {
    return make_error(errc::record_corrupt, "snapshot of " + std::string(stream) + " is truncated");
  }
  return std::optional<snapshot>(snapshot{get_be64(value.data()), value.substr(8)});
}

verify_report rocks_store::verify(std::uint64_t from_seq,
                                  const std::function<void(std::uint64_t done)>& progress,
                                  std::uint64_t through_seq) {
  verify_report report;
  from_seq = std::max<std::uint64_t>(from_seq, 1);
  const std::uint64_t head = through_seq == verify_to_head ? head_seq() : through_seq;
  auto fault = [&](std::uint64_t seq, std::string_view stream, std::string reason) {
    report.fault = chain_fault{seq, std::string(stream), std::move(reason)};
    return report;
  };
  hash256 expected_prev{};
  std::int64_t previous_recorded_at = 0;
  rocksdb::ReadOptions read;
  read.readahead_size = 2 << 20;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_log_));
  if (from_seq > 1) {
    it->Seek(be64_key(from_seq - 1));
    if (!it->Valid() || it->key() != be64_key(from_seq - 1)) {
      return fault(from_seq - 1, "", "record is missing");
    }
    auto view = decode_record(std::string_view(it->value().data(), it->value().size()));
    if (!view) {
      return fault(from_seq - 1, "", view.error().message);
    }
    expected_prev = view->hash;
    previous_recorded_at = view->recorded_at_us;
  }
  // Per stream: the last version seen, so each next event must be exactly one more.
  std::unordered_map<std::string, std::uint64_t> versions;
  std::uint64_t expected_seq = from_seq;
  for (it->Seek(be64_key(from_seq)); it->Valid() && expected_seq <= head; it->Next()) {
    const rocksdb::Slice key = it->key();
    const std::uint64_t seq = key.size() == 8 ? get_be64(key.data()) : 0;
    if (seq != expected_seq) {
      return fault(expected_seq, "", "record is missing (next key is " + seq_context(seq) + ")");
    }
    auto view = decode_record(std::string_view(it->value().data(), it->value().size()));
    if (!view) {
      return fault(seq, "", view.error().message);
    }
    if (view->seq != seq) {
      return fault(seq, view->stream, "record claims " + seq_context(view->seq));
    }
    if (!verify_record_hash(*view)) {
      return fault(seq, view->stream, "hash does not match the record's bytes");
    }
    if (view->prev_hash != expected_prev) {
      return fault(seq, view->stream, "prev_hash does not match the hash of the previous record");
    }
    if (view->recorded_at_us < previous_recorded_at) {
      return fault(seq, view->stream, "recorded_at goes backwards");
    }
    auto [entry, inserted] = versions.try_emplace(std::string(view->stream), 0);
    const bool first_seen_mid_log = inserted && from_seq > 1;
    if (!first_seen_mid_log && view->version != entry->second + 1) {
      return fault(seq, view->stream,
                   "stream version " + std::to_string(view->version) + " follows version " +
                       std::to_string(entry->second));
    }
    entry->second = view->version;
    expected_prev = view->hash;
    previous_recorded_at = view->recorded_at_us;
    report.records += 1;
    report.last_seq = seq;
    report.last_hash = view->hash;
    ++expected_seq;
    if (progress && (report.records & 0xffff) == 0) {
      progress(report.records);
    }
  }
  if (!it->status().ok()) {
    return fault(expected_seq, "", "cannot read: " + it->status().ToString());
  }
  if (expected_seq <= head) {
    return fault(expected_seq, "", "record is missing (the log ends early)");
  }
  return report;
}

status rocks_store::save_projection(std::string_view name, std::uint64_t checkpoint,
                                    const std::vector<projection_row>& rows) {
  if (options_.mode != open_mode::read_write) {
    return make_error(errc::store_closed, "the log is open read-only");
  }
  if (!valid_projection_name(name)) {
    return make_error(errc::invalid_argument, "projection names are 1-64 bytes without NUL");
  }
  if (checkpoint > head_seq()) {
    return make_error(errc::invalid_argument, "projection checkpoint beyond the durable head");
  }
  rocksdb::WriteBatch batch;
  for (const projection_row& row : rows) {
    const std::string key = keys::projection_row_key(name, row.key);
    if (row.value) {
      batch.Put(cf_projections_, key, *row.value);
    } else {
      batch.Delete(cf_projections_, key);
    }
  }
  batch.Put(cf_meta_, keys::projection_checkpoint_key(name), be64_key(checkpoint));
  const rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    return storage_error("cannot save projection " + std::string(name), s);
  }
  return {};
}

result<std::uint64_t> rocks_store::load_projection(
    std::string_view name,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  std::string checkpoint;
  const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), cf_meta_,
                                       keys::projection_checkpoint_key(name), &checkpoint);
  if (!got.ok() && !got.IsNotFound()) {
    return storage_error("cannot read the checkpoint of projection " + std::string(name), got);
  }
  const std::string prefix = keys::projection_row_key(name, "");
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_projections_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const auto key = it->key();
    const auto value = it->value();
    if (!visit(std::string_view(key.data() + prefix.size(), key.size() - prefix.size()),
               std::string_view(value.data(), value.size()))) {
      break;
    }
  }
  if (!it->status().ok()) {
    return storage_error("cannot read projection " + std::string(name), it->status());
  }
  return checkpoint.size() == 8 ? get_be64(checkpoint.data()) : std::uint64_t{0};
}

result<std::uint32_t> rocks_store::projection_format(std::string_view name) {
  std::string value;
  const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), cf_meta_, projection_format_key(name), &value);
  if (got.IsNotFound()) {
    return std::uint32_t{1};  // saved before format versions existed
  }
  if (!got.ok()) {
    return storage_error("cannot read the format of projection " + std::string(name), got);
  }
  if (value.size() != 4) {
    return make_error(errc::record_corrupt, "malformed format version of projection " + std::string(name));
  }
  return get_be32(value.data());
}

status rocks_store::drop_projection(std::string_view name, std::uint32_t format) {
  if (options_.mode != open_mode::read_write) {
    return make_error(errc::store_closed, "the log is open read-only");
  }
  if (!valid_projection_name(name)) {
    return make_error(errc::invalid_argument, "projection names are 1-64 bytes without NUL");
  }
  // Rows are "name \0 key": [name \0, name \1) holds exactly this projection's rows.
  const std::string begin = keys::projection_row_key(name, "");
  std::string end(name);
  end.push_back('\1');
  std::string version;
  put_be32(version, format);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(cf_projections_, begin, end);
  batch.Delete(cf_meta_, keys::projection_checkpoint_key(name));
  batch.Put(cf_meta_, projection_format_key(name), version);
  const rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    return storage_error("cannot drop projection " + std::string(name), s);
  }
  return {};
}

}  // namespace telepay::eventstore::detail
