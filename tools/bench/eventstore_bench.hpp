#pragma once
// telepay-bench eventstore: raw RocksDB ceiling, durable appends by concurrency, replay speed.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace telepay::tools {

struct eventstore_bench_options {
  std::filesystem::path directory;
  bool keep = false;
  bool skip_raw = false;  // for profiling the store alone
  bool idempotency_keys = true;
  double seconds_per_step = 3.0;
  std::vector<std::size_t> appender_levels = {1, 8, 64, 512};
  /// Appends in flight per appender for the pipelined pass (1: closed loop only). Default: 16.
  std::size_t pipeline_depth = 16;
  std::uint64_t replay_events = 1'000'000;
};

struct appender_figure {
  std::size_t appenders = 0;
  std::size_t depth = 1;
  std::uint64_t events = 0;
  std::uint64_t failures = 0;
  double events_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t batches = 0;
  double stage_seconds = 0;        // writer thread busy
  double write_seconds = 0;        // commit thread in synced RocksDB writes
  double acknowledge_seconds = 0;  // commit thread running callbacks
};

struct eventstore_bench_result {
  std::size_t record_bytes = 0;
  std::vector<std::pair<std::size_t, double>> raw_batches;  // batch size -> records/s
  double raw_ceiling_records_per_second = 0;
  std::vector<appender_figure> appends;
  std::uint64_t batches_committed = 0;
  std::uint64_t replay_events = 0;
  std::uint64_t replay_payload_bytes = 0;
  double replay_events_per_second = 0;
  double verify_events_per_second = 0;
  std::uint64_t disk_bytes = 0;
  std::string error;  // empty on success
};

eventstore_bench_result run_eventstore_bench(const eventstore_bench_options& options);

}  // namespace telepay::tools
