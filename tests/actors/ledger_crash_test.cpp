// Goal: a purchase interrupted by kill -9 at any moment is, after a restart, either complete
// (subscription extended, money split, the buyer's hold posted) or cleanly undone (hold voided,
// nothing credited) — never half done; every purchase acknowledged before the kill is complete;
// and the ledger balances (every asset sums to zero, nothing negative, no pending hold).
// Method: a child process (ledger_crash_child) buys from 12 threads; the parent kills it with
// SIGKILL at a random moment, 10 times over one log; each restart resumes interrupted
// processes from the log. Finally the parent runs the ledger itself until every process has
// finished and audits the log. The seed is printed; TELEPAY_CRASH_SEED replays a run.

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "domain/process.hpp"
#include "tests/support/ledger_audit.hpp"
#include "tests/support/ledger_fixture.hpp"
#include "tests/support/process.hpp"

namespace telepay::actors {
namespace {

std::set<std::string> lines_with(const std::string& output, const std::string& prefix) {
  std::set<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) {
      std::istringstream fields(line.substr(prefix.size()));
      std::string id;
      fields >> id;
      out.insert(id);
    }
  }
  return out;
}

/// Every purchase process in the log: id -> its stream's events decoded.
std::map<std::string, domain::process::state> purchase_processes(eventstore::event_store& store) {
  std::map<std::string, domain::process::state> out;
  constexpr std::string_view prefix = "process-purchase-";
  (void)store.for_each(1, store.head_seq(), [&](const eventstore::record_view& r) {
    if (r.stream.substr(0, prefix.size()) != prefix) {
      return true;
    }
    const std::string id(r.stream.substr(prefix.size()));
    auto [it, fresh] = out.try_emplace(id, "purchase-" + id);
    auto event = domain::decode_event<domain::process::event>(r.type, r.schema_version, r.payload);
    if (event) {
      domain::process::evolve(it->second, *event);
    }
    return true;
  });
  return out;
}

/// Steps recorded for each purchase (causation ids of records correlated to it).
std::map<std::string, std::set<std::string>> purchase_steps(eventstore::event_store& store) {
  std::map<std::string, std::set<std::string>> out;
  (void)store.for_each(1, store.head_seq(), [&](const eventstore::record_view& r) {
    if (r.correlation_id.substr(0, 9) == "purchase:") {
      out[std::string(r.correlation_id.substr(9))].insert(std::string(r.causation_id));
    }
    return true;
  });
  return out;
}

TEST(LedgerCrash, InterruptedPurchasesCompleteOrUndoCleanly) {
  const char* seed_env = std::getenv("TELEPAY_CRASH_SEED");
  const unsigned seed =
      seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10)) : std::random_device{}();
  std::printf("ledger crash seed: %u (set TELEPAY_CRASH_SEED to replay)\n", seed);
  std::mt19937 random(seed);
  testing::ledger_fixture fx;
  fx.close();  // the children use the directory first
  const std::string db = (fx.dir() / "eventlog").string();

  std::set<std::string> acked;
  std::size_t resumed = 0;
  constexpr int kills = 10;
  for (int round = 0; round < kills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string output;
    testing::child_process child({TELEPAY_LEDGER_CRASH_CHILD_BIN, db, std::to_string(round)});
    const auto start = std::chrono::steady_clock::now();
    while (output.find("ready\n") == std::string::npos &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
      ASSERT_TRUE(child.read_some(output, 100)) << "child exited early: " << output;
    }
    ASSERT_NE(output.find("ready\n"), std::string::npos) << "child did not start";
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50 + random() % 600);
    while (std::chrono::steady_clock::now() < until) {
      child.read_some(output, 5);
    }
    child.kill_hard();
    for (int i = 0; i < 10000 && child.read_some(output, 100); ++i) {
    }
    for (const std::string& count : lines_with(output, "resumed ")) {
      resumed += std::stoul(count);
    }
    const auto round_acks = lines_with(output, "acked ");
    acked.insert(round_acks.begin(), round_acks.end());
  }
  ASSERT_GT(acked.size(), 0u) << "no purchase completed before the kills: nothing was tested";

  // Restart once more in-process; recovery resumes what the last kill interrupted.
  fx.open();
  resumed += fx.ledger().recovered().processes.size();
  std::map<std::string, domain::process::state> processes;
  for (int i = 0; i < 300; ++i) {
    processes = purchase_processes(fx.store());
    bool all_finished = true;
    for (const auto& [id, p] : processes) {
      all_finished = all_finished && p.finished();
    }
    if (all_finished) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto steps = purchase_steps(fx.store());
  std::size_t completed = 0;
  std::size_t undone = 0;
  for (const auto& [id, p] : processes) {
    SCOPED_TRACE("purchase " + id);
    ASSERT_TRUE(p.finished()) << "still unfinished after recovery";
    const auto& done = steps.count(id) ? steps.at(id) : std::set<std::string>{};
    if (p.is_completed) {
      ++completed;
      EXPECT_TRUE(done.contains("post")) << "completed without posting the hold";
      EXPECT_FALSE(done.contains("void"));
      auto intent = domain::process::purchase_intent::from_json(p.intent);
      ASSERT_TRUE(intent.has_value());
      if (!intent->donation) {
        EXPECT_TRUE(done.contains("activate"));
        auto sub = fx.call<domain::subscription::state>(subscription_query{intent->buyer, intent->channel});
        ASSERT_TRUE(sub.has_value());
        EXPECT_TRUE(sub->purchases.contains(id));
      }
    } else {
      ++undone;
      for (const char* credit : {"credit_fee", "credit_referrer", "credit_channel", "accrue", "post"}) {
        EXPECT_FALSE(done.contains(credit)) << "failed purchase did " << credit;
      }
      if (done.contains("hold")) {
        EXPECT_TRUE(done.contains("void")) << "failed purchase kept its hold";
      }
    }
  }
  for (const std::string& id : acked) {
    ASSERT_TRUE(processes.count(id)) << id << " was acknowledged but has no process";
    EXPECT_TRUE(processes.at(id).is_completed) << id << " was acknowledged but is not complete";
  }
  EXPECT_EQ(testing::check_settled(testing::fold_wallets(fx.store())), "");
  const auto verified = fx.store().verify(1, {});
  EXPECT_FALSE(verified.fault.has_value());
  std::printf("ledger crash: %d kills, %zu purchases (%zu completed, %zu undone), %zu acknowledged, "
              "%zu processes resumed after kills\n",
              kills, processes.size(), completed, undone, acked.size(), resumed);
}

}  // namespace
}  // namespace telepay::actors
