#include "tools/audit/checks.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/wallet.hpp"
#include "projections/models.hpp"
#include "projections/point_in_time.hpp"
#include "projections/replay.hpp"
#include "tools/common/progress.hpp"

namespace telepay::tools {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_error = 2;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct stored_projection {
  std::uint64_t checkpoint = 0;
  std::uint32_t format = 1;
  std::map<std::string, std::string> rows;
  bool compared = false;
};

/// Compares a replayed projection with its stored rows; prints differences, returns their count.
std::size_t compare(const projections::projection& replayed, const stored_projection& stored,
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
  for (const auto& [key, value] : stored.rows) {
    if (!rebuilt.contains(key)) {
      note("key " + key + ": the server has " + value + "; replay has no such row");
    }
  }
  return differences;
}

}  // namespace

int run_replay(eventstore::event_store& store, bool json, std::size_t max_differences) {
  projections::model_set models;
  models.track_changes(false);  // a one-shot replay saves nothing
  const auto all = models.all();
  std::vector<stored_projection> stored(all.size());
  std::uint64_t last_checkpoint = 0;
  std::size_t not_compared = 0;
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
      ++not_compared;
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
  const double rate = seconds > 0 ? static_cast<double>(events) / seconds : 0;
  if (json) {
    std::printf("{\"events\":%llu,\"seconds\":%.3f,\"events_per_second\":%.0f,\"differences\":%zu,"
                "\"not_compared\":%zu}\n",
                static_cast<unsigned long long>(events), seconds, rate, differences, not_compared);
  } else {
    std::printf("replayed %llu events into %zu projections in %.2f s (%.0f events/s)\n",
                static_cast<unsigned long long>(events), all.size(), seconds, rate);
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (stored[i].format != all[i]->format_version()) {
        std::printf("  %-16s %8zu rows, server copy is format %u, this build folds format %u: not compared\n",
                    std::string(all[i]->name()).c_str(), all[i]->size(), stored[i].format,
                    all[i]->format_version());
        continue;
      }
      std::printf("  %-16s %8zu rows, server copy at seq %llu\n", std::string(all[i]->name()).c_str(),
                  all[i]->size(), static_cast<unsigned long long>(stored[i].checkpoint));
    }
    if (differences == 0 && not_compared == 0) {
      std::printf("OK: every stored projection equals the replay\n");
    } else if (differences == 0) {
      std::printf("OK: every compared projection equals the replay (%zu of another format not compared)\n",
                  not_compared);
    } else {
      std::printf("FAILED: %zu differences%s\n%s", differences,
                  differences > max_differences ? " (first ones listed)" : "", report.c_str());
    }
  }
  return differences == 0 ? exit_ok : exit_failed;
}

int run_balance(eventstore::event_store& store, std::int64_t user, const std::string& at) {
  std::uint64_t seq = store.head_seq();
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
      seq = parsed;
    } else if (auto when = parse_utc_micros(at)) {
      auto found = projections::seq_at_time(store, *when);
      if (!found) {
        std::fprintf(stderr, "telepay-audit: %s\n", found.error().message.c_str());
        return exit_error;
      }
      seq = *found;
    } else {
      std::fprintf(stderr, "telepay-audit: --at is a seq or a UTC time like 2026-11-25T10:00:00Z\n");
      return exit_error;
    }
  }
  auto user_id = domain::make_user_id(user);
  if (!user_id) {
    std::fprintf(stderr, "telepay-audit: %s\n", user_id.error().message.c_str());
    return exit_error;
  }
  std::string out = "{\"user_id\":" + std::to_string(user) + ",\"as_of_seq\":" + std::to_string(seq) +
                    ",\"wallets\":[";
  bool first = true;
  for (domain::asset a : domain::asset_all) {
    const domain::wallet_key key{domain::wallet_owner::of(*user_id), a};
    auto row = projections::balance_at(store, key, seq);
    if (!row) {
      std::fprintf(stderr, "telepay-audit: %s\n", row.error().message.c_str());
      return exit_error;
    }
    if (row->events == 0) {
      continue;
    }
    out += first ? "" : ",";
    first = false;
    out += row->to_json();
  }
  std::printf("%s]}\n", out.c_str());
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
      pending.push_back(stream + " holds " + domain::format_amount(hold.value) + " for " + id);
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
    std::printf("{\"events\":%llu,\"wallets\":%zu,\"negative\":%zu,\"invalid_events\":%zu,"
                "\"imbalanced_assets\":%zu,\"pending_holds\":%zu,\"ok\":%s}\n",
                static_cast<unsigned long long>(events), wallets.size(), violations.size(), invalid.size(),
                imbalances.size(), pending.size(), ok ? "true" : "false");
  } else {
    std::printf("checked %llu events, %zu wallets\n", static_cast<unsigned long long>(events), wallets.size());
    for (const auto& [currency, s] : sums) {
      std::printf("  %s: credits %s, debits %s\n", std::string(domain::asset_code(currency)).c_str(),
                  domain::format_amount(domain::amount(currency, s.first)).c_str(),
                  domain::format_amount(domain::amount(currency, s.second)).c_str());
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
