// telepay-bench: whole-system benchmarks (not tests). Each subcommand measures in one run and
// prints a table, or one JSON object with --json. Build Release for meaningful figures.
//
//   telepay-bench eventstore [--db DIR] [--keep] [--json] [--seconds S] [--replay-events N]

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

#include "domain/base/json.hpp"

#include "tools/bench/eventstore_bench.hpp"

namespace telepay::tools {
namespace {

std::string machine_description() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ", " + std::to_string(std::thread::hardware_concurrency()) + " cpus";
}

std::string fixed(double value, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

void print_eventstore_json(const eventstore_bench_result& r) {
  std::string out = "{\"bench\":\"eventstore\",\"record_bytes\":" + std::to_string(r.record_bytes);
  out += ",\"raw\":[";
  for (std::size_t i = 0; i < r.raw_batches.size(); ++i) {
    out += i ? "," : "";
    out += "{\"batch\":" + std::to_string(r.raw_batches[i].first) +
           ",\"records_per_second\":" + fixed(r.raw_batches[i].second) + "}";
  }
  out += "],\"raw_ceiling_records_per_second\":" + fixed(r.raw_ceiling_records_per_second);
  out += ",\"appends\":[";
  for (std::size_t i = 0; i < r.appends.size(); ++i) {
    const auto& a = r.appends[i];
    out += i ? "," : "";
    out += "{\"appenders\":" + std::to_string(a.appenders) +
           ",\"in_flight_per_appender\":" + std::to_string(a.depth) +
           ",\"events\":" + std::to_string(a.events) +
           ",\"failures\":" + std::to_string(a.failures) +
           ",\"events_per_second\":" + fixed(a.events_per_second) +
           ",\"ratio_to_ceiling\":" +
           fixed(a.events_per_second / std::max(1.0, r.raw_ceiling_records_per_second), 3) +
           ",\"p50_us\":" + fixed(a.p50_us) + ",\"p99_us\":" + fixed(a.p99_us) +
           ",\"batches\":" + std::to_string(a.batches) +
           ",\"stage_seconds\":" + fixed(a.stage_seconds, 3) +
           ",\"write_seconds\":" + fixed(a.write_seconds, 3) +
           ",\"acknowledge_seconds\":" + fixed(a.acknowledge_seconds, 3) + "}";
  }
  out += "],\"batches_committed\":" + std::to_string(r.batches_committed);
  out += ",\"replay_events\":" + std::to_string(r.replay_events);
  out += ",\"replay_events_per_second\":" + fixed(r.replay_events_per_second);
  out += ",\"verify_events_per_second\":" + fixed(r.verify_events_per_second);
  out += ",\"disk_bytes\":" + std::to_string(r.disk_bytes);
  out += ",\"machine\":\"" + machine_description() + "\"";
  out += ",\"error\":";
  telepay::append_json_string(out, r.error);
  out += "}";
  std::printf("%s\n", out.c_str());
}

void print_eventstore_table(const eventstore_bench_result& r) {
  std::printf("machine: %s; record size %zu bytes\n\n", machine_description().c_str(),
              r.record_bytes);
  std::printf("(a) raw RocksDB, synced WriteBatch, one Put per record\n");
  std::printf("  %-12s %16s\n", "batch", "records/s");
  for (const auto& [batch, rate] : r.raw_batches) {
    std::printf("  %-12zu %16s\n", batch, fixed(rate).c_str());
  }
  std::printf("  ceiling: %s records/s\n\n", fixed(r.raw_ceiling_records_per_second).c_str());
  std::printf("(b) event store durable appends (1 event per append, idempotency key, exact "
              "expected version)\n");
  std::printf("  %-10s %9s %12s %9s %9s %9s %10s %9s %9s %9s\n", "appenders", "in-flight",
              "events/s", "ceiling%", "p50 us", "p99 us", "ev/batch", "stage s", "write s",
              "ack s");
  for (const auto& a : r.appends) {
    std::printf(
        "  %-10zu %9zu %12s %8s%% %9s %9s %10s %9s %9s %9s\n", a.appenders, a.depth,
        fixed(a.events_per_second).c_str(),
        fixed(100.0 * a.events_per_second / std::max(1.0, r.raw_ceiling_records_per_second), 1)
            .c_str(),
        fixed(a.p50_us).c_str(), fixed(a.p99_us).c_str(),
        fixed(a.batches ? static_cast<double>(a.events) / static_cast<double>(a.batches) : 0, 1)
            .c_str(),
        fixed(a.stage_seconds, 2).c_str(), fixed(a.write_seconds, 2).c_str(),
        fixed(a.acknowledge_seconds, 2).c_str());
  }
  std::printf("\n(c) replay %llu events: %s events/s (decode); verify: %s events/s (decode + "
              "SHA-256 + links)\n",
              static_cast<unsigned long long>(r.replay_events),
              fixed(r.replay_events_per_second).c_str(), fixed(r.verify_events_per_second).c_str());
  if (!r.error.empty()) {
    std::printf("\nERROR: %s\n", r.error.c_str());
  }
}

}  // namespace
}  // namespace telepay::tools

int main(int argc, char** argv) {
  CLI::App app{"telepay-bench: whole-system benchmarks"};
  app.require_subcommand(1);
  telepay::tools::eventstore_bench_options options;
  std::string db = "./bench-data";
  bool json = false;
  auto* eventstore = app.add_subcommand("eventstore", "raw RocksDB ceiling, durable appends, replay");
  eventstore->add_option("--db", db, "directory for the benchmark logs (default ./bench-data)");
  eventstore->add_flag("--keep", options.keep, "leave the generated event log in place");
  eventstore->add_flag("--json", json, "print one JSON object");
  bool no_keys = false;
  eventstore->add_flag("--no-idempotency-keys", no_keys,
                       "appends without idempotency keys (shows what the key index costs)");
  eventstore->add_flag("--skip-raw", options.skip_raw, "skip (a), for profiling the store alone");
  eventstore->add_option("--seconds", options.seconds_per_step, "seconds per measurement (default 3)")
      ->check(CLI::Range(0.1, 600.0));
  eventstore->add_option("--replay-events", options.replay_events,
                         "minimum log size for the replay measurement (default 1000000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  eventstore->add_option("--pipeline", options.pipeline_depth,
                         "appends in flight per appender in the pipelined pass (default 16; "
                         "1 runs only the closed loop)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  eventstore->add_option("--appenders", options.appender_levels,
                         "concurrency levels (default 1 8 64 512)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65536}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.directory = db;
  options.idempotency_keys = !no_keys;
  const auto result = telepay::tools::run_eventstore_bench(options);
  if (json) {
    telepay::tools::print_eventstore_json(result);
  } else {
    telepay::tools::print_eventstore_table(result);
  }
  return result.error.empty() ? 0 : 1;
}
