#include "eventstore/event_store.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <future>
#include <mutex>

#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include "domain/base/json.hpp"
#include "domain/base/limits.hpp"
#include "eventstore/keys.hpp"
#include "eventstore/rocks_store.hpp"

namespace telepay::eventstore {
namespace {

status check_token(std::string_view value, std::size_t min_bytes, std::size_t max_bytes,
                   errc code, std::string_view what) {
  if (value.size() < min_bytes || value.size() > max_bytes) {
    return make_error(code, std::string(what) + " must be " + std::to_string(min_bytes) + ".." +
                                std::to_string(max_bytes) + " bytes, got " +
                                std::to_string(value.size()));
  }
  if (!is_printable_ascii_token(value)) {
    return make_error(code, std::string(what) +
                                " must be printable ASCII without spaces or control characters");
  }
  return {};
}

}  // namespace

namespace detail {
namespace {

/// RocksDB's own diagnostics, warnings and worse, as lines on stderr (the operator's log);
/// nothing is written to a LOG file under the data directory. A LOG file on the data disk is
/// written by a file writer that, in Debian's build (assertions on), aborts the process when
/// it is written again after a failed write: on a full disk, logging the failed WAL write
/// stopped the process instead of latching "write failed" (ProcessAttention test).
class stderr_logger final : public rocksdb::Logger {
 public:
  stderr_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    const int written = std::vsnprintf(line, sizeof line, format, ap);
    if (written < 0) return;
    std::size_t n = std::min(static_cast<std::size_t>(written), sizeof line - 1);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) --n;
    std::lock_guard lock(mutex_);
    std::fprintf(stderr, "rocksdb: %.*s\n", static_cast<int>(n), line);
  }
#pragma GCC diagnostic pop

 private:
  std::mutex mutex_;
};

}  // namespace

rocksdb::ColumnFamilyOptions column_family_options(std::string_view name) {
  rocksdb::ColumnFamilyOptions options;
  options.level_compaction_dynamic_level_bytes = true;
  if (name == keys::cf_log) {
    // The log takes every record: a larger memtable means fewer flushes under load.
    options.write_buffer_size = 128ull << 20;
    options.max_write_buffer_number = 4;
  }
  if (name == keys::cf_idempotency) {
    // Point lookups that mostly miss (every new key): bloom filters answer them from memory.
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return options;
}

rocksdb::DBOptions db_options(open_mode mode) {
  rocksdb::DBOptions options;
  static const auto logger = std::make_shared<stderr_logger>();
  options.info_log = logger;
  options.IncreaseParallelism(2);
  options.create_if_missing = mode == open_mode::read_write;
  options.create_missing_column_families = mode == open_mode::read_write;
  options.keep_log_file_num = 4;
  options.bytes_per_sync = 1 << 20;
  if (mode == open_mode::read_only) {
    options.max_open_files = -1;  // required by secondary instances
  }
  return options;
}

}  // namespace detail

namespace {

const std::vector<std::string>& column_family_names() {
  static const std::vector<std::string> names = {
      rocksdb::kDefaultColumnFamilyName, std::string(keys::cf_log),
      std::string(keys::cf_streams),     std::string(keys::cf_idempotency),
      std::string(keys::cf_snapshots),   std::string(keys::cf_meta),
      std::string(keys::cf_projections)};
  return names;
}

result<std::string> make_secondary_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "telepay-secondary-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return make_error(errc::storage_failed, "cannot create a temporary directory for the "
                                            "read-only (secondary) RocksDB instance");
  }
  return pattern;
}

}  // namespace

std::uint64_t expected_version::version() const {
  LEDGER_ASSERT(kind_ == kind::exact, "version() of expected_version::any()");
  return version_;
}

status validate_append(const append_request& request) {
  if (auto s = check_token(request.stream, 1, limits::stream_name_bytes_max,
                           errc::stream_name_invalid, "stream name");
      !s) {
    return s;
  }
  if (request.events.empty()) {
    return make_error(errc::events_must_not_be_empty, "an append needs at least one event");
  }
  if (request.events.size() > limits::append_events_max) {
    return make_error(errc::too_many_events,
                      "an append holds at most " + std::to_string(limits::append_events_max) +
                          " events, got " + std::to_string(request.events.size()));
  }
  if (auto s = check_token(request.idempotency_key, 0, limits::idempotency_key_bytes_max,
                           errc::idempotency_key_invalid, "idempotency key");
      !s) {
    return s;
  }
  if (auto s = check_token(request.correlation_id, 0, limits::metadata_id_bytes_max,
                           errc::metadata_invalid, "correlation id");
      !s) {
    return s;
  }
  if (auto s = check_token(request.causation_id, 0, limits::metadata_id_bytes_max,
                           errc::metadata_invalid, "causation id");
      !s) {
    return s;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    const new_event& event = request.events[i];
    if (auto s = check_token(event.type, 1, limits::event_type_bytes_max, errc::event_type_invalid,
                             "event type");
        !s) {
      return make_error(s.code(), "event " + std::to_string(i) + ": " + s.error().message);
    }
    if (event.schema_version == 0) {
      return make_error(errc::event_type_invalid,
                        "event " + std::to_string(i) + ": schema version must be >= 1");
    }
    if (event.payload.size() > limits::event_payload_bytes_max) {
      return make_error(errc::payload_too_large,
                        "event " + std::to_string(i) + ": payload is " +
                            std::to_string(event.payload.size()) + " bytes, the limit is " +
                            std::to_string(limits::event_payload_bytes_max));
    }
    total += event.payload.size();
  }
  if (total > limits::append_bytes_max) {
    return make_error(errc::payload_too_large,
                      "an append carries at most " + std::to_string(limits::append_bytes_max) +
                          " payload bytes, got " + std::to_string(total));
  }
  return {};
}

result<append_result> event_store::append(append_request request) {
  std::promise<result<append_result>> promise;
  auto future = promise.get_future();
  append_async(std::move(request),
               [&promise](result<append_result> outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

result<append_result> event_store::append(std::string stream, expected_version expected,
                                          std::vector<new_event> events,
                                          std::string idempotency_key) {
  append_request request;
  request.stream = std::move(stream);
  request.expected = expected;
  request.events = std::move(events);
  request.idempotency_key = std::move(idempotency_key);
  return append(std::move(request));
}

result<std::unique_ptr<event_store>> event_store::open(const open_options& options) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : column_family_names()) {
    descriptors.emplace_back(name, detail::column_family_options(name));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  std::string secondary_dir;
  rocksdb::Status s;
  if (options.mode == open_mode::read_write) {
    std::error_code ec;
    std::filesystem::create_directories(options.directory, ec);
    if (ec) {
      return make_error(errc::storage_failed, "cannot create " + options.directory.string() +
                                                  ": " + ec.message());
    }
    s = rocksdb::DB::Open(detail::db_options(options.mode), options.directory.string(), descriptors,
                          &handles, &db);
  } else {
    // The error_code overload: a directory without search permission must be an answer, not
    // a filesystem_error thrown through the caller (telepay-audit opens whatever --db names).
    std::error_code ec;
    const bool found = std::filesystem::exists(options.directory / "CURRENT", ec);
    if (ec) {
      return make_error(errc::storage_failed,
                        "cannot read " + options.directory.string() + ": " + ec.message());
    }
    if (!found) {
      return make_error(errc::not_found,
                        "no event log at " + options.directory.string() + " (no CURRENT file)");
    }
    auto dir = make_secondary_dir();
    if (!dir) {
      return dir.error();
    }
    secondary_dir = *dir;
    s = rocksdb::DB::OpenAsSecondary(detail::db_options(options.mode), options.directory.string(),
                                     secondary_dir, descriptors, &handles, &db);
    if (s.ok()) {
      s = db->TryCatchUpWithPrimary();
    }
  }
  if (!s.ok()) {
    if (!secondary_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(secondary_dir, ignored);
    }
    return make_error(errc::storage_failed,
                      "cannot open event log at " + options.directory.string() + ": " +
                          s.ToString());
  }
  auto store = std::make_unique<detail::rocks_store>(options, db, std::move(handles),
                                                     std::move(secondary_dir));
  if (auto started = store->start(); !started) {
    return started.error();
  }
  return std::unique_ptr<event_store>(std::move(store));
}

}  // namespace telepay::eventstore
