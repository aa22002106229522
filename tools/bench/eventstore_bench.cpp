// telepay-bench eventstore: in one run on one disk,
//   (a) the raw RocksDB ceiling: synced WriteBatches of records the size of ours;
//   (b) durable appends through the event store with 1, 8, 64 and 512 concurrent appenders
//       (closed loop: each appender issues its next append when the previous is acknowledged);
//   (c) full-log replay (decode every record) and verify (decode, hash, link) speed.

#include "tools/bench/eventstore_bench.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "eventstore/event_store.hpp"
#include "eventstore/record.hpp"
#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

using clock_type = std::chrono::steady_clock;

/// A wallet-credit-like payload of realistic size (~170 bytes of canonical JSON).
std::string sample_payload(std::uint64_t n) {
  return R"({"amount":"1)" + std::to_string(n % 1000) +
         R"(.250000000000000000","asset":"USDT","counterparty":"wallet-sys:platform-USDT","reason":"purchase","transfer_id":"tr-)" +
         std::to_string(n) + R"("})";
}

std::size_t typical_record_bytes() {
  eventstore::record_fields fields;
  fields.seq = 1;
  fields.version = 1;
  fields.recorded_at_us = 1;
  fields.schema_version = 1;
  const std::string payload = sample_payload(123456);
  fields.stream = "wallet-1000001-USDT";
  fields.type = "wallet.credited";
  fields.idempotency_key = "bench-64-100001-1000001";
  fields.payload = payload;
  return eventstore::encoded_record_bytes(fields);
}

struct raw_figure {
  std::size_t batch = 0;
  double records_per_second = 0;
};

/// Synced WriteBatches of `batch` records of `record_bytes` each, for `seconds`.
raw_figure measure_raw(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, std::size_t batch,
                       std::size_t record_bytes, double seconds, std::uint64_t& next_key) {
  std::mt19937_64 random(42);
  std::string value(record_bytes, '\0');
  for (auto& c : value) {
    c = static_cast<char>(random() % 64 + 32);  // compressible like JSON, not trivially so
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  std::uint64_t records = 0;
  const auto start = clock_type::now();
  while (seconds_since(start) < seconds) {
    rocksdb::WriteBatch wb;
    for (std::size_t i = 0; i < batch; ++i) {
      const std::string key = be64_key(next_key++);
      value[0] = static_cast<char>(next_key);  // every value differs
      wb.Put(cf, key, value);
    }
    const rocksdb::Status s = db.Write(write, &wb);
    if (!s.ok()) {
      std::fprintf(stderr, "raw write failed: %s\n", s.ToString().c_str());
      break;
    }
    records += batch;
  }
  return raw_figure{batch, static_cast<double>(records) / seconds_since(start)};
}

std::vector<raw_figure> run_raw(const std::filesystem::path& dir, std::size_t record_bytes,
                                double seconds) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 128ull << 20;  // as the store's log column family
  cf_options.max_write_buffer_number = 4;
  cf_options.level_compaction_dynamic_level_bytes = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options}, {"log", cf_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, dir.string(), descriptors, &handles, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot open raw db: %s\n", s.ToString().c_str());
    return {};
  }
  std::vector<raw_figure> out;
  std::uint64_t next_key = 1;
  for (std::size_t batch : {std::size_t{1}, std::size_t{64}, std::size_t{512}, std::size_t{1000}}) {
    std::fprintf(stderr, "raw: synced batches of %zu...\n", batch);
    out.push_back(measure_raw(*db, handles[1], batch, record_bytes, seconds, next_key));
  }
  for (auto* h : handles) {
    db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db->Close().PermitUncheckedError();
  delete db;
  return out;
}

/// Closed-loop appenders driven by one client thread; acknowledgements come back on the store's
/// commit thread and are handed to the driver through a queue.
struct append_driver {
  struct completion {
    std::size_t appender;
    clock_type::time_point issued;
    bool ok;
    std::string error;
  };

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<completion> done;
};

/// `depth` appends in flight per appender: 1 is a strict closed loop; more is what an entity
/// actor does when it pipelines (decides its next command while earlier appends await fsync).
appender_figure run_appenders(eventstore::event_store& store, std::size_t appenders,
                              std::size_t depth, double seconds, bool idempotency_keys,
                              std::uint64_t& payload_counter) {
  append_driver driver;
  std::vector<std::uint64_t> versions(appenders, 0);
  const std::string prefix =
      "bench" + std::to_string(appenders) + "x" + std::to_string(depth) + "-";
  std::vector<std::uint32_t> latencies;
  latencies.reserve(1 << 20);
  std::uint64_t events = 0;
  std::uint64_t failures = 0;
  std::string first_error;

  const auto issue = [&](std::size_t i) {
    eventstore::append_request request;
    request.stream = "wallet-" + prefix + std::to_string(i) + "-USDT";
    // Optimistic: the appender's earlier appends are still in flight and will succeed in order.
    request.expected = eventstore::expected_version::exactly(versions[i]++);
    const std::uint64_t n = ++payload_counter;
    request.events.push_back(eventstore::new_event{"wallet.credited", 1, sample_payload(n)});
    if (idempotency_keys) {
      request.idempotency_key = "bench-" + std::to_string(n);
    }
    const auto issued = clock_type::now();
    store.append_async(std::move(request), [&driver, i, issued](result<eventstore::append_result> r) {
      append_driver::completion c{i, issued, r.has_value(), r.has_value() ? "" : r.error().message};
      {
        std::lock_guard lock(driver.mutex);
        driver.done.push_back(std::move(c));
      }
      driver.cv.notify_one();
    });
  };

  const auto start = clock_type::now();
  for (std::size_t d = 0; d < depth; ++d) {
    for (std::size_t i = 0; i < appenders; ++i) {
      issue(i);
    }
  }
  std::size_t in_flight = appenders * depth;
  bool issuing = true;
  std::deque<append_driver::completion> batch;
  while (in_flight > 0) {
    {
      std::unique_lock lock(driver.mutex);
      driver.cv.wait(lock, [&] { return !driver.done.empty(); });
      batch.swap(driver.done);
    }
    const auto now = clock_type::now();
    if (issuing && std::chrono::duration<double>(now - start).count() >= seconds) {
      issuing = false;
    }
    for (auto& c : batch) {
      --in_flight;
      if (c.ok) {
        latencies.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.issued).count()));
        ++events;
      } else {
        ++failures;
        if (first_error.empty()) {
          first_error = c.error;
        }
      }
      if (issuing && c.ok) {
        issue(c.appender);
        ++in_flight;
      }
    }
    batch.clear();
  }
  const double elapsed = seconds_since(start);
  appender_figure out;
  out.appenders = appenders;
  out.depth = depth;
  out.events = events;
  out.failures = failures;
  out.events_per_second = static_cast<double>(events) / elapsed;
  const latency_summary summary = summarize(latencies);
  out.p50_us = summary.p50_us;
  out.p99_us = summary.p99_us;
  if (failures > 0) {
    std::fprintf(stderr, "appenders=%zu: %llu failed appends, first: %s\n", appenders,
                 static_cast<unsigned long long>(failures), first_error.c_str());
  }
  return out;
}

/// Tops the log up to `target` events with large appends so replay has a meaningful size.
void fill_log(eventstore::event_store& store, std::uint64_t target, std::uint64_t& payload_counter) {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t in_flight = 0;
  std::uint64_t filler = 0;
  while (store.head_seq() < target) {
    eventstore::append_request request;
    request.stream = "fill-" + std::to_string(filler++ % 10000);
    for (int i = 0; i < 1000; ++i) {
      request.events.push_back(
          eventstore::new_event{"wallet.credited", 1, sample_payload(++payload_counter)});
    }
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return in_flight < 8; });
      ++in_flight;
    }
    store.append_async(std::move(request), [&](result<eventstore::append_result>) {
      std::lock_guard lock(mutex);
      --in_flight;
      cv.notify_one();
    });
    if (filler % 100 == 0) {
      std::fprintf(stderr, "\rfilling the log for replay: %llu/%llu events",
                   static_cast<unsigned long long>(store.head_seq()),
                   static_cast<unsigned long long>(target));
    }
  }
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return in_flight == 0; });
  std::fprintf(stderr, "\n");
}

}  // namespace

eventstore_bench_result run_eventstore_bench(const eventstore_bench_options& options) {
  eventstore_bench_result out;
  std::filesystem::create_directories(options.directory);
  const auto raw_dir = options.directory / "raw";
  const auto store_dir = options.directory / "eventlog";
  std::filesystem::remove_all(raw_dir);
  std::filesystem::remove_all(store_dir);

  out.record_bytes = typical_record_bytes();
  const auto raw = options.skip_raw
                       ? std::vector<raw_figure>{}
                       : run_raw(raw_dir, out.record_bytes, options.seconds_per_step);
  for (const auto& figure : raw) {
    out.raw_ceiling_records_per_second =
        std::max(out.raw_ceiling_records_per_second, figure.records_per_second);
    out.raw_batches.emplace_back(figure.batch, figure.records_per_second);
  }
  std::filesystem::remove_all(raw_dir);

  std::uint64_t payload_counter = 0;
  {
    eventstore::open_options open;
    open.directory = store_dir;
    auto store = eventstore::event_store::open(open);
    if (!store) {
      out.error = store.error().message;
      return out;
    }
    std::vector<std::pair<std::size_t, std::size_t>> steps;  // (appenders, in flight each)
    for (std::size_t appenders : options.appender_levels) {
      steps.emplace_back(appenders, 1);
    }
    if (options.pipeline_depth > 1) {
      for (std::size_t appenders : options.appender_levels) {
        steps.emplace_back(appenders, options.pipeline_depth);
      }
    }
    for (const auto& [appenders, depth] : steps) {
      std::fprintf(stderr, "event store: %zu concurrent appenders, %zu in flight each...\n",
                   appenders, depth);
      const auto before = (*store)->stats();
      out.appends.push_back(run_appenders(**store, appenders, depth, options.seconds_per_step,
                                          options.idempotency_keys, payload_counter));
      const auto after = (*store)->stats();
      auto& figure = out.appends.back();
      figure.batches = after.batches_committed - before.batches_committed;
      figure.stage_seconds = static_cast<double>(after.stage_ns - before.stage_ns) * 1e-9;
      figure.write_seconds = static_cast<double>(after.write_ns - before.write_ns) * 1e-9;
      figure.acknowledge_seconds =
          static_cast<double>(after.acknowledge_ns - before.acknowledge_ns) * 1e-9;
    }
    const auto stats = (*store)->stats();
    out.batches_committed = stats.batches_committed;
    fill_log(**store, options.replay_events, payload_counter);
  }

  eventstore::open_options reopen;
  reopen.directory = store_dir;
  reopen.verify_tail_records = 0;
  auto store = eventstore::event_store::open(reopen);
  if (!store) {
    out.error = store.error().message;
    return out;
  }
  const std::uint64_t head = (*store)->head_seq();
  std::fprintf(stderr, "replay: %llu events...\n", static_cast<unsigned long long>(head));
  std::uint64_t replayed = 0;
  std::uint64_t payload_bytes = 0;
  auto start = clock_type::now();
  auto walked = (*store)->for_each(1, head, [&](const eventstore::record_view& record) {
    ++replayed;
    payload_bytes += record.payload.size();
    return true;
  });
  const double replay_seconds = seconds_since(start);
  if (!walked) {
    out.error = walked.error().message;
  }
  out.replay_events = replayed;
  out.replay_events_per_second = static_cast<double>(replayed) / replay_seconds;

  std::fprintf(stderr, "verify: %llu events...\n", static_cast<unsigned long long>(head));
  start = clock_type::now();
  const auto report = (*store)->verify(1, {});
  out.verify_events_per_second = static_cast<double>(report.records) / seconds_since(start);
  if (report.fault) {
    out.error = "verify failed at seq " + std::to_string(report.fault->seq);
  }
  out.replay_payload_bytes = payload_bytes;
  out.disk_bytes = (*store)->disk_bytes();
  store->reset();
  if (!options.keep) {
    std::filesystem::remove_all(store_dir);
  }
  return out;
}

}  // namespace telepay::tools
