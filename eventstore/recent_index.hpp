#pragma once
/// The in-memory part of the stream and idempotency indexes: entries for durable records that
/// are not yet in RocksDB. Index entries are derived data, so they are not written in the commit
/// batch (random-key memtable inserts cost several times a log record, measured): the commit
/// thread adds each durable batch's entries here, and the indexer thread periodically writes a
/// frozen generation as sorted SST files ingested into the `streams` and `idempotency` column
/// families, then records the seq they cover (`meta/indexed_through`). After a crash the
/// in-memory part is rebuilt from the log after that seq.
///
/// Thread safety: all members are safe to call concurrently (a shared mutex inside).
/// Readers must consult this index before RocksDB: entries leave memory only after they are
/// ingested, so memory-then-RocksDB never misses an entry.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "domain/base/bytes.hpp"

namespace telepay::eventstore::detail {

/// Consecutive events of one stream from one append (consecutive seqs and versions).
struct stream_run {
  std::uint64_t first_version = 0;
  std::uint64_t first_seq = 0;
  std::uint32_t count = 0;

  std::uint64_t last_version() const { return first_version + count - 1; }
  std::uint64_t last_seq() const { return first_seq + count - 1; }
};

/// What an idempotency key stands for.
struct key_entry {
  std::uint64_t first_seq = 0;
  std::uint32_t count = 0;
  std::uint64_t first_version = 0;
  hash256 digest{};
};

/// The index entries of one append.
struct index_entry {
  std::string stream;
  stream_run run;
  std::string idempotency_key;  // empty: none
  key_entry key;
};

/// One generation of entries: everything for seqs in [first_seq, last_seq].
struct index_generation {
  absl::flat_hash_map<std::string, std::vector<stream_run>> streams;
  /// Idempotency keys, only for the indexer: lookups go to the writer's own table (see
  /// rocks_store::unindexed_keys_), so none are needed here.
  std::vector<std::pair<std::string, key_entry>> keys;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::size_t runs = 0;
};

class recent_index {
 public:
  /// Sizes each generation's tables for `runs` entries up front, so the commit thread never
  /// rehashes a large table while readers wait on the lock. Default: no reservation.
  void reserve(std::size_t runs);

  /// Adds the entries of durable appends. REQUIRES: seqs increase across calls.
  void add(std::vector<index_entry>& entries);

  /// Runs of `stream` held in memory (active and frozen generations), ordered by version.
  std::vector<stream_run> runs(const std::string& stream) const;
  /// The last run of `stream` in memory, if any.
  std::optional<stream_run> last_run(const std::string& stream) const;

  /// Runs in the active generation (what a flush would write).
  std::size_t active_runs() const;

  /// Moves the active generation to the frozen slot and returns it for writing to RocksDB. If a
  /// frozen generation is still held (its write failed), returns that one again.
  std::shared_ptr<const index_generation> freeze();
  /// Drops the frozen generation once it is in RocksDB.
  void release_frozen();

 private:
  mutable std::shared_mutex mutex_;
  index_generation active_;
  std::shared_ptr<const index_generation> frozen_;
  std::size_t reserve_runs_ = 0;
};

}  // namespace telepay::eventstore::detail
