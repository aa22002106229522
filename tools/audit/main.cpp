// telepay-audit: the auditor's offline tool. Opens the log read-only (a RocksDB secondary
// instance), so it works on a copy and beside a running server without disturbing it.
//
//   telepay-audit verify --db DIR [--json]
//   telepay-audit export --db DIR --format jsonl|csv [--from SEQ] [--to SEQ] [--output FILE] [--json]
//   telepay-audit stats  --db DIR [--json]
//   telepay-audit replay --db DIR [--json] [--max-differences N]
//   telepay-audit balance --db DIR (--user ID | --account OWNER) [--asset A] [--at SEQ|TIME] [--json]
//   telepay-audit statement --db DIR (--user ID | --account OWNER) --asset A [--at SEQ|TIME]
//                           [--after-version V] [--limit N] [--json]
//   telepay-audit check  --db DIR [--json]
//
// Exit codes: 0 success, 1 the chain does not verify (verify, and balance and statement, which
// verify the chain through the seq they report) or a difference or violation was found (replay,
// check), 2 usage or I/O error, 3 replay had nothing to compare.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "eventstore/event_store.hpp"
#include "projections/export.hpp"
#include "tools/audit/checks.hpp"
#include "tools/common/progress.hpp"
#include "projections/log_stats.hpp"

namespace telepay::tools {
namespace {

constexpr int exit_chain_broken = exit_failed;

std::unique_ptr<eventstore::event_store> open_log(const std::string& directory) {
  eventstore::open_options options;
  options.directory = directory;
  options.mode = eventstore::open_mode::read_only;
  options.verify_tail_records = 0;  // verify walks everything itself and names the fault
  auto store = eventstore::event_store::open(options);
  if (!store) {
    std::fprintf(stderr, "telepay-audit: %s\n", store.error().message.c_str());
    return nullptr;
  }
  return std::move(store.value());
}

int run_verify(const std::string& directory, bool json) {
  auto store = open_log(directory);
  if (!store) {
    return exit_error;
  }
  const std::uint64_t head = store->head_seq();
  progress_meter meter("verify", head);
  const auto report = store->verify(1, [&](std::uint64_t done) { meter.update(done); });
  meter.finish();
  const std::string head_hash = report.records == 0 ? std::string(64, '0') : to_hex(report.last_hash);
  if (json) {
    std::string out = "{\"records\":" + std::to_string(report.records);
    out += ",\"head_seq\":" + std::to_string(report.fault ? head : report.last_seq);
    out += ",\"ok\":";
    out += report.fault ? "false" : "true";
    if (report.fault) {
      out += ",\"fault\":{\"seq\":" + std::to_string(report.fault->seq) + ",\"stream\":";
      append_json_string(out, report.fault->stream);
      out += ",\"reason\":";
      append_json_string(out, report.fault->reason);
      out += "}";
    } else {
      out += ",\"head_hash\":\"" + head_hash + "\"";
    }
    std::printf("%s}\n", out.c_str());
    return report.fault ? exit_chain_broken : exit_ok;
  }
  if (report.fault) {
    std::printf("FAILED: chain broken at seq %llu%s%s: %s\n",
                static_cast<unsigned long long>(report.fault->seq),
                report.fault->stream.empty() ? "" : " stream ",
                report.fault->stream.c_str(), report.fault->reason.c_str());
    std::printf("verified %llu events before the fault\n",
                static_cast<unsigned long long>(report.records));
    return exit_chain_broken;
  }
  std::printf("OK: %llu events verified\nhead seq: %llu\nhead hash: %s\n",
              static_cast<unsigned long long>(report.records),
              static_cast<unsigned long long>(report.last_seq), head_hash.c_str());
  return exit_ok;
}

int run_export(const std::string& directory, const std::string& format, std::uint64_t from,
               std::uint64_t to, const std::string& output, bool json) {
  auto store = open_log(directory);
  if (!store) {
    return exit_error;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!output.empty()) {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "telepay-audit: cannot write %s\n", output.c_str());
      return exit_error;
    }
    out = &file;
  }
  const std::uint64_t last = std::min(to, store->head_seq());
  progress_meter meter("export", last >= from ? last - from + 1 : 0);
  projections::record_exporter exporter(format == "csv" ? projections::export_format::csv
                                                          : projections::export_format::jsonl);
  std::string line;
  std::uint64_t count = 0;
  if (format == "csv") {
    *out << projections::record_exporter::csv_header() << '\n';
  }
  auto walked = store->for_each(from, last, [&](const eventstore::record_view& record) {
    line.clear();
    exporter.write(record, line);
    line.push_back('\n');
    out->write(line.data(), static_cast<std::streamsize>(line.size()));
    meter.update(++count);
    return static_cast<bool>(*out);
  });
  meter.finish();
  out->flush();
  if (!walked) {
    std::fprintf(stderr, "telepay-audit: export stopped: %s\n", walked.error().message.c_str());
    return exit_error;
  }
  if (!*out) {
    std::fprintf(stderr, "telepay-audit: write error after %llu records\n",
                 static_cast<unsigned long long>(count));
    return exit_error;
  }
  // The summary goes to stderr: stdout (without --output) is the export itself.
  if (json) {
    std::fprintf(stderr, "{\"events\":%llu,\"from_seq\":%llu,\"to_seq\":%llu,\"format\":\"%s\"}\n",
                 static_cast<unsigned long long>(count), static_cast<unsigned long long>(from),
                 static_cast<unsigned long long>(last), format.c_str());
  } else {
    std::fprintf(stderr, "exported %llu events (seqs %llu-%llu)\n", static_cast<unsigned long long>(count),
                 static_cast<unsigned long long>(from), static_cast<unsigned long long>(last));
  }
  return exit_ok;
}

std::string stats_json(const projections::log_stats& stats, std::uint64_t disk_bytes,
                       const hash256& head_hash) {
  std::string out = "{\"events\":" + std::to_string(stats.events);
  out += ",\"head_seq\":" + std::to_string(stats.last_seq);
  out += ",\"head_hash\":\"" + (stats.events ? to_hex(head_hash) : std::string(64, '0')) + "\"";
  out += ",\"streams\":" + std::to_string(stats.streams.size());
  out += ",\"payload_bytes\":" + std::to_string(stats.payload_bytes);
  out += ",\"record_bytes\":" + std::to_string(stats.record_bytes);
  out += ",\"disk_bytes\":" + std::to_string(disk_bytes);
  if (stats.events > 0) {
    out += ",\"first_recorded_at\":\"" + format_utc_micros(stats.first_recorded_at_us) + "\"";
    out += ",\"last_recorded_at\":\"" + format_utc_micros(stats.last_recorded_at_us) + "\"";
  }
  const auto append_map = [&out](const char* name, const auto& map) {
    out += ",\"";
    out += name;
    out += "\":{";
    bool first = true;
    for (const auto& [key, count] : map) {
      if (!first) {
        out += ',';
      }
      first = false;
      append_json_string(out, key);
      out += ':' + std::to_string(count);
    }
    out += '}';
  };
  append_map("events_by_category", stats.events_by_category);
  append_map("events_by_type", stats.events_by_type);
  out += '}';
  return out;
}

void print_stats_text(const projections::log_stats& stats, std::uint64_t disk_bytes,
                      const hash256& head_hash) {
  std::printf("events: %llu\nhead seq: %llu\nhead hash: %s\nstreams: %zu\n",
              static_cast<unsigned long long>(stats.events),
              static_cast<unsigned long long>(stats.last_seq),
              stats.events ? to_hex(head_hash).c_str() : std::string(64, '0').c_str(),
              stats.streams.size());
  std::printf("payload bytes: %llu\nrecord bytes: %llu\ndisk bytes (sst + memtables): %llu\n",
              static_cast<unsigned long long>(stats.payload_bytes),
              static_cast<unsigned long long>(stats.record_bytes),
              static_cast<unsigned long long>(disk_bytes));
  if (stats.events > 0) {
    std::printf("first recorded at: %s\nlast recorded at: %s\n",
                format_utc_micros(stats.first_recorded_at_us).c_str(),
                format_utc_micros(stats.last_recorded_at_us).c_str());
  }
  std::printf("events by stream category:\n");
  for (const auto& [category, count] : stats.events_by_category) {
    std::printf("  %-24s %llu\n", category.c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("events by type:\n");
  for (const auto& [type, count] : stats.events_by_type) {
    std::printf("  %-32s %llu\n", type.c_str(), static_cast<unsigned long long>(count));
  }
}

int run_stats(const std::string& directory, bool json) {
  auto store = open_log(directory);
  if (!store) {
    return exit_error;
  }
  projections::log_stats stats;
  progress_meter meter("stats", store->head_seq());
  auto walked = store->for_each(1, store->head_seq(), [&](const eventstore::record_view& record) {
    projections::apply(stats, record);
    if ((stats.events & 0xffff) == 0) {
      meter.update(stats.events);
    }
    return true;
  });
  meter.finish();
  if (!walked) {
    std::fprintf(stderr, "telepay-audit: stats stopped: %s\n", walked.error().message.c_str());
    return exit_error;
  }
  const std::uint64_t disk = store->disk_bytes();
  if (json) {
    std::printf("%s\n", stats_json(stats, disk, store->head_hash()).c_str());
  } else {
    print_stats_text(stats, disk, store->head_hash());
  }
  return exit_ok;
}

}  // namespace
}  // namespace telepay::tools

int main(int argc, char** argv) {
  CLI::App app{"telepay-audit: verify, export and inspect a telepay event log (read-only)"};
  app.require_subcommand(1);
  std::string db;
  bool json = false;
  auto* verify = app.add_subcommand("verify", "walk the whole hash chain and name the first bad seq");
  verify->add_option("--db", db, "event log directory")->required();
  verify->add_flag("--json", json, "print one JSON object");

  std::string format;
  std::uint64_t from = 1;
  std::uint64_t to = ~std::uint64_t{0};
  std::string output;
  auto* exporter = app.add_subcommand("export", "write events as JSON lines or CSV");
  exporter->add_option("--db", db, "event log directory")->required();
  exporter->add_option("--format", format, "jsonl or csv")
      ->required()
      ->check(CLI::IsMember({"jsonl", "csv"}));
  exporter->add_option("--from", from, "first seq (default 1)")->check(CLI::PositiveNumber);
  exporter->add_option("--to", to, "last seq (default: the head)")->check(CLI::PositiveNumber);
  exporter->add_option("--output", output, "file to write (default: stdout)");
  exporter->add_flag("--json", json, "the summary on stderr as one JSON object");

  auto* stats = app.add_subcommand("stats", "event counts by type and stream category");
  stats->add_option("--db", db, "event log directory")->required();
  stats->add_flag("--json", json, "print one JSON object");

  std::size_t max_differences = 50;
  auto* replay = app.add_subcommand("replay", "rebuild every projection and compare with the server's");
  replay->add_option("--db", db, "event log directory")->required();
  replay->add_flag("--json", json, "print one JSON object");
  replay->add_option("--max-differences", max_differences, "differences listed at most (default 50)");

  // balance and statement name an account the same way.
  std::int64_t user = 0;
  telepay::tools::account_query query;
  std::string asset_code;
  const auto account_options = [&](CLI::App* command, bool asset_required) {
    command->add_option("--db", db, "event log directory")->required();
    auto* by_user = command->add_option("--user", user, "a user (Telegram) id");
    auto* by_account = command->add_option("--account", query.owner,
                                           "a wallet owner: a user id, ch:<channel id> or sys:<account>");
    by_user->excludes(by_account);
    by_account->excludes(by_user);
    command->add_option("--asset", asset_code, asset_required ? "USDT or USD" : "USDT or USD (default: both)")
        ->check(CLI::IsMember({"USDT", "USD"}));
    command->add_option("--at", query.at, "a seq or a UTC time (2026-11-25T10:00:00Z); default: the head");
    command->add_flag("--json", query.json, "print one JSON object");
  };
  auto* balance = app.add_subcommand("balance", "an account's balances at the head or at a seq or time, "
                                                "after verifying the chain up to it");
  account_options(balance, false);
  std::uint64_t after_version = 0;
  std::size_t limit = 1000;
  auto* statement = app.add_subcommand("statement", "every movement of one wallet with the balance after it, "
                                                    "after verifying the chain up to the seq");
  account_options(statement, true);
  statement->add_option("--after-version", after_version, "list movements after this stream version (default 0)");
  statement->add_option("--limit", limit, "movements listed at most (default 1000)");

  auto* check = app.add_subcommand("check", "double entry and no-negative invariants over all history");
  check->add_option("--db", db, "event log directory")->required();
  check->add_flag("--json", json, "print one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : telepay::tools::exit_error;
  }
  if (exporter->parsed() && from > to) {
    std::fprintf(stderr, "telepay-audit: --from %llu is after --to %llu\n",
                 static_cast<unsigned long long>(from), static_cast<unsigned long long>(to));
    return telepay::tools::exit_error;
  }
  if (verify->parsed()) {
    return telepay::tools::run_verify(db, json);
  }
  if (exporter->parsed()) {
    return telepay::tools::run_export(db, format, from, to, output, json);
  }
  if (balance->parsed() || statement->parsed()) {
    if (query.owner.empty()) {
      if (user <= 0) {
        std::fprintf(stderr, "telepay-audit: name the account with --user ID or --account OWNER\n");
        return telepay::tools::exit_error;
      }
      query.owner = std::to_string(user);
    }
    if (!asset_code.empty()) {
      query.currency = *telepay::domain::parse_asset(asset_code);
    }
  }
  if (replay->parsed() || balance->parsed() || statement->parsed() || check->parsed()) {
    auto store = telepay::tools::open_log(db);
    if (!store) {
      return telepay::tools::exit_error;
    }
    if (replay->parsed()) {
      return telepay::tools::run_replay(*store, json, max_differences);
    }
    if (balance->parsed()) {
      return telepay::tools::run_balance(*store, query);
    }
    if (statement->parsed()) {
      return telepay::tools::run_statement(*store, query, after_version, limit);
    }
    return telepay::tools::run_check(*store, json);
  }
  return telepay::tools::run_stats(db, json);
}
