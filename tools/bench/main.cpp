// telepay-bench: whole-system benchmarks (not tests). Each subcommand measures in one run and
// prints a table, or one JSON object with --json. Build Release for meaningful figures.
//
//   telepay-bench eventstore [--db DIR] [--keep] [--json] [--seconds S] [--replay-events N]
//   telepay-bench ledger [--db DIR] [--users N...] [--mix uniform|hot...] [--seconds S]
//                        [--in-flight N] [--live-max N] [--no-postgres] [--json]
//   telepay-bench projections [--db DIR] [--events N] [--json]
//   telepay-bench http [--db DIR] [--users N] [--seconds S] [--connections N] [--json]
//   telepay-bench ipn [--db DIR] [--orders N] [--connections N] [--duplicates N] [--json]
//   telepay-bench telegram [--db DIR] [--users N] [--updates N] [--connections N]
//                          [--outbox-seconds S] [--sim PATH] [--json]
//   telepay-bench chain [--addresses N] [--logs N] [--logs-per-reply N] [--hit-every N]
//                       [--signatures N] [--derivations N] [--json]

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <unistd.h>

#include "domain/base/json.hpp"

#include "tools/bench/chain_bench.hpp"
#include "tools/bench/eventstore_bench.hpp"
#include "tools/bench/ipn_bench.hpp"
#include "tools/bench/ledger_bench.hpp"
#include "tools/bench/telegram_bench.hpp"
#include "tools/bench/read_bench.hpp"

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

const postgres_figure* best_postgres(const ledger_bench_result& r, std::size_t users,
                                     const std::string& mix) {
  const postgres_figure* best = nullptr;
  for (const auto& p : r.postgres) {
    if (p.users == users && p.mix == mix && (best == nullptr || p.per_second > best->per_second)) {
      best = &p;
    }
  }
  return best;
}

void print_ledger_json(const ledger_bench_result& r) {
  std::string out = "{\"bench\":\"ledger\",\"machine\":";
  append_json_string(out, machine_description());
  out += ",\"ledger\":[";
  for (std::size_t i = 0; i < r.ledger.size(); ++i) {
    const auto& f = r.ledger[i];
    const auto* pg = best_postgres(r, f.users, f.mix);
    out += i ? "," : "";
    out += "{\"users\":" + std::to_string(f.users) + ",\"mix\":\"" + f.mix +
           "\",\"transfers\":" + std::to_string(f.transfers) +
           ",\"failures\":" + std::to_string(f.failures) +
           ",\"transfers_per_second\":" + fixed(f.per_second) + ",\"p50_us\":" + fixed(f.p50_us) +
           ",\"p99_us\":" + fixed(f.p99_us) + ",\"seed_seconds\":" + fixed(f.seed_seconds, 2) +
           ",\"live_actors\":" + std::to_string(f.live_actors) +
           ",\"passivated\":" + std::to_string(f.passivated) + ",\"rss_kb\":" + std::to_string(f.rss_kb) +
           ",\"projection_lag_seconds\":" + fixed(f.projection_lag_seconds, 3) +
           ",\"projection_lag_events\":" + std::to_string(f.projection_lag_events) +
           ",\"vs_postgres\":" + (pg && pg->per_second > 0 ? fixed(f.per_second / pg->per_second, 1) : "null") +
           "}";
  }
  out += "],\"postgres\":[";
  for (std::size_t i = 0; i < r.postgres.size(); ++i) {
    const auto& p = r.postgres[i];
    out += i ? "," : "";
    out += "{\"users\":" + std::to_string(p.users) + ",\"mix\":\"" + p.mix +
           "\",\"clients\":" + std::to_string(p.clients) + ",\"transfers_per_second\":" +
           fixed(p.per_second) + ",\"p50_us\":" + fixed(p.p50_us) + ",\"p99_us\":" + fixed(p.p99_us) +
           ",\"transactions\":" + std::to_string(p.transactions) +
           ",\"failed\":" + std::to_string(p.failed) + "}";
  }
  out += "],\"peak_rss_kb\":" + std::to_string(r.peak_rss_kb) + ",\"postgres_note\":";
  append_json_string(out, r.postgres_note);
  out += ",\"error\":";
  append_json_string(out, r.error);
  out += "}";
  std::printf("%s\n", out.c_str());
}

void print_ledger_table(const ledger_bench_result& r) {
  std::printf("machine: %s\n\n", machine_description().c_str());
  std::printf("telepay: durable transfers (hold -> credit -> post, each step durable)\n");
  std::printf("  %-9s %-8s %12s %10s %10s %9s %10s %10s %10s %9s %10s\n", "users", "mix", "transfers/s",
              "p50 us", "p99 us", "failed", "live", "passivated", "rss MB", "vs pg", "proj lag s");
  for (const auto& f : r.ledger) {
    const auto* pg = best_postgres(r, f.users, f.mix);
    std::printf("  %-9zu %-8s %12s %10s %10s %9llu %10llu %10llu %10s %9s %10s\n", f.users, f.mix.c_str(),
                fixed(f.per_second).c_str(), fixed(f.p50_us).c_str(), fixed(f.p99_us).c_str(),
                static_cast<unsigned long long>(f.failures),
                static_cast<unsigned long long>(f.live_actors),
                static_cast<unsigned long long>(f.passivated), fixed(static_cast<double>(f.rss_kb) / 1024.0).c_str(),
                pg && pg->per_second > 0 ? (fixed(f.per_second / pg->per_second, 1) + "x").c_str() : "-",
                fixed(f.projection_lag_seconds, 3).c_str());
  }
  std::printf("\nPostgreSQL 15 baseline (2 row-locked UPDATEs + 1 INSERT per transfer, synchronous_commit on)\n");
  std::printf("  %-9s %-8s %8s %12s %10s %10s %9s\n", "users", "mix", "clients", "transfers/s", "p50 us",
              "p99 us", "failed");
  for (const auto& p : r.postgres) {
    std::printf("  %-9zu %-8s %8zu %12s %10s %10s %9llu\n", p.users, p.mix.c_str(), p.clients,
                fixed(p.per_second).c_str(), fixed(p.p50_us).c_str(), fixed(p.p99_us).c_str(),
                static_cast<unsigned long long>(p.failed));
  }
  if (!r.postgres_note.empty()) {
    std::printf("  note: %s\n", r.postgres_note.c_str());
  }
  std::printf("\npeak RSS: %s MB\n", fixed(static_cast<double>(r.peak_rss_kb) / 1024.0).c_str());
  if (!r.error.empty()) {
    std::printf("\nERROR: %s\n", r.error.c_str());
  }
}

}  // namespace
}  // namespace telepay::tools

namespace telepay::tools {
namespace {

void print_projections(const projections_bench_result& r, bool json) {
  if (json) {
    std::string out = "{\"bench\":\"projections\",\"events\":" + std::to_string(r.events) +
                      ",\"seed_seconds\":" + fixed(r.seed_seconds, 2) +
                      ",\"replay_seconds\":" + fixed(r.replay_seconds, 2) +
                      ",\"events_per_second\":" + fixed(r.events_per_second) + ",\"rows\":{";
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      out += (i ? "," : "") + std::string("\"") + r.rows[i].first + "\":" + std::to_string(r.rows[i].second);
    }
    out += "},\"error\":";
    append_json_string(out, r.error);
    std::printf("%s}\n", out.c_str());
    return;
  }
  std::printf("machine: %s\n\n", machine_description().c_str());
  std::printf("replay of %llu events into every projection: %s s, %s events/s (seeding took %s s)\n",
              static_cast<unsigned long long>(r.events), fixed(r.replay_seconds, 2).c_str(),
              fixed(r.events_per_second).c_str(), fixed(r.seed_seconds, 1).c_str());
  for (const auto& [name, rows] : r.rows) {
    std::printf("  %-16s %10zu rows\n", name.c_str(), rows);
  }
  if (!r.error.empty()) {
    std::printf("\nERROR: %s\n", r.error.c_str());
  }
}

void print_http(const http_bench_result& r, bool json) {
  if (json) {
    std::string out = "{\"bench\":\"http\",\"users\":" + std::to_string(r.users) +
                      ",\"seed_seconds\":" + fixed(r.seed_seconds, 2) +
                      ",\"catch_up_seconds\":" + fixed(r.catch_up_seconds, 2) + ",\"runs\":[";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const auto& w = r.runs[i];
      out += (i ? "," : "") + std::string("{\"name\":\"") + w.name + "\",\"requests_per_second\":" +
             fixed(w.requests_per_second) + ",\"p50_ms\":" + fixed(w.p50_ms, 3) + ",\"p99_ms\":" +
             fixed(w.p99_ms, 3) + ",\"requests\":" + std::to_string(w.requests) +
             ",\"non_2xx\":" + std::to_string(w.non_2xx) + "}";
    }
    out += "],\"error\":";
    append_json_string(out, r.error);
    std::printf("%s}\n", out.c_str());
    return;
  }
  std::printf("machine: %s\n%llu users seeded in %s s; telepayd ready (projections caught up) after %s s\n\n",
              machine_description().c_str(), static_cast<unsigned long long>(r.users),
              fixed(r.seed_seconds, 1).c_str(), fixed(r.catch_up_seconds, 1).c_str());
  std::printf("  %-32s %12s %10s %10s %12s %9s\n", "wrk run", "requests/s", "p50 ms", "p99 ms", "requests", "non-2xx");
  for (const auto& w : r.runs) {
    std::printf("  %-32s %12s %10s %10s %12llu %9llu\n", w.name.c_str(), fixed(w.requests_per_second).c_str(),
                fixed(w.p50_ms, 2).c_str(), fixed(w.p99_ms, 2).c_str(),
                static_cast<unsigned long long>(w.requests), static_cast<unsigned long long>(w.non_2xx));
  }
  if (!r.error.empty()) {
    std::printf("\nERROR: %s\n", r.error.c_str());
  }
}

void print_ipn(const ipn_bench_result& r, bool json) {
  if (json) {
    std::printf("{\"bench\":\"ipn\",\"machine\":\"%s\",\"orders\":%llu,\"requests\":%llu,\"recorded\":%llu,"
                "\"duplicates\":%llu,\"failures\":%llu,\"ingest_seconds\":%.3f,\"requests_per_second\":%.0f,"
                "\"recorded_per_second\":%.0f,\"settle_seconds\":%.3f,\"settlements_per_second\":%.0f,"
                "\"p50_us\":%.0f,\"p99_us\":%.0f,\"activations\":%llu,\"error\":\"%s\"}\n",
                machine_description().c_str(), static_cast<unsigned long long>(r.orders),
                static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.recorded),
                static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.failures),
                r.ingest_seconds, r.requests_per_second, r.recorded_per_second, r.settle_seconds,
                r.settlements_per_second, r.p50_us, r.p99_us, static_cast<unsigned long long>(r.activations),
                r.error.c_str());
    return;
  }
  std::printf("telepay-bench ipn on %s\n", machine_description().c_str());
  std::printf("  orders %llu, IPN requests %llu (recorded %llu, duplicates %llu, failures %llu)\n",
              static_cast<unsigned long long>(r.orders), static_cast<unsigned long long>(r.requests),
              static_cast<unsigned long long>(r.recorded), static_cast<unsigned long long>(r.duplicates),
              static_cast<unsigned long long>(r.failures));
  std::printf("  ingestion    %8.0f IPN/s verified+deduplicated+recorded (%.0f new statuses/s), p50 %.0f us, p99 %.0f us\n",
              r.requests_per_second, r.recorded_per_second, r.p50_us, r.p99_us);
  std::printf("  settlement   %8.0f orders/s funded+purchased+activated (all done %.2f s after the first IPN)\n",
              r.settlements_per_second, r.settle_seconds);
  std::printf("  activations  %llu (expected %llu)\n", static_cast<unsigned long long>(r.activations),
              static_cast<unsigned long long>(r.orders));
  if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
}

void print_chain(const chain_bench_result& r, bool json) {
  if (json) {
    std::string out = "{\"bench\":\"chain\",\"machine\":";
    append_json_string(out, machine_description());
    out += ",\"addresses\":" + std::to_string(r.addresses) + ",\"logs\":" + std::to_string(r.logs) +
           ",\"hits\":" + std::to_string(r.hits) + ",\"decode_logs_per_second\":" + fixed(r.decode_logs_per_second) +
           ",\"match_logs_per_second\":" + fixed(r.match_logs_per_second) +
           ",\"scan_logs_per_second\":" + fixed(r.scan_logs_per_second) +
           ",\"legacy_signed_per_second\":" + fixed(r.legacy_signed_per_second) +
           ",\"eip1559_signed_per_second\":" + fixed(r.eip1559_signed_per_second) +
           ",\"derivations_per_second\":" + fixed(r.derivations_per_second) + ",\"error\":";
    append_json_string(out, r.error);
    out += "}";
    std::printf("%s\n", out.c_str());
    return;
  }
  std::printf("telepay-bench chain on %s (one thread)\n", machine_description().c_str());
  std::printf("  watched deposit addresses %llu (map built in %.2f s); Transfer logs %llu, to watched %llu\n",
              static_cast<unsigned long long>(r.addresses), r.build_seconds, static_cast<unsigned long long>(r.logs),
              static_cast<unsigned long long>(r.hits));
  std::printf("  (a) scan: decode %s logs/s, match %s logs/s, decode+match %s logs/s\n",
              fixed(r.decode_logs_per_second).c_str(), fixed(r.match_logs_per_second).c_str(),
              fixed(r.scan_logs_per_second).c_str());
  std::printf("  (b) payouts signed: legacy EIP-155 %s/s, EIP-1559 %s/s\n", fixed(r.legacy_signed_per_second).c_str(),
              fixed(r.eip1559_signed_per_second).c_str());
  std::printf("  (c) deposit addresses derived (BIP32 public, two levels): %s/s\n",
              fixed(r.derivations_per_second).c_str());
  if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
}

void print_telegram(const telegram_bench_result& r, bool json) {
  if (json) {
    std::printf("{\"bench\":\"telegram\",\"machine\":\"%s\",\"updates\":%llu,\"accepted\":%llu,"
                "\"intake_seconds\":%.3f,\"intake_per_second\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,"
                "\"processed_seconds\":%.3f,\"processed_per_second\":%.0f,\"outbox_sent\":%llu,"
                "\"outbox_per_second\":%.1f,\"max_in_one_second\":%llu,\"min_chat_gap_ms\":%lld,"
                "\"flood_refusals\":%llu,\"error\":\"%s\"}\n",
                machine_description().c_str(), static_cast<unsigned long long>(r.updates),
                static_cast<unsigned long long>(r.accepted), r.intake_seconds, r.intake_per_second, r.p50_us,
                r.p99_us, r.processed_seconds, r.processed_per_second, static_cast<unsigned long long>(r.outbox_sent),
                r.outbox_per_second, static_cast<unsigned long long>(r.max_in_one_second),
                static_cast<long long>(r.min_chat_gap_ms), static_cast<unsigned long long>(r.flood_refusals),
                r.error.c_str());
    return;
  }
  std::printf("telepay-bench telegram on %s\n", machine_description().c_str());
  std::printf("  updates      %llu sent to the webhook, %llu accepted\n", static_cast<unsigned long long>(r.updates),
              static_cast<unsigned long long>(r.accepted));
  std::printf("  intake       %8.0f updates/s recorded (answered once durable), p50 %.0f us, p99 %.0f us\n",
              r.intake_per_second, r.p50_us, r.p99_us);
  std::printf("  end to end   %8.0f updates/s recorded + handled by the bot + replies recorded (%.2f s)\n",
              r.processed_per_second, r.processed_seconds);
  const std::string gap = r.min_chat_gap_ms < 0 ? std::string("n/a (no chat got two messages)")
                                                 : std::to_string(r.min_chat_gap_ms) + " ms";
  std::printf("  outbox       %8.1f messages/s sent (%llu in the window); most received in any 1000 ms %llu; "
              "smallest gap to one chat %s; 429s %llu\n",
              r.outbox_per_second, static_cast<unsigned long long>(r.outbox_sent),
              static_cast<unsigned long long>(r.max_in_one_second), gap.c_str(),
              static_cast<unsigned long long>(r.flood_refusals));
  if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
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
  telepay::tools::ledger_bench_options ledger_options;
  bool no_postgres = false;
  auto* ledger = app.add_subcommand("ledger", "durable transfers end to end, and the PostgreSQL baseline");
  ledger->add_option("--db", db, "directory for the logs and the PostgreSQL data (default ./bench-data)");
  ledger->add_option("--users", ledger_options.user_counts, "user counts (default 10000 100000 1000000)")
      ->check(CLI::Range(std::size_t{2}, std::size_t{100'000'000}));
  ledger->add_option("--mix", ledger_options.mixes, "mixes: uniform, hot (default both)")
      ->check(CLI::IsMember({"uniform", "hot"}));
  ledger->add_option("--seconds", ledger_options.seconds, "seconds per measurement (default 5)")
      ->check(CLI::Range(0.5, 600.0));
  ledger->add_option("--caf-policy", ledger_options.scheduler_policy,
                     "CAF scheduler policy: sharing (default) or stealing")
      ->check(CLI::IsMember({"sharing", "stealing"}));
  ledger->add_option("--in-flight", ledger_options.in_flight, "transfers in flight (default 1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  ledger->add_option("--live-max", ledger_options.live_max, "live wallet actors at most (default 200000)")
      ->check(CLI::Range(std::size_t{4}, std::size_t{100'000'000}));
  ledger->add_option("--pg-clients", ledger_options.postgres_clients, "pgbench clients (default 8 32)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{190}));
  ledger->add_flag("--no-postgres", no_postgres, "skip the PostgreSQL baseline");
  ledger->add_flag("--keep", ledger_options.keep, "leave the generated logs in place");
  ledger->add_flag("--json", json, "print one JSON object");
  telepay::tools::projections_bench_options projections_options;
  auto* projections = app.add_subcommand("projections", "replay a large log into every read model");
  projections->add_option("--db", db, "directory for the generated log (default ./bench-data)");
  projections->add_option("--events", projections_options.events, "log size (default 10000000)")
      ->check(CLI::Range(std::uint64_t{1000}, std::uint64_t{1'000'000'000}));
  projections->add_flag("--keep", projections_options.keep, "leave the generated log in place");
  projections->add_flag("--json", json, "print one JSON object");

  telepay::tools::http_bench_options http_options;
  auto* http = app.add_subcommand("http", "wrk against the real telepayd: balance reads and a read/write mix");
  http->add_option("--db", db, "directory for the server's data (default ./bench-data)");
  http->add_option("--users", http_options.users, "users seeded (default 1000000)")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{100'000'000}));
  http->add_option("--seconds", http_options.seconds, "seconds per wrk run (default 10)")
      ->check(CLI::Range(1.0, 600.0));
  http->add_option("--connections", http_options.connections, "wrk connections (default 64)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  http->add_option("--telepayd", http_options.telepayd, "the telepayd binary (default: beside this one)");
  http->add_flag("--keep", http_options.keep, "leave the server's data in place");
  http->add_flag("--json", json, "print one JSON object");
  telepay::tools::ipn_bench_options ipn_options;
  auto* ipn = app.add_subcommand("ipn", "NOWPayments IPN ingestion: verified, deduplicated, recorded, settled");
  ipn->add_option("--db", db, "directory for the log (default ./bench-data)");
  ipn->add_option("--orders", ipn_options.orders, "orders paid (default 20000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  ipn->add_option("--connections", ipn_options.connections, "keep-alive connections (default 32)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  ipn->add_option("--duplicates", ipn_options.duplicates, "deliveries of each status (default 2)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100}));
  ipn->add_flag("--keep", ipn_options.keep, "leave the log in place");
  ipn->add_flag("--json", json, "print one JSON object");
  telepay::tools::telegram_bench_options telegram_options;
  telegram_options.sim_script = TELEPAY_SOURCE_DIR "/tools/telegram-sim/sim.js";
  auto* telegram = app.add_subcommand("telegram", "Telegram updates end to end and the outbox under flood limits");
  telegram->add_option("--db", db, "directory for the log (default ./bench-data)");
  telegram->add_option("--users", telegram_options.users, "users writing to the bot (default 2000)")
      ->check(CLI::Range(1, 1'000'000));
  telegram->add_option("--updates", telegram_options.updates, "updates sent (default 20000; at most 30 per user)")
      ->check(CLI::Range(1, 10'000'000));
  telegram->add_option("--connections", telegram_options.connections, "keep-alive connections (default 16)")
      ->check(CLI::Range(1, 1024));
  telegram->add_option("--outbox-seconds", telegram_options.outbox_seconds, "how long the sender is watched (default 20)")
      ->check(CLI::Range(1, 3600));
  telegram->add_option("--sim", telegram_options.sim_script, "the Telegram simulator script");
  telegram->add_flag("--keep", telegram_options.keep, "leave the log in place");
  telegram->add_flag("--json", json, "print one JSON object");
  telepay::tools::chain_bench_options chain_options;
  auto* chain = app.add_subcommand("chain", "deposit log scanning against watched addresses, payout signing");
  chain->add_option("--addresses", chain_options.addresses, "watched deposit addresses (default 1000000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  chain->add_option("--logs", chain_options.logs, "Transfer logs scanned (default 1000000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  chain->add_option("--logs-per-reply", chain_options.logs_per_reply, "logs per eth_getLogs reply (default 5000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000}));
  chain->add_option("--hit-every", chain_options.hit_every, "one log in N pays a watched address (default 100)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  chain->add_option("--signatures", chain_options.signatures, "transactions signed per type (default 20000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  chain->add_option("--derivations", chain_options.derivations, "deposit addresses derived (default 5000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  chain->add_flag("--json", json, "print one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (chain->parsed()) {
    const auto r = telepay::tools::run_chain_bench(chain_options);
    telepay::tools::print_chain(r, json);
    return r.error.empty() ? 0 : 1;
  }
  if (telegram->parsed()) {
    telegram_options.directory = db;
    const auto r = telepay::tools::run_telegram_bench(telegram_options);
    telepay::tools::print_telegram(r, json);
    return r.error.empty() ? 0 : 1;
  }
  if (ipn->parsed()) {
    ipn_options.directory = db;
    const auto r = telepay::tools::run_ipn_bench(ipn_options);
    telepay::tools::print_ipn(r, json);
    return r.error.empty() ? 0 : 1;
  }
  if (projections->parsed()) {
    projections_options.directory = db;
    const auto r = telepay::tools::run_projections_bench(projections_options);
    telepay::tools::print_projections(r, json);
    return r.error.empty() ? 0 : 1;
  }
  if (http->parsed()) {
    http_options.directory = db;
    if (http_options.telepayd.empty()) {
      http_options.telepayd = std::filesystem::canonical("/proc/self/exe").parent_path() / "telepayd";
    }
    const auto r = telepay::tools::run_http_bench(http_options);
    telepay::tools::print_http(r, json);
    return r.error.empty() ? 0 : 1;
  }
  if (ledger->parsed()) {
    ledger_options.directory = db;
    ledger_options.postgres = !no_postgres;
    const auto r = telepay::tools::run_ledger_bench(ledger_options);
    if (json) {
      telepay::tools::print_ledger_json(r);
    } else {
      telepay::tools::print_ledger_table(r);
    }
    return r.error.empty() ? 0 : 1;
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
