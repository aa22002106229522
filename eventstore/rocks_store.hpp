#pragma once
/// The RocksDB implementation of event_store. Internal to eventstore/: include event_store.hpp.

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "eventstore/event_store.hpp"
#include "eventstore/recent_index.hpp"

namespace telepay::eventstore::detail {

/// RocksDB options of each column family (shared by open and the SST writer of the indexer).
rocksdb::ColumnFamilyOptions column_family_options(std::string_view name);
rocksdb::DBOptions db_options(open_mode mode);

/// An append waiting in the queue for the writer thread.
struct pending_append {
  append_request request;
  append_callback done;
  std::size_t events = 0;
  std::size_t bytes = 0;
  hash256 digest{};  // of stream + events, when an idempotency key is present
  std::chrono::steady_clock::time_point queued;
};

/// An append accepted into a batch: acknowledged when the batch is durable.
struct staged_append {
  append_callback done;
  append_result result;
  std::chrono::steady_clock::time_point queued;
};

/// The unit of group commit: many appends, one synced WriteBatch.
struct commit_batch {
  std::uint64_t id = 0;
  rocksdb::WriteBatch write_batch;  // log records only: index entries go to recent_index
  std::vector<staged_append> appends;
  std::vector<index_entry> index;
  std::uint64_t last_seq = 0;  // 0 if the batch writes no record (only deduplicated followers)
  hash256 last_hash{};
  std::size_t events = 0;
  std::size_t bytes = 0;

  /// Empties the batch but keeps its buffers' capacity: a recycled batch writes into memory
  /// that is already mapped and cached, which measurably beats fresh allocations here.
  void reset() {
    id = 0;
    write_batch.Clear();
    appends.clear();
    index.clear();
    last_seq = 0;
    last_hash = {};
    events = 0;
    bytes = 0;
  }
};

/// What the writer remembers about a stream: its head, and the seq that produced it.
struct stream_head {
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
};

/// An idempotency key whose entry is not yet in the `idempotency` column family: staged,
/// durable but only in memory, or rebuilt from the log on open (batch_id 0: durable).
struct unindexed_key {
  hash256 digest{};
  append_result result;
  std::uint64_t batch_id = 0;
};

class rocks_store final : public event_store {
 public:
  rocks_store(const open_options& options, rocksdb::DB* db,
              std::vector<rocksdb::ColumnFamilyHandle*> handles, std::string secondary_dir);
  ~rocks_store() override;

  /// Reads the head, verifies the tail, and (read_write) starts the writer and commit threads.
  status start();

  void append_async(append_request request, append_callback done) override;
  result<std::vector<record>> read_stream(std::string_view stream, std::uint64_t from_version,
                                          std::size_t max_count) override;
  result<std::vector<record>> read_all(std::uint64_t from_seq, std::size_t max_count) override;
  status for_each(std::uint64_t from_seq, std::uint64_t to_seq,
                  const std::function<bool(const record_view&)>& visit) override;
  result<std::uint64_t> stream_version(std::string_view stream) override;
  std::uint64_t head_seq() const override { return durable_seq_.load(std::memory_order_acquire); }
  hash256 head_hash() const override;
  bool wait_for_seq(std::uint64_t seq, std::chrono::milliseconds timeout) override;
  std::unique_ptr<subscription> subscribe(std::uint64_t from_seq, subscription_handler handler,
                                          subscription_error_handler on_error) override;
  status save_snapshot(std::string_view stream, std::uint64_t version,
                       std::string_view bytes) override;
  result<std::optional<snapshot>> load_snapshot(std::string_view stream) override;
  status save_projection(std::string_view name, std::uint64_t checkpoint,
                         const std::vector<projection_row>& rows) override;
  result<std::uint64_t> load_projection(
      std::string_view name,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) override;
  result<std::uint32_t> projection_format(std::string_view name) override;
  status drop_projection(std::string_view name, std::uint32_t format) override;
  verify_report verify(std::uint64_t from_seq,
                       const std::function<void(std::uint64_t done)>& progress,
                       std::uint64_t through_seq = verify_to_head) override;
  status refresh() override;
  store_stats stats() const override;
  std::uint64_t disk_bytes() override;

  /// Waits like wait_for_seq but also returns when `stop` becomes true (after wake_waiters()).
  bool wait_for_seq_or_stop(std::uint64_t seq, std::chrono::milliseconds timeout,
                            const std::atomic<bool>& stop);
  void wake_waiters();

 private:
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  status load_head();
  status check_format();
  result<stream_head> read_stream_head(std::string_view stream);
  result<std::optional<key_entry>> read_key(const std::string& key);

  // Indexing (indexer.cpp): rebuilding the in-memory index from the log, and writing frozen
  // generations to RocksDB as ingested SST files.
  status rebuild_index(std::uint64_t from_seq, std::uint64_t to_seq);
  /// Adds rebuilt entries to the recent index (and, read-write, to the writer's key table).
  void add_rebuilt(std::vector<index_entry>& entries);
  status flush_index();
  void indexer_loop();

  // Writer thread: stages queued appends into the open batch and hands batches to the committer.
  void writer_loop();
  void stage(pending_append& item, std::vector<std::pair<append_callback, result<append_result>>>&
                                       immediate);
  result<std::optional<append_result>> find_durable_key(const pending_append& item);
  result<std::uint64_t> current_version(const std::string& stream);
  void remember_head(const std::string& stream, stream_head head);
  void prune_indexed_keys();
  void fail_all_locked(std::vector<append_callback>& to_fail);

  // Commit thread: writes each handed-over batch with sync=true, then acknowledges it.
  void commit_loop();
  void record_latency(std::chrono::steady_clock::time_point queued);

  open_options options_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string secondary_dir_;
  rocksdb::ColumnFamilyHandle* cf_log_;
  rocksdb::ColumnFamilyHandle* cf_streams_;
  rocksdb::ColumnFamilyHandle* cf_idempotency_;
  rocksdb::ColumnFamilyHandle* cf_snapshots_;
  rocksdb::ColumnFamilyHandle* cf_meta_;
  rocksdb::ColumnFamilyHandle* cf_projections_;

  // Shared between threads, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable writer_cv_;
  std::condition_variable commit_cv_;
  std::condition_variable head_cv_;
  std::deque<pending_append> queue_;
  std::unique_ptr<commit_batch> handoff_;
  std::vector<std::unique_ptr<commit_batch>> spare_batches_;  // acknowledged, reset, reusable
  bool commit_busy_ = false;
  bool closing_ = false;
  bool writer_done_ = false;
  bool failed_ = false;
  std::string failure_message_;  // what appenders are told (no library text or paths)
  std::string failure_detail_;   // RocksDB's status, for the operator's log (store_stats)
  std::uint64_t completed_batch_id_ = 0;
  hash256 durable_hash_{};
  std::atomic<std::uint64_t> durable_seq_{0};

  // Owned by the writer thread only.
  std::unique_ptr<commit_batch> open_;
  std::vector<std::unique_ptr<commit_batch>> writer_spares_;
  std::uint64_t next_batch_id_ = 1;
  std::uint64_t next_seq_ = 1;
  hash256 last_hash_{};
  std::int64_t last_recorded_at_us_ = 0;
  absl::flat_hash_map<std::string, stream_head> heads_;
  // Every key not yet ingested into RocksDB, with (last seq, key) in seq order for pruning once
  // indexed_through_ passes it. The writer is its only reader, so lookups take no lock.
  absl::flat_hash_map<std::string, unindexed_key> unindexed_keys_;
  std::deque<std::pair<std::uint64_t, std::string>> unindexed_key_order_;
  std::uint64_t writer_completed_batch_id_ = 0;

  std::atomic<std::uint64_t> appends_written_{0};
  std::atomic<std::uint64_t> appends_deduplicated_{0};
  std::atomic<std::uint64_t> appends_rejected_{0};
  std::atomic<std::uint64_t> batches_committed_{0};
  std::atomic<std::uint64_t> stage_ns_{0};
  std::atomic<std::uint64_t> write_ns_{0};
  std::atomic<std::uint64_t> acknowledge_ns_{0};
  std::atomic<std::uint64_t> events_written_{0};
  std::array<std::atomic<std::uint64_t>, append_latency_bounds_us.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};

  recent_index recent_;
  mutable std::mutex index_mutex_;
  std::condition_variable index_cv_;
  bool index_flush_requested_ = false;
  bool index_stopping_ = false;
  std::uint64_t ingest_files_ = 0;
  std::atomic<std::uint64_t> index_flushes_{0};
  std::atomic<std::uint64_t> indexed_through_{0};
  std::string index_error_;  // guarded by index_mutex_

  std::thread writer_thread_;
  std::thread commit_thread_;
  std::thread indexer_thread_;
};

}  // namespace telepay::eventstore::detail
