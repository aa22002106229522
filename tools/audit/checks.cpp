#include "tools/audit/checks.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <variant>

#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/wallet.hpp"
#include "projections/models.hpp"
#include "projections/point_in_time.hpp"
#include "projections/replay.hpp"
#include "projections/statement.hpp"
#include "tools/common/progress.hpp"

namespace telepay::tools {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct stored_projection {
  std::uint64_t checkpoint = 0;
  std::uint32_t format = 1;
  std::map<std::string, std::string> rows;
  bool compared = false;      // done with (compared, or skipped as another format)
  bool other_format = false;  // not compared: folded by another version of the code
  bool absent = false;        // not compared: the server stored nothing for it
  std::size_t rows_compared = 0;
  std::size_t differences = 0;
};

/// Compares a replayed projection with its stored rows: notes differences (at most `budget`
/// listed in `report`) and the rows compared (the union of both sides' keys) in `stored`.
std::size_t compare(const projections::projection& replayed, stored_projection& stored,
                    std::size_t budget, std::string& report) {
  std::map<std::string, std::string> rebuilt;
  replayed.for_each_row([&](const std::string& key, const std::string& value) { rebuilt[key] = value; });
  std::size_t differences = 0;
  const auto note = [&](const std::string& line) {
    if (differences++ < budget) {
      report += "  " + std::string(replayed.name()) + " " + line + "\n";
    }
  };
  for (const auto& [key, value] : rebuilt) {
    const auto found = stored.rows.find(key);
    if (found == stored.rows.end()) {
      note("key " + key + ": missing from the server's copy; replay has " + value);
    } else if (found->second != value) {
      note("key " + key + ": server has " + found->second + "; replay has " + value);
    }
  }
  std::size_t union_size = rebuilt.size();
  for (const auto& [key, value] : stored.rows) {
    if (!rebuilt.contains(key)) {
      ++union_size;
      note("key " + key + ": the server has " + value + "; replay has no such row");
    }
  }
  stored.rows_compared = union_size;
  stored.differences = differences;
  return differences;
}

}  // namespace

int run_replay(eventstore::event_store& store, bool json, std::size_t max_differences) {
  projections::model_set models;
  models.track_changes(false);  // a one-shot replay saves nothing
  const auto all = models.all();
  std::vector<stored_projection> stored(all.size());
  std::uint64_t last_checkpoint = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto format = store.projection_format(all[i]->name());
    if (!format) {
      std::fprintf(stderr, "telepay-audit: %s\n", format.error().message.c_str());
      return exit_error;
    }
    stored[i].format = *format;
    if (*format != all[i]->format_version()) {
      // Rows folded by another version of the code: comparing them with this build's fold
      // would list every row the fold changed, not what the server got wrong. The server drops
      // and rebuilds such a model at its next start.
      stored[i].compared = true;
      stored[i].other_format = true;
      continue;
    }
    auto checkpoint = store.load_projection(all[i]->name(), [&](std::string_view key, std::string_view value) {
      stored[i].rows.emplace(std::string(key), std::string(value));
      return true;
    });
    if (!checkpoint) {
      std::fprintf(stderr, "telepay-audit: %s\n", checkpoint.error().message.c_str());
      return exit_error;
    }
    stored[i].checkpoint = *checkpoint;
    if (*checkpoint == 0 && stored[i].rows.empty()) {
      // Nothing saved: a log the server never ran on, or whose read models were deleted. An
      // empty replay would "equal" it and prove nothing.
      stored[i].compared = true;
      stored[i].absent = true;
      continue;
    }
    last_checkpoint = std::max(last_checkpoint, *checkpoint);
  }
  std::size_t differences = 0;
  std::string report;
  const auto compare_due = [&](std::uint64_t seq) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!stored[i].compared && stored[i].checkpoint <= seq) {
        all[i]->settle();
        differences += compare(*all[i], stored[i], max_differences, report);
        stored[i].compared = true;
      }
    }
  };
  compare_due(0);
  const std::uint64_t head = store.head_seq();
  progress_meter meter("replay", head);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t events = 0;
  auto replayed = projections::replay(store, models, 1, head, [&](std::uint64_t seq) {
    ++events;
    if (seq <= last_checkpoint) {
      compare_due(seq);
    }
    if ((events & 0xffff) == 0) {
      meter.update(events);
    }
  });
  meter.finish();
  const double seconds = seconds_since(start);
  if (!replayed) {
    std::fprintf(stderr, "telepay-audit: replay stopped: %s\n", replayed.error().message.c_str());
    return exit_error;
  }
  compare_due(head);
  std::size_t compared = 0;
  std::size_t other_format = 0;
  std::size_t absent = 0;
  std::size_t rows = 0;
  for (const auto& s : stored) {
    other_format += s.other_format ? 1 : 0;
    absent += s.absent ? 1 : 0;
    compared += s.other_format || s.absent ? 0 : 1;
    rows += s.rows_compared;
  }
  const int outcome = differences > 0 ? exit_failed : compared == 0 ? exit_nothing_compared : exit_ok;
  const double rate = seconds > 0 ? static_cast<double>(events) / seconds : 0;
  const auto status_of = [](const stored_projection& s) {
    return s.other_format ? "other_format" : s.absent ? "not_stored" : s.differences > 0 ? "differs" : "equal";
  };
  if (json) {
    std::string out;
    out += "{\"events\":" + std::to_string(events);
    out += ",\"seconds\":" + std::to_string(seconds);
    out += ",\"events_per_second\":" + std::to_string(static_cast<std::uint64_t>(rate));
    out += ",\"projections_compared\":" + std::to_string(compared);
    out += ",\"rows_compared\":" + std::to_string(rows);
    out += ",\"differences\":" + std::to_string(differences);
    out += ",\"not_compared\":" + std::to_string(other_format + absent);
    out += ",\"ok\":";
    out += outcome == exit_ok ? "true" : "false";
    out += ",\"projections\":[";
    for (std::size_t i = 0; i < all.size(); ++i) {
      out += i == 0 ? "{" : ",{";
      out += "\"name\":";
      append_json_string(out, all[i]->name());
      out += ",\"status\":\"" + std::string(status_of(stored[i])) + "\"";
      out += ",\"replayed_rows\":" + std::to_string(all[i]->size());
      out += ",\"rows_compared\":" + std::to_string(stored[i].rows_compared);
      out += ",\"differences\":" + std::to_string(stored[i].differences);
      out += ",\"server_checkpoint\":" + std::to_string(stored[i].checkpoint);
      out += ",\"server_format\":" + std::to_string(stored[i].format);
      out += ",\"build_format\":" + std::to_string(all[i]->format_version());
      out += "}";
    }
    out += "]}";
    std::printf("%s\n", out.c_str());
    return outcome;
  }
  std::printf("replayed %llu events into %zu projections in %.2f s (%.0f events/s)\n",
              static_cast<unsigned long long>(events), all.size(), seconds, rate);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string name(all[i]->name());
    if (stored[i].other_format) {
      std::printf("  %-16s %8zu rows replayed; server copy is format %u, this build folds format %u: not compared\n",
                  name.c_str(), all[i]->size(), stored[i].format, all[i]->format_version());
    } else if (stored[i].absent) {
      std::printf("  %-16s %8zu rows replayed; the server stored no copy: not compared\n", name.c_str(),
                  all[i]->size());
    } else {
      std::printf("  %-16s %8zu rows compared at seq %llu, %zu differences\n", name.c_str(),
                  stored[i].rows_compared, static_cast<unsigned long long>(stored[i].checkpoint),
                  stored[i].differences);
    }
  }
  if (outcome == exit_nothing_compared) {
    std::printf("FAILED: nothing compared: no projection of this build's format is stored in this log "
                "(%zu not stored, %zu of another format)\n", absent, other_format);
  } else if (outcome == exit_ok && other_format + absent == 0) {
    std::printf("OK: every stored projection equals the replay (%zu projections, %zu rows compared)\n", compared,
                rows);
  } else if (outcome == exit_ok) {
    std::printf("OK: every compared projection equals the replay (%zu projections, %zu rows compared; "
                "%zu of another format and %zu not stored, not compared)\n",
                compared, rows, other_format, absent);
  } else {
    std::printf("FAILED: %zu differences%s\n%s", differences,
                differences > max_differences ? " (first ones listed)" : "", report.c_str());
  }
  return outcome;
}

namespace {

/// Where a balance or statement is taken: the seq, its record's time and hash, and how much of
/// the chain was verified to reach it.
struct as_of {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  hash256 hash{};
  std::uint64_t verified = 0;
};

/// Resolves --at (a seq or a UTC time; "" is the head) and verifies the chain from seq 1
/// through it. Prints the reason and returns the exit code on failure.
std::variant<as_of, int> resolve_as_of(eventstore::event_store& store, const std::string& at) {
  as_of out;
  out.seq = store.head_seq();
  if (!at.empty()) {
    const bool digits = at.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      // from_chars, not std::stoull: an over-long number is an answer (exit 2), not a throw.
      std::uint64_t parsed = 0;
      const auto [end, ec] = std::from_chars(at.data(), at.data() + at.size(), parsed);
      if (ec != std::errc() || end != at.data() + at.size()) {
        std::fprintf(stderr, "telepay-audit: --at: seq %s is out of range\n", at.c_str());
        return exit_error;
      }
      if (parsed > store.head_seq()) {
        std::fprintf(stderr, "telepay-audit: --at: seq %llu is beyond the head of the log (%llu)\n",
                     static_cast<unsigned long long>(parsed), static_cast<unsigned long long>(store.head_seq()));
        return exit_error;
      }
      out.seq = parsed;
    } else if (auto when = parse_utc_micros(at)) {
      auto found = projections::seq_at_time(store, *when);
      if (!found) {
        std::fprintf(stderr, "telepay-audit: %s\n", found.error().message.c_str());
        return exit_error;
      }
      out.seq = *found;
    } else {
      std::fprintf(stderr, "telepay-audit: --at is a seq or a UTC time like 2026-11-25T10:00:00Z\n");
      return exit_error;
    }
  }
  if (out.seq == 0) {
    return out;  // before the first event: nothing to verify, every balance is zero
  }
  progress_meter meter("verify", out.seq);
  const auto report = store.verify(1, [&](std::uint64_t done) { meter.update(done); }, out.seq);
  meter.finish();
  if (report.fault) {
    std::printf("FAILED: chain broken at seq %llu%s%s: %s; no figure is reported from an unverified log\n",
                static_cast<unsigned long long>(report.fault->seq), report.fault->stream.empty() ? "" : " stream ",
                report.fault->stream.c_str(), report.fault->reason.c_str());
    return exit_failed;
  }
  auto record = store.read_all(out.seq, 1);
  if (!record || record->empty()) {
    std::fprintf(stderr, "telepay-audit: cannot read seq %llu%s%s\n", static_cast<unsigned long long>(out.seq),
                 record ? "" : ": ", record ? "" : record.error().message.c_str());
    return exit_error;
  }
  out.recorded_at_us = record->front().recorded_at_us;
  out.hash = record->front().hash;
  out.verified = report.records;
  return out;
}

std::string as_of_json(const as_of& point) {
  std::string out = "\"as_of_seq\":" + std::to_string(point.seq);
  out += ",\"as_of_hash\":\"" + (point.seq ? to_hex(point.hash) : std::string(64, '0')) + "\"";
  out += ",\"as_of_time\":";
  out += point.seq ? "\"" + format_utc_micros(point.recorded_at_us) + "\"" : std::string("null");
  out += ",\"verified_records\":" + std::to_string(point.verified);
  return out;
}

void print_as_of(const std::string& owner, const as_of& point) {
  if (point.seq == 0) {
    std::printf("account %s as of seq 0 (before the first event)\n", owner.c_str());
    return;
  }
  std::printf("account %s as of seq %llu, recorded %s\nseq %llu hash: %s\nchain verified: seqs 1-%llu (%llu records)\n",
              owner.c_str(), static_cast<unsigned long long>(point.seq),
              format_utc_micros(point.recorded_at_us).c_str(), static_cast<unsigned long long>(point.seq),
              to_hex(point.hash).c_str(), static_cast<unsigned long long>(point.seq),
              static_cast<unsigned long long>(point.verified));
}

std::string with_code(const std::string& figure, domain::asset currency) {
  return figure + " " + std::string(domain::asset_code(currency));
}

}  // namespace

int run_balance(eventstore::event_store& store, const account_query& query) {
  auto owner = domain::parse_wallet_owner(query.owner);
  if (!owner) {
    std::fprintf(stderr, "telepay-audit: %s\n", owner.error().message.c_str());
    return exit_error;
  }
  auto resolved = resolve_as_of(store, query.at);
  if (const int* code = std::get_if<int>(&resolved)) {
    return *code;
  }
  const as_of point = std::get<as_of>(resolved);
  std::vector<projections::balance_row> rows;
  for (domain::asset a : domain::asset_all) {
    if (query.currency && *query.currency != a) {
      continue;
    }
    auto row = projections::balance_at(store, domain::wallet_key{*owner, a}, point.seq);
    if (!row) {
      std::fprintf(stderr, "telepay-audit: %s\n", row.error().message.c_str());
      return exit_error;
    }
    rows.push_back(*row);
  }
  if (query.json) {
    std::string out = "{\"account\":";
    append_json_string(out, owner->text());
    out += "," + as_of_json(point) + ",\"wallets\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out += (i ? "," : "") + rows[i].to_json();
    }
    std::printf("%s]}\n", out.c_str());
    return exit_ok;
  }
  print_as_of(owner->text(), point);
  for (const auto& row : rows) {
    const domain::asset a = row.currency;
    if (row.events == 0) {
      std::printf("  %s: no movements (balance 0 %s)\n", std::string(domain::asset_code(a)).c_str(),
                  std::string(domain::asset_code(a)).c_str());
      continue;
    }
    std::printf("  %s: balance %s, available %s, held %s (credits %s, debits %s; %llu events, the last at seq %llu)\n",
                std::string(domain::asset_code(a)).c_str(), with_code(row.balance_text(), a).c_str(),
                with_code(domain::format_amount(row.available()), a).c_str(),
                with_code(domain::format_amount(domain::amount(a, row.held)), a).c_str(),
                with_code(domain::format_amount(domain::amount(a, row.credits)), a).c_str(),
                with_code(domain::format_amount(domain::amount(a, row.debits)), a).c_str(),
                static_cast<unsigned long long>(row.events), static_cast<unsigned long long>(row.last_seq));
  }
  return exit_ok;
}

int run_statement(eventstore::event_store& store, const account_query& query, std::uint64_t after_version,
                  std::size_t limit) {
  auto owner = domain::parse_wallet_owner(query.owner);
  if (!owner) {
    std::fprintf(stderr, "telepay-audit: %s\n", owner.error().message.c_str());
    return exit_error;
  }
  if (!query.currency) {
    std::fprintf(stderr, "telepay-audit: statement: --asset is required (USDT or USD)\n");
    return exit_error;
  }
  if (limit == 0) {
    std::fprintf(stderr, "telepay-audit: statement: --limit must be at least 1\n");
    return exit_error;
  }
  auto resolved = resolve_as_of(store, query.at);
  if (const int* code = std::get_if<int>(&resolved)) {
    return *code;
  }
  const as_of point = std::get<as_of>(resolved);
  const domain::wallet_key key{*owner, *query.currency};
  auto page = projections::statement(store, key, after_version, limit, point.seq);
  if (!page) {
    std::fprintf(stderr, "telepay-audit: %s\n", page.error().message.c_str());
    return page.code() == errc::record_corrupt ? exit_failed : exit_error;
  }
  const domain::asset a = *query.currency;
  if (query.json) {
    std::string out = "{\"account\":";
    append_json_string(out, owner->text());
    out += ",\"asset\":\"" + std::string(domain::asset_code(a)) + "\"," + as_of_json(point);
    out += ",\"closing_available\":\"" + domain::format_amount(page->closing_available) + "\"";
    out += ",\"closing_balance\":\"" + page->closing_balance + "\"";
    out += ",\"closing_held\":\"" + domain::format_amount(page->closing_held) + "\"";
    out += ",\"events\":" + std::to_string(page->events);
    out += ",\"has_more\":";
    out += page->has_more ? "true" : "false";
    out += ",\"lines\":[";
    for (std::size_t i = 0; i < page->lines.size(); ++i) {
      out += (i ? "," : "") + page->lines[i].to_json();
    }
    out += "],\"next_after_version\":";
    out += page->has_more ? std::to_string(page->last_version) : std::string("null");
    out += ",\"stream\":";
    append_json_string(out, key.stream());
    std::printf("%s}\n", out.c_str());
    return exit_ok;
  }
  print_as_of(owner->text(), point);
  std::printf("statement of %s (%s), %zu of %llu movements:\n", key.stream().c_str(),
              std::string(domain::asset_code(a)).c_str(), page->lines.size(),
              static_cast<unsigned long long>(page->events));
  std::printf("  %8s %6s  %-27s %-20s %14s %14s %14s  %s\n", "seq", "ver", "recorded", "type", "change",
              "balance", "held", "transfer / kind / counterparty");
  for (const auto& line : page->lines) {
    std::string detail = line.transfer_id;
    for (const std::string* part : {&line.kind, &line.counterparty, &line.reason}) {
      if (!part->empty()) {
        detail += " / " + *part;
      }
    }
    std::printf("  %8llu %6llu  %-27s %-20s %14s %14s %14s  %s\n", static_cast<unsigned long long>(line.seq),
                static_cast<unsigned long long>(line.version), format_utc_micros(line.recorded_at_us).c_str(),
                line.type.c_str(), line.change.c_str(), line.balance_after.c_str(),
                domain::format_amount(line.held_after).c_str(), detail.c_str());
  }
  std::printf("closing: balance %s, held %s, available %s\n", with_code(page->closing_balance, a).c_str(),
              with_code(domain::format_amount(page->closing_held), a).c_str(),
              with_code(domain::format_amount(page->closing_available), a).c_str());
  if (page->has_more) {
    std::printf("more: --after-version %llu\n", static_cast<unsigned long long>(page->last_version));
  }
  return exit_ok;
}

int run_check(eventstore::event_store& store, bool json) {
  std::unordered_map<std::string, domain::wallet::state> wallets;
  std::map<domain::asset, std::pair<u128, u128>> sums;  // credits, debits posted
  std::vector<std::string> violations;
  std::vector<std::string> invalid;  // events the checking fold refused (a corrupt or tampered log)
  const std::uint64_t head = store.head_seq();
  progress_meter meter("check", head);
  std::uint64_t events = 0;
  std::optional<std::string> failure;
  auto walked = store.for_each(1, head, [&](const eventstore::record_view& r) {
    if ((++events & 0xffff) == 0) {
      meter.update(events);
    }
    if (r.stream.substr(0, 7) != "wallet-") {
      return true;
    }
    auto key = domain::parse_wallet_stream(r.stream);
    auto event = domain::decode_event<domain::wallet::event>(r.type, r.schema_version, r.payload);
    if (!key || !event) {
      failure = "seq " + std::to_string(r.seq) + " does not decode as a wallet event";
      return false;
    }
    auto [it, fresh] = wallets.try_emplace(std::string(r.stream), *key);
    domain::wallet::state& w = it->second;
    const u128 credits_before = w.credits_posted;
    const u128 debits_before = w.debits_posted;
    // The log may be a tampered copy: a checking fold reports what the domain's evolve would
    // trap on (and skips that event) instead of killing the auditor.
    if (auto applied = domain::wallet::evolve_checked(w, *event); !applied) {
      if (invalid.size() < 100) {
        invalid.push_back("seq " + std::to_string(r.seq) + ": " + applied.error().message);
      }
      return true;
    }
    auto& [credits, debits] = sums[key->currency];
    const auto credits_sum = checked_add(credits, w.credits_posted - credits_before);
    const auto debits_sum = checked_add(debits, w.debits_posted - debits_before);
    if (!credits_sum || !debits_sum) {
      failure = "seq " + std::to_string(r.seq) + ": the " + std::string(domain::asset_code(key->currency)) +
                " totals overflow";
      return false;
    }
    credits = *credits_sum;
    debits = *debits_sum;
    // debits_posted + debits_pending may not fit: compare without adding.
    const bool negative = w.debits_pending > w.credits_posted ||
                          w.debits_posted > w.credits_posted - w.debits_pending;
    if (key->must_not_go_negative() && negative && violations.size() < 100) {
      violations.push_back("seq " + std::to_string(r.seq) + ": " + std::string(r.stream) +
                           " went negative (" + w.balance_text() + ")");
    }
    return true;
  });
  meter.finish();
  if (!walked || failure) {
    std::fprintf(stderr, "telepay-audit: check stopped: %s\n",
                 failure ? failure->c_str() : walked.error().message.c_str());
    return exit_error;
  }
  std::vector<std::string> pending;
  for (const auto& [stream, w] : wallets) {
    for (const auto& [id, hold] : w.holds) {
      pending.push_back(stream + " holds " + domain::format_amount(hold.value) + " " +
                        std::string(domain::asset_code(hold.value.currency())) + " for " + id);
    }
  }
  std::vector<std::string> imbalances;
  for (const auto& [currency, s] : sums) {
    if (s.first != s.second) {
      imbalances.push_back(std::string(domain::asset_code(currency)) + ": credits " +
                           domain::format_amount(domain::amount(currency, s.first)) + ", debits " +
                           domain::format_amount(domain::amount(currency, s.second)));
    }
  }
  const bool ok = violations.empty() && invalid.empty() && imbalances.empty();
  if (json) {
    std::string out = "{\"events\":" + std::to_string(events) + ",\"wallets\":" + std::to_string(wallets.size());
    out += ",\"assets\":[";
    bool first = true;
    for (const auto& [currency, s] : sums) {
      out += first ? "{" : ",{";
      first = false;
      out += "\"asset\":\"" + std::string(domain::asset_code(currency)) + "\"";
      out += ",\"credits\":\"" + domain::format_amount(domain::amount(currency, s.first)) + "\"";
      out += ",\"debits\":\"" + domain::format_amount(domain::amount(currency, s.second)) + "\"}";
    }
    out += "],\"negative\":" + std::to_string(violations.size());
    out += ",\"invalid_events\":" + std::to_string(invalid.size());
    out += ",\"imbalanced_assets\":" + std::to_string(imbalances.size());
    out += ",\"pending_holds\":" + std::to_string(pending.size());
    out += ",\"ok\":";
    out += ok ? "true" : "false";
    std::printf("%s}\n", out.c_str());
  } else {
    std::printf("checked %llu events, %zu wallets\n", static_cast<unsigned long long>(events), wallets.size());
    for (const auto& [currency, s] : sums) {
      const std::string code(domain::asset_code(currency));
      std::printf("  %s: credits %s %s, debits %s %s\n", code.c_str(),
                  domain::format_amount(domain::amount(currency, s.first)).c_str(), code.c_str(),
                  domain::format_amount(domain::amount(currency, s.second)).c_str(), code.c_str());
    }
    for (const auto& v : violations) {
      std::printf("NEGATIVE: %s\n", v.c_str());
    }
    for (const auto& v : invalid) {
      std::printf("INVALID: %s\n", v.c_str());
    }
    for (const auto& i : imbalances) {
      std::printf("IMBALANCED: %s\n", i.c_str());
    }
    if (!pending.empty()) {
      std::printf("%zu holds pending (processes in flight or payouts awaiting the chain):\n", pending.size());
      for (std::size_t i = 0; i < pending.size() && i < 20; ++i) {
        std::printf("  %s\n", pending[i].c_str());
      }
    }
    std::printf("%s\n", ok ? "OK: double entry holds and no wallet ever went negative"
                           : "FAILED: see above (an imbalance on a live log can be processes in flight)");
  }
  return ok ? exit_ok : exit_failed;
}

}  // namespace telepay::tools
