#pragma once
/// The append-only, hash-chained event log on RocksDB.
///
/// Thread safety: every public member may be called from any thread. Appends are queued to one
/// writer thread that checks expected versions and idempotency keys, assigns gapless sequence
/// numbers, encodes and hash-chains records and builds one WriteBatch for many appends (group
/// commit); a commit thread writes each batch with sync=true and only then acknowledges its
/// appends. Lifecycle: open() -> use -> destroy (which drains queued appends first).

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "eventstore/record.hpp"

namespace telepay::eventstore {

/// The optimistic-concurrency check of an append.
class expected_version {
 public:
  /// Append whatever the stream's current version.
  static expected_version any() { return expected_version(kind::any, 0); }
  /// The stream must not exist yet (version 0).
  static expected_version no_stream() { return expected_version(kind::exact, 0); }
  /// The stream's current (last) version must be exactly `version`.
  static expected_version exactly(std::uint64_t version) {
    return expected_version(kind::exact, version);
  }

  bool is_any() const { return kind_ == kind::any; }
  /// REQUIRES: !is_any().
  std::uint64_t version() const;

 private:
  enum class kind : std::uint8_t { any, exact };
  expected_version(kind k, std::uint64_t v) : kind_(k), version_(v) {}
  kind kind_;
  std::uint64_t version_;
};

struct new_event {
  std::string type;                  // stable name, e.g. "wallet.credited"
  std::uint16_t schema_version = 1;  // of the payload
  std::string payload;               // canonical JSON bytes (opaque to the store)
};

struct append_request {
  std::string stream;
  expected_version expected = expected_version::any();
  std::vector<new_event> events;
  std::string idempotency_key;  // empty: no deduplication
  std::string correlation_id;
  std::string causation_id;
};

enum class append_outcome : std::uint8_t { written, deduplicated };

struct append_result {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t first_version = 0;
  std::uint64_t last_version = 0;  // the stream's version after this append
  append_outcome outcome = append_outcome::written;
};

/// Called exactly once per append: after the batch holding it is durable, or with the error.
/// Runs on the store's commit or writer thread (or the caller's, for rejected input): keep it
/// short and never call back into append() synchronously and wait on it.
using append_callback = std::function<void(result<append_result>)>;

enum class open_mode : std::uint8_t {
  read_write,  // the server: exclusive, appends allowed
  read_only,   // auditors: a RocksDB secondary instance, safe beside a running server
};

struct open_options {
  std::filesystem::path directory;
  open_mode mode = open_mode::read_write;
  /// Records at the tail whose hashes and links are verified on open. Default: 4096.
  std::uint64_t verify_tail_records = 4096;
  /// Stream heads kept in memory by the writer (others are read from RocksDB). Default: 262144.
  std::size_t stream_cache_entries_max = 262144;
  /// Stream-index runs held in memory before they are written to RocksDB as an ingested SST
  /// (see recent_index.hpp). Bounds both memory and the log tail re-indexed on open.
  /// Default: 262144.
  std::size_t index_flush_runs = 262144;
  /// Source of recorded_at in microseconds since the epoch. Default: the system clock.
  std::function<std::int64_t()> clock_us;
};

struct snapshot {
  std::uint64_t version = 0;
  std::string bytes;
};

/// One row of a projection's stored read model; no value deletes the row.
struct projection_row {
  std::string key;
  std::optional<std::string> value;
};

/// A problem found while walking the chain.
struct chain_fault {
  std::uint64_t seq = 0;
  std::string stream;  // empty if the record could not be decoded
  std::string reason;
};

/// verify()'s default end: the head of the log.
inline constexpr std::uint64_t verify_to_head = ~std::uint64_t{0};

struct verify_report {
  std::uint64_t records = 0;
  std::uint64_t last_seq = 0;
  hash256 last_hash{};
  std::optional<chain_fault> fault;
};

/// Upper bounds (microseconds) of the append latency histogram's buckets; a last bucket counts
/// everything above. Latency: from append_async to the acknowledgement after the fsync.
inline constexpr std::array<std::uint64_t, 12> append_latency_bounds_us = {
    250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};

struct store_stats {
  std::uint64_t head_seq = 0;
  hash256 head_hash{};
  std::uint64_t appends_written = 0;
  std::uint64_t appends_deduplicated = 0;
  std::uint64_t appends_rejected = 0;
  std::uint64_t batches_committed = 0;
  std::uint64_t events_written = 0;
  /// Time the writer thread spent staging (checks, encoding, hashing), the commit thread spent
  /// in synced RocksDB writes, and acknowledging appends, in nanoseconds.
  std::uint64_t stage_ns = 0;
  std::uint64_t write_ns = 0;
  std::uint64_t acknowledge_ns = 0;
  /// Index generations written to RocksDB, the seq they cover, and the last indexing error.
  /// Acknowledged appends per latency bucket (see append_latency_bounds_us) and their sum.
  std::array<std::uint64_t, append_latency_bounds_us.size() + 1> append_latency_buckets{};
  std::uint64_t append_latency_sum_us = 0;
  std::uint64_t index_flushes = 0;
  std::uint64_t indexed_through = 0;
  std::string index_error;
  /// Set once a synced write failed: every append is refused until the store is reopened.
  /// write_failure holds RocksDB's status (may name files: for the operator's log only).
  bool write_failed = false;
  std::string write_failure;
};

/// A live subscription: a thread that delivers records in seq order, first the history from the
/// requested seq (catch-up), then new records as they become durable, with no gap and no
/// duplicate at the switch (both phases are the same read loop keyed by the next seq).
class subscription {
 public:
  virtual ~subscription() = default;
  /// Stops delivery and joins the thread. Idempotent. Must not be called from the handler.
  virtual void stop() = 0;
  /// The next seq this subscription will deliver.
  virtual std::uint64_t position() const = 0;
};

/// Receives a non-empty run of consecutive records. Returning false stops the subscription.
using subscription_handler = std::function<bool(std::span<const record>)>;
using subscription_error_handler = std::function<void(const error&)>;

class event_store {
 public:
  /// Opens (creating if missing, in read_write mode) the log under options.directory. Refuses to
  /// open a log whose tail does not verify, naming the first bad seq.
  static result<std::unique_ptr<event_store>> open(const open_options& options);

  virtual ~event_store() = default;

  /// Queues an append; `done` runs once the append is durable or rejected.
  virtual void append_async(append_request request, append_callback done) = 0;

  /// Appends and waits until durable.
  result<append_result> append(append_request request);
  result<append_result> append(std::string stream, expected_version expected,
                               std::vector<new_event> events, std::string idempotency_key);

  /// Events of `stream` with version >= from_version, at most max_count (<= read limit).
  virtual result<std::vector<record>> read_stream(std::string_view stream,
                                                  std::uint64_t from_version,
                                                  std::size_t max_count) = 0;

  /// Records with seq >= from_seq, at most max_count, in seq order.
  virtual result<std::vector<record>> read_all(std::uint64_t from_seq, std::size_t max_count) = 0;

  /// Calls `visit` for each record in [from_seq, to_seq] in order, without copying; stops early
  /// when visit returns false. The view is valid only during the call.
  virtual status for_each(std::uint64_t from_seq, std::uint64_t to_seq,
                          const std::function<bool(const record_view&)>& visit) = 0;

  /// The stream's current version (0 if it does not exist).
  virtual result<std::uint64_t> stream_version(std::string_view stream) = 0;

  /// The last durable seq (0 when empty) and its hash.
  virtual std::uint64_t head_seq() const = 0;
  virtual hash256 head_hash() const = 0;

  /// Blocks until head_seq() >= seq or the timeout passes; returns whether it was reached.
  virtual bool wait_for_seq(std::uint64_t seq, std::chrono::milliseconds timeout) = 0;

  virtual std::unique_ptr<subscription> subscribe(std::uint64_t from_seq,
                                                  subscription_handler handler,
                                                  subscription_error_handler on_error = {}) = 0;

  /// Stores the latest snapshot of a stream (state folded up to `version`, which must be durable).
  virtual status save_snapshot(std::string_view stream, std::uint64_t version,
                               std::string_view bytes) = 0;
  virtual result<std::optional<snapshot>> load_snapshot(std::string_view stream) = 0;

  /// Stores changed rows of a projection's read model together with the seq they reflect, in one
  /// atomic write (not synced: read models are derived, a lost write only costs a replay).
  virtual status save_projection(std::string_view name, std::uint64_t checkpoint,
                                 const std::vector<projection_row>& rows) = 0;
  /// Visits every stored row of a projection in key order (stop early by returning false) and
  /// returns its checkpoint: 0 when it was never saved.
  virtual result<std::uint64_t> load_projection(
      std::string_view name,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
  /// The format version of a projection's stored rows, kept in its own meta key (the checkpoint
  /// value stays 8 bytes, which older binaries read): 1 when none was recorded, which is what
  /// rows saved before format versions existed are.
  virtual result<std::uint32_t> projection_format(std::string_view name) = 0;
  /// Deletes every stored row and the checkpoint of one projection (a delete-range, so rows a
  /// rebuild never writes again do not survive) and records `format` as the version of the rows
  /// saved next, in one atomic write. Other names (the followers' checkpoints) are untouched.
  virtual status drop_projection(std::string_view name, std::uint32_t format) = 0;

  /// Walks [from_seq, head]: decodes every record, checks seq continuity, each record's hash, the
  /// link to its predecessor, per-stream version continuity (when from_seq is 1) and recorded_at
  /// order. Stops at the first fault, or after `through_seq` (default: the head; a seq beyond
  /// the head is a fault, the records are missing). `progress` (optional) is called every ~64k
  /// records.
  virtual verify_report verify(std::uint64_t from_seq,
                               const std::function<void(std::uint64_t done)>& progress,
                               std::uint64_t through_seq = verify_to_head) = 0;

  /// Read-only mode: catches up with the primary's latest writes.
  virtual status refresh() = 0;

  virtual store_stats stats() const = 0;

  /// Approximate on-disk size of the live files, in bytes.
  virtual std::uint64_t disk_bytes() = 0;
};

/// Checks an append request against the limits without touching the store.
status validate_append(const append_request& request);

}  // namespace telepay::eventstore
