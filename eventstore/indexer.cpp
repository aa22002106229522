// The indexer: rebuilds the in-memory index from the log on open, and writes frozen index
// generations to RocksDB as sorted SST files ingested atomically into `streams` and
// `idempotency`, then advances meta/indexed_through. Index entries are derived from the log, so
// nothing here needs the WAL: a crash at any point is repaired by re-indexing from the
// checkpoint, and re-ingesting an entry writes the same key and value again.

#include <algorithm>
#include <filesystem>

#include <rocksdb/sst_file_writer.h>

#include "eventstore/keys.hpp"
#include "eventstore/rocks_store.hpp"
#include "eventstore/sha256.hpp"

namespace telepay::eventstore::detail {
namespace {

/// Rebuilds one append's idempotency digest from its records (the same bytes append_async
/// hashed from the request: see request_digest in writer.cpp).
class digest_builder {
 public:
  void add(const record_view& record) {
    std::string header;
    put_be16(header, static_cast<std::uint16_t>(record.type.size()));
    header.append(record.type);
    put_be16(header, record.schema_version);
    put_be32(header, static_cast<std::uint32_t>(record.payload.size()));
    events_.append(header);
    events_.append(record.payload);
    ++count_;
  }
  hash256 finish(std::string_view stream) {
    std::string header;
    put_be16(header, static_cast<std::uint16_t>(stream.size()));
    header.append(stream);
    put_be32(header, count_);
    sha256_hasher& hasher = thread_hasher();
    hasher.update(header);
    hasher.update(events_);
    events_.clear();
    count_ = 0;
    return hasher.finish();
  }

 private:
  std::string events_;
  std::uint32_t count_ = 0;
};

struct sorted_kv {
  std::string key;
  std::string value;
};

status write_sst(const std::filesystem::path& file, std::string_view cf_name,
                 std::vector<sorted_kv>& entries) {
  std::sort(entries.begin(), entries.end(),
            [](const sorted_kv& a, const sorted_kv& b) { return a.key < b.key; });
  const rocksdb::Options options(db_options(open_mode::read_write),
                                 column_family_options(cf_name));
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
  rocksdb::Status s = writer.Open(file.string());
  for (std::size_t i = 0; s.ok() && i < entries.size(); ++i) {
    // Equal keys can only be the same entry seen twice (a re-indexed overlap): write it once.
    if (i > 0 && entries[i].key == entries[i - 1].key) {
      continue;
    }
    s = writer.Put(entries[i].key, entries[i].value);
  }
  if (s.ok()) {
    s = writer.Finish();
  }
  if (!s.ok()) {
    return make_error(errc::storage_failed,
                      "cannot write index file " + file.string() + ": " + s.ToString());
  }
  return {};
}

}  // namespace

status rocks_store::rebuild_index(std::uint64_t from_seq, std::uint64_t to_seq) {
  if (from_seq > to_seq) {
    return {};
  }
  std::vector<index_entry> entries;
  digest_builder digest;
  index_entry current;
  const auto finish_current = [&] {
    if (current.run.count == 0) {
      return;
    }
    if (!current.idempotency_key.empty()) {
      current.key = key_entry{current.run.first_seq, current.run.count, current.run.first_version,
                              digest.finish(current.stream)};
    }
    entries.push_back(std::move(current));
    current = index_entry{};
  };
  auto walked = for_each(from_seq, to_seq, [&](const record_view& record) {
    // The records of one keyed append are consecutive and share stream and key; keyless
    // records each start a run (recent_index merges contiguous runs).
    const bool continues = current.run.count > 0 && !record.idempotency_key.empty() &&
                           record.idempotency_key == current.idempotency_key &&
                           record.stream == current.stream &&
                           record.version == current.run.last_version() + 1;
    if (!continues) {
      finish_current();
      current.stream = record.stream;
      current.idempotency_key = record.idempotency_key;
      current.run = stream_run{record.version, record.seq, 0};
    }
    current.run.count += 1;
    if (!current.idempotency_key.empty()) {
      digest.add(record);
    }
    if (entries.size() >= 65536) {
      add_rebuilt(entries);
    }
    return true;
  });
  if (!walked) {
    return make_error(walked.code(), "cannot rebuild the index: " + walked.error().message);
  }
  finish_current();
  add_rebuilt(entries);
  return {};
}

void rocks_store::add_rebuilt(std::vector<index_entry>& entries) {
  if (options_.mode == open_mode::read_write) {
    // Runs before the writer thread starts: seed its table of keys not yet in RocksDB.
    for (const index_entry& entry : entries) {
      if (entry.idempotency_key.empty()) {
        continue;
      }
      append_result result;
      result.first_seq = entry.run.first_seq;
      result.last_seq = entry.run.last_seq();
      result.first_version = entry.run.first_version;
      result.last_version = entry.run.last_version();
      unindexed_keys_[entry.idempotency_key] = unindexed_key{entry.key.digest, result, 0};
      unindexed_key_order_.emplace_back(result.last_seq, entry.idempotency_key);
    }
  }
  recent_.add(entries);
  entries.clear();
}

status rocks_store::flush_index() {
  if (options_.mode != open_mode::read_write) {
    return {};
  }
  auto generation = recent_.freeze();
  if (generation->first_seq == 0) {
    recent_.release_frozen();
    return {};
  }
  std::vector<sorted_kv> stream_entries;
  stream_entries.reserve(generation->runs);
  for (const auto& [stream, runs] : generation->streams) {
    for (const stream_run& run : runs) {
      std::string value;
      put_be64(value, run.first_seq);
      put_be32(value, run.count);
      stream_entries.push_back({keys::stream_key(stream, run.first_version), std::move(value)});
    }
  }
  std::vector<sorted_kv> key_entries;
  key_entries.reserve(generation->keys.size());
  for (const auto& [key, entry] : generation->keys) {
    std::string value;
    put_be64(value, entry.first_seq);
    put_be32(value, entry.count);
    put_be64(value, entry.first_version);
    value.append(reinterpret_cast<const char*>(entry.digest.data()), entry.digest.size());
    key_entries.push_back({key, std::move(value)});
  }

  const auto dir = options_.directory / "ingest";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string stem = std::to_string(generation->last_seq) + "-" + std::to_string(++ingest_files_);
  std::vector<rocksdb::IngestExternalFileArg> args;
  const auto add_file = [&](std::vector<sorted_kv>& kvs, std::string_view cf_name,
                            rocksdb::ColumnFamilyHandle* handle) -> status {
    if (kvs.empty()) {
      return {};
    }
    const auto file = dir / (stem + "-" + std::string(cf_name) + ".sst");
    if (auto written = write_sst(file, cf_name, kvs); !written) {
      return written;
    }
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = handle;
    arg.external_files = {file.string()};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
    return {};
  };
  status prepared = add_file(stream_entries, keys::cf_streams, cf_streams_);
  if (prepared) {
    prepared = add_file(key_entries, keys::cf_idempotency, cf_idempotency_);
  }
  rocksdb::Status s;
  if (prepared && !args.empty()) {
    // Both column families at once: a crash leaves either both files ingested or neither.
    s = db_->IngestExternalFiles(args);
  }
  if (prepared && s.ok()) {
    rocksdb::WriteOptions write;
    write.sync = true;
    s = db_->Put(write, cf_meta_, keys::meta_indexed_through_key, be64_key(generation->last_seq));
  }
  std::filesystem::remove_all(dir, ec);
  std::lock_guard lock(index_mutex_);
  if (!prepared || !s.ok()) {
    // Keep the frozen generation in memory (reads stay correct) and retry on the next flush.
    index_error_ = !prepared ? prepared.error().message : "index ingestion failed: " + s.ToString();
    return make_error(errc::storage_failed, index_error_);
  }
  index_error_.clear();
  recent_.release_frozen();
  indexed_through_.store(generation->last_seq);
  index_flushes_.fetch_add(1);
  return {};
}

void rocks_store::indexer_loop() {
  std::unique_lock lock(index_mutex_);
  while (true) {
    index_cv_.wait(lock, [&] { return index_flush_requested_ || index_stopping_; });
    if (index_stopping_) {
      return;
    }
    index_flush_requested_ = false;
    lock.unlock();
    flush_index().has_value();  // A failure is kept in index_error_ and retried next time.
    lock.lock();
  }
}

}  // namespace telepay::eventstore::detail
