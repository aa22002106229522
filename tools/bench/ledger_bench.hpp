#pragma once
// telepay-bench ledger: end-to-end durable transfers through the real ledger (facade -> transfer
// process -> wallet actors -> event store -> reply), and the PostgreSQL design it replaces,
// driven with the same mixes in the same run.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace telepay::tools {

struct ledger_bench_options {
  std::filesystem::path directory;
  std::vector<std::size_t> user_counts = {10'000, 100'000, 1'000'000};
  std::vector<std::string> mixes = {"uniform", "hot"};
  double seconds = 5.0;
  /// Transfers kept in flight by the driver. Default: 1024.
  std::size_t in_flight = 1024;
  /// CAF scheduler policy ("sharing" or "stealing"). Default: sharing (as telepayd).
  std::string scheduler_policy = "sharing";
  /// Live wallet actors at most (over all registry shards). Default: 200000.
  std::size_t live_max = 200'000;
  bool postgres = true;
  std::vector<std::size_t> postgres_clients = {8, 32};
  bool keep = false;
};

struct ledger_figure {
  std::size_t users = 0;
  std::string mix;
  std::uint64_t transfers = 0;
  std::uint64_t failures = 0;
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  double seed_seconds = 0;
  std::uint64_t live_actors = 0;
  std::uint64_t passivated = 0;
  std::uint64_t rss_kb = 0;
  /// The longest time the projections (following the log beside the run) were behind.
  double projection_lag_seconds = 0;
  std::uint64_t projection_lag_events = 0;
};

struct postgres_figure {
  std::size_t users = 0;
  std::string mix;
  std::size_t clients = 0;
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t transactions = 0;
  std::uint64_t failed = 0;
};

struct ledger_bench_result {
  std::vector<ledger_figure> ledger;
  std::vector<postgres_figure> postgres;
  std::uint64_t peak_rss_kb = 0;
  std::string postgres_note;  // why the baseline did not run, if it did not
  std::string error;
};

ledger_bench_result run_ledger_bench(const ledger_bench_options& options);

}  // namespace telepay::tools
