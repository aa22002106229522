// Goal: `telepay-audit` verifies, exports and summarises a real log, names the exact seq and
// stream of a tampered record, works beside a running writer, refuses bad arguments, and
// reports (never traps on) a log whose events break the domain's invariants.
// Method: build a log with the event store, run the real binary as a child process, parse its
// output (JSON lines with simdjson), then tamper with one byte through RocksDB and run it again.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <fstream>
#include <sstream>

#include "domain/base/bytes.hpp"
#include "eventstore/event_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tamper.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

using eventstore::expected_version;
using eventstore::new_event;

const std::string audit_binary = TELEPAY_AUDIT_BIN;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() {
    eventstore::open_options options;
    options.directory = db_path();
    store_ = std::move(eventstore::event_store::open(options).value());
    // 30 events over 3 streams, with multi-event appends, metadata and awkward payloads.
    for (int i = 0; i < 10; ++i) {
      eventstore::append_request r;
      r.stream = "wallet-" + std::to_string(i % 3) + "-USDT";
      r.events = {new_event{"wallet.credited", 1, R"({"amount":")" + std::to_string(i) + R"("})"},
                  new_event{"wallet.debited", 2, R"({"note":"\u00e9 \"q\" Привет"})"},
                  new_event{"wallet.held", 1, "not json at all"}};
      r.idempotency_key = "op-" + std::to_string(i);
      r.correlation_id = "corr," + std::to_string(i);
      EXPECT_TRUE(store_->append(r).has_value());
    }
  }

  std::filesystem::path db_path() const { return dir_.path() / "db"; }

  testing::command_result audit(std::vector<std::string> args) {
    args.insert(args.begin(), audit_binary);
    return testing::run_command(args);
  }

  testing::temp_dir dir_;
  std::unique_ptr<eventstore::event_store> store_;
};

TEST_F(AuditTest, VerifyPrintsCountAndHeadHashBesideARunningWriter) {
  // The store stays open: the auditor must read it as a secondary without disturbing it.
  auto result = audit({"verify", "--db", db_path().string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("OK: 30 events verified"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("head hash: " + to_hex(store_->head_hash())), std::string::npos);
  // The writer keeps working while and after the auditor reads.
  EXPECT_TRUE(store_->append("user-1", expected_version::no_stream(),
                             {new_event{"user.registered", 1, "{}"}}, "")
                  .has_value());
  result = audit({"verify", "--db", db_path().string()});
  EXPECT_NE(result.out.find("OK: 31 events verified"), std::string::npos) << result.out;
}

TEST_F(AuditTest, VerifyNamesTheTamperedSeqAndStream) {
  store_.reset();
  testing::flip_payload_byte(db_path(), 14);  // seq 14 = append 4 (wallet-1-USDT), event 2
  auto result = audit({"verify", "--db", db_path().string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("chain broken at seq 14 stream wallet-1-USDT"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("verified 13 events before the fault"), std::string::npos);
}

TEST_F(AuditTest, ExportJsonLinesCarriesEveryFieldAndValidJson) {
  auto result = audit({"export", "--db", db_path().string(), "--format", "jsonl"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 30u);
  auto records = store_->read_all(1, 100).value();
  simdjson::dom::parser parser;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(lines[i]).get(doc), simdjson::SUCCESS) << lines[i];
    EXPECT_EQ(std::uint64_t(doc["seq"]), records[i].seq);
    EXPECT_EQ(std::string_view(doc["stream"]), records[i].stream);
    EXPECT_EQ(std::uint64_t(doc["version"]), records[i].version);
    EXPECT_EQ(std::string_view(doc["type"]), records[i].type);
    EXPECT_EQ(std::uint64_t(doc["schema_version"]), records[i].schema_version);
    EXPECT_EQ(std::string_view(doc["correlation_id"]), records[i].correlation_id);
    EXPECT_EQ(std::string_view(doc["idempotency_key"]), records[i].idempotency_key);
    EXPECT_EQ(std::string_view(doc["hash"]), to_hex(records[i].hash));
    EXPECT_EQ(std::string_view(doc["prev_hash"]), to_hex(records[i].prev_hash));
    EXPECT_EQ(std::string_view(doc["recorded_at"]).size(), 27u);
    if (records[i].type == "wallet.held") {
      EXPECT_EQ(std::string_view(doc["payload_hex"]), to_hex(records[i].payload));
    } else {
      EXPECT_EQ(doc["payload"].error(), simdjson::SUCCESS);
      EXPECT_NE(lines[i].find(records[i].payload), std::string::npos);
    }
  }
}

TEST_F(AuditTest, ExportHonoursFromAndToAndWritesCsv) {
  auto result =
      audit({"export", "--db", db_path().string(), "--format", "jsonl", "--from", "5", "--to", "7"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("{\"seq\":5,", 0), 0u);
  EXPECT_EQ(lines[2].rfind("{\"seq\":7,", 0), 0u);

  const auto file = dir_.path() / "out.csv";
  result = audit({"export", "--db", db_path().string(), "--format", "csv", "--output",
                  file.string(), "--to", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  lines = lines_of(text.str());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("seq,stream,version,type", 0), 0u);
  // The correlation id holds a comma and the payload quotes: both must be CSV-quoted.
  EXPECT_NE(lines[2].find(R"("corr,0")"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(R"("{""note"":)"), std::string::npos) << lines[2];
}

TEST_F(AuditTest, StatsCountsByTypeAndCategory) {
  auto result = audit({"stats", "--db", db_path().string(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(result.out).get(doc), simdjson::SUCCESS) << result.out;
  EXPECT_EQ(std::uint64_t(doc["events"]), 30u);
  EXPECT_EQ(std::uint64_t(doc["head_seq"]), 30u);
  EXPECT_EQ(std::uint64_t(doc["streams"]), 3u);
  EXPECT_EQ(std::uint64_t(doc["events_by_type"]["wallet.credited"]), 10u);
  EXPECT_EQ(std::uint64_t(doc["events_by_category"]["wallet"]), 30u);
  EXPECT_EQ(std::string_view(doc["head_hash"]), to_hex(store_->head_hash()));

  auto text = audit({"stats", "--db", db_path().string()});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("events: 30"), std::string::npos);
}

TEST_F(AuditTest, BadArgumentsGetAClearErrorAndExitTwo) {
  auto missing_db = audit({"verify"});
  EXPECT_EQ(missing_db.exit_code, 2);
  EXPECT_NE(missing_db.err.find("--db"), std::string::npos) << missing_db.err;

  auto bad_format = audit({"export", "--db", db_path().string(), "--format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);

  auto reversed = audit({"export", "--db", db_path().string(), "--format", "jsonl", "--from",
                         "9", "--to", "3"});
  EXPECT_EQ(reversed.exit_code, 2);
  EXPECT_NE(reversed.err.find("--from 9 is after --to 3"), std::string::npos);

  auto no_log = audit({"verify", "--db", (dir_.path() / "nope").string()});
  EXPECT_EQ(no_log.exit_code, 2);
  EXPECT_NE(no_log.err.find("no event log"), std::string::npos) << no_log.err;
}

// A wallet log written past the ledger: a credit, then a post of a hold that was never held
// (what the domain's evolve asserts on). The auditor exists for such copies.
TEST(AuditCheck, ReportsAnEventThatBreaksTheWalletsInvariantsInsteadOfTrapping) {
  testing::temp_dir dir;
  const auto db = dir.path() / "db";
  {
    eventstore::open_options options;
    options.directory = db;
    auto store = eventstore::event_store::open(options);
    ASSERT_TRUE(store.has_value());
    const std::vector<new_event> events{
        new_event{"wallet.credited", 1,
                  R"({"amount":"5","asset":"USDT","counterparty":"x","kind":"deposit","transfer_id":"t1"})"},
        new_event{"wallet.hold_posted", 1, R"({"amount":"3","asset":"USDT","transfer_id":"never-held"})"}};
    ASSERT_TRUE((*store)->append("wallet-7-USDT", expected_version::no_stream(), events, "").has_value());
  }
  auto checked = testing::run_command({audit_binary, "check", "--db", db.string()});
  EXPECT_EQ(checked.exit_code, 1) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("INVALID: seq 2: wallet-7-USDT: posting hold never-held, which is not pending"),
            std::string::npos) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("FAILED"), std::string::npos) << checked.out;
}

TEST_F(AuditTest, BalanceAtASeqOutOfRangeOrBeyondTheHeadIsExitTwo) {
  auto huge = audit({"balance", "--db", db_path().string(), "--user", "1", "--at", "99999999999999999999999"});
  EXPECT_EQ(huge.exit_code, 2) << huge.out << huge.err;
  EXPECT_NE(huge.err.find("--at: seq 99999999999999999999999 is out of range"), std::string::npos) << huge.err;
  auto beyond = audit({"balance", "--db", db_path().string(), "--user", "1", "--at", "31"});
  EXPECT_EQ(beyond.exit_code, 2) << beyond.out << beyond.err;
  EXPECT_NE(beyond.err.find("--at: seq 31 is beyond the head of the log (30)"), std::string::npos) << beyond.err;
  auto head = audit({"balance", "--db", db_path().string(), "--user", "1", "--at", "30"});
  EXPECT_EQ(head.err.find("--at:"), std::string::npos) << head.err;  // the head itself is a valid seq
}

// A small wallet log as the ledger writes it: user 7 is credited 5, 2 of it held and posted;
// a channel accrual and a platform fee. Closed before the tool runs, so a test may tamper.
class AuditAccountsTest : public ::testing::Test {
 protected:
  AuditAccountsTest() {
    eventstore::open_options options;
    options.directory = db_path();
    auto store = eventstore::event_store::open(options);
    EXPECT_TRUE(store.has_value());
    const auto append = [&](const std::string& stream, std::vector<new_event> events) {
      auto version = (*store)->stream_version(stream);
      EXPECT_TRUE(version.has_value());
      auto expected = *version == 0 ? expected_version::no_stream() : expected_version::exactly(*version);
      EXPECT_TRUE((*store)->append(stream, expected, events, "").has_value());
    };
    append("wallet-7-USDT",
           {new_event{"wallet.credited", 1,
                      R"({"amount":"5","asset":"USDT","counterparty":"wallet-sys:chain_clearing-USDT","kind":"deposit","transfer_id":"dep-1"})"}});
    append("wallet-7-USDT",
           {new_event{"wallet.held", 1,
                      R"({"amount":"2","asset":"USDT","counterparty":"wallet-ch:9-USDT","expires_at":"2030-01-01T00:00:00.000000Z","transfer_id":"buy-1"})"}});
    append("wallet-7-USDT", {new_event{"wallet.hold_posted", 1, R"({"amount":"2","asset":"USDT","transfer_id":"buy-1"})"}});
    append("wallet-ch:9-USDT",
           {new_event{"wallet.credited", 1,
                      R"({"amount":"1.9","asset":"USDT","counterparty":"wallet-7-USDT","kind":"channel_share","transfer_id":"buy-1"})"}});
    append("wallet-sys:platform_revenue-USDT",
           {new_event{"wallet.credited", 1,
                      R"({"amount":"0.1","asset":"USDT","counterparty":"wallet-7-USDT","kind":"fee","transfer_id":"buy-1"})"}});
    auto records = (*store)->read_all(1, 10);
    EXPECT_TRUE(records.has_value());
    for (const auto& r : *records) {
      hashes_.push_back(to_hex(r.hash));
    }
  }

  std::filesystem::path db_path() const { return dir_.path() / "db"; }

  testing::command_result audit(std::vector<std::string> args) {
    // {subcommand, options...} -> telepay-audit subcommand --db DIR options...
    args.insert(args.begin() + 1, {"--db", db_path().string()});
    args.insert(args.begin(), audit_binary);
    return testing::run_command(args);
  }

  testing::temp_dir dir_;
  std::vector<std::string> hashes_;  // by seq - 1
};

std::string field(const std::string& json, std::initializer_list<const char*> path) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json).get(e)) {
    return "<not json: " + json + ">";
  }
  for (const char* step : path) {
    simdjson::dom::element next;
    const bool index = step[0] >= '0' && step[0] <= '9';
    if ((index ? e.at(static_cast<std::size_t>(std::stoul(step))).get(next) : e[step].get(next))) {
      return std::string("<no ") + step + ">";
    }
    e = next;
  }
  if (e.is_string()) {
    return std::string(std::string_view(e));
  }
  return simdjson::to_string(e);
}

TEST_F(AuditAccountsTest, BalanceOfAnyAccountCarriesTheSeqsTimeHashAndAssets) {
  auto user = audit({"balance", "--account", "7", "--json"});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_EQ(field(user.out, {"account"}), "7");
  EXPECT_EQ(field(user.out, {"as_of_seq"}), "5");
  EXPECT_EQ(field(user.out, {"as_of_hash"}), hashes_[4]);
  EXPECT_EQ(field(user.out, {"verified_records"}), "5");
  EXPECT_EQ(field(user.out, {"as_of_time"}).size(), std::string("2026-11-25T10:00:00.000000Z").size()) << user.out;
  EXPECT_EQ(field(user.out, {"wallets", "0", "asset"}), "USDT");
  EXPECT_EQ(field(user.out, {"wallets", "0", "balance"}), "3");
  EXPECT_EQ(field(user.out, {"wallets", "0", "held"}), "0");
  EXPECT_EQ(field(user.out, {"wallets", "1", "asset"}), "USD");
  EXPECT_EQ(field(user.out, {"wallets", "1", "events"}), "0");
  // The text carries the same figures, each with its asset.
  auto text = audit({"balance", "--user", "7"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("account 7 as of seq 5, recorded "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("seq 5 hash: " + hashes_[4]), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("chain verified: seqs 1-5 (5 records)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("USDT: balance 3 USDT, available 3 USDT, held 0 USDT (credits 5 USDT, debits 2 USDT; "
                          "3 events, the last at seq 3)"),
            std::string::npos) << text.out;
  EXPECT_NE(text.out.find("USD: no movements (balance 0 USD)"), std::string::npos) << text.out;
  // At a seq in the past: the hold is still pending.
  auto past = audit({"balance", "--account", "7", "--asset", "USDT", "--at", "2", "--json"});
  ASSERT_EQ(past.exit_code, 0) << past.out << past.err;
  EXPECT_EQ(field(past.out, {"as_of_hash"}), hashes_[1]);
  EXPECT_EQ(field(past.out, {"wallets", "0", "held"}), "2");
  EXPECT_EQ(field(past.out, {"wallets", "0", "available"}), "3");
  EXPECT_EQ(field(past.out, {"wallets", "1", "asset"}), "<no 1>");  // one asset asked for
  // Channels and system accounts, not only users.
  auto channel = audit({"balance", "--account", "ch:9", "--asset", "USDT", "--json"});
  EXPECT_EQ(field(channel.out, {"wallets", "0", "balance"}), "1.9") << channel.out << channel.err;
  auto platform = audit({"balance", "--account", "sys:platform_revenue", "--asset", "USDT", "--json"});
  EXPECT_EQ(field(platform.out, {"wallets", "0", "balance"}), "0.1") << platform.out << platform.err;
  // An owner is named exactly.
  for (const char* bad : {"07", "ch:", "sys:nobody", "user-7"}) {
    auto refused = audit({"balance", "--account", bad});
    EXPECT_EQ(refused.exit_code, 2) << bad << refused.out;
    EXPECT_NE(refused.err.find("telepay-audit: "), std::string::npos) << bad << refused.err;
  }
  auto neither = audit({"balance"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("--user ID or --account OWNER"), std::string::npos) << neither.err;
}

TEST_F(AuditAccountsTest, BalanceOnATamperedCopyRefusesInsteadOfReporting) {
  testing::flip_payload_byte(db_path(), 2);
  auto head = audit({"balance", "--account", "7"});
  EXPECT_EQ(head.exit_code, 1) << head.out << head.err;
  EXPECT_NE(head.out.find("FAILED: chain broken at seq 2 stream wallet-7-USDT"), std::string::npos) << head.out;
  EXPECT_EQ(head.out.find("balance"), std::string::npos) << head.out;  // no figure from an unverified log
  auto json = audit({"statement", "--account", "7", "--asset", "USDT", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.out << json.err;
  // Before the damaged record the chain verifies, and the balance there is reported.
  auto before = audit({"balance", "--account", "7", "--at", "1", "--json"});
  EXPECT_EQ(before.exit_code, 0) << before.out << before.err;
  EXPECT_EQ(field(before.out, {"wallets", "0", "balance"}), "5") << before.out;
}

TEST_F(AuditAccountsTest, StatementListsEveryMovementWithTheBalanceAfterItInPages) {
  auto all = audit({"statement", "--account", "7", "--asset", "USDT", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_EQ(field(all.out, {"stream"}), "wallet-7-USDT");
  EXPECT_EQ(field(all.out, {"events"}), "3");
  EXPECT_EQ(field(all.out, {"has_more"}), "false");
  EXPECT_EQ(field(all.out, {"next_after_version"}), "null");
  EXPECT_EQ(field(all.out, {"closing_balance"}), "3");
  const std::vector<std::array<const char*, 6>> expected{
      // type, change, held_change, balance_after, held_after, available_after
      {"wallet.credited", "+5", "0", "5", "0", "5"},
      {"wallet.held", "0", "+2", "5", "2", "3"},
      {"wallet.hold_posted", "-2", "-2", "3", "0", "3"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "type"}), expected[i][0]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "change"}), expected[i][1]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "held_change"}), expected[i][2]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "balance_after"}), expected[i][3]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "held_after"}), expected[i][4]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "available_after"}), expected[i][5]);
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "seq"}), std::to_string(i + 1));
    EXPECT_EQ(field(all.out, {"lines", n.c_str(), "asset"}), "USDT");
  }
  // The posted hold names where the money went (the hold's counterparty).
  EXPECT_EQ(field(all.out, {"lines", "2", "counterparty"}), "wallet-ch:9-USDT");
  auto first = audit({"statement", "--account", "7", "--asset", "USDT", "--limit", "2", "--json"});
  EXPECT_EQ(field(first.out, {"has_more"}), "true") << first.out;
  EXPECT_EQ(field(first.out, {"next_after_version"}), "2");
  EXPECT_EQ(field(first.out, {"closing_balance"}), "3");  // the whole walk, not the page
  auto second = audit({"statement", "--account", "7", "--asset", "USDT", "--after-version", "2", "--json"});
  EXPECT_EQ(field(second.out, {"lines", "0", "type"}), "wallet.hold_posted") << second.out;
  EXPECT_EQ(field(second.out, {"lines", "1", "type"}), "<no 1>");
  auto text = audit({"statement", "--account", "7", "--asset", "USDT", "--limit", "2"});
  EXPECT_NE(text.out.find("statement of wallet-7-USDT (USDT), 2 of 3 movements"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("closing: balance 3 USDT, held 0 USDT, available 3 USDT"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("more: --after-version 2"), std::string::npos) << text.out;
  auto no_asset = audit({"statement", "--account", "7"});
  EXPECT_EQ(no_asset.exit_code, 2);
  EXPECT_NE(no_asset.err.find("--asset is required"), std::string::npos) << no_asset.err;
}

TEST_F(AuditAccountsTest, ReplayWithNoStoredProjectionsFailsWithItsOwnExitCode) {
  auto text = audit({"replay"});
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_NE(text.out.find("FAILED: nothing compared"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("the server stored no copy: not compared"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("OK"), std::string::npos) << text.out;
  auto json = audit({"replay", "--json"});
  EXPECT_EQ(json.exit_code, 3) << json.out << json.err;
  EXPECT_EQ(field(json.out, {"ok"}), "false");
  EXPECT_EQ(field(json.out, {"projections_compared"}), "0");
  EXPECT_EQ(field(json.out, {"projections", "0", "status"}), "not_stored");
}

TEST_F(AuditAccountsTest, VerifyAndCheckGiveTheSameFiguresInJson) {
  auto verify = audit({"verify", "--json"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(field(verify.out, {"records"}), "5");
  EXPECT_EQ(field(verify.out, {"head_hash"}), hashes_[4]);
  EXPECT_EQ(field(verify.out, {"ok"}), "true");
  auto check = audit({"check", "--json"});
  EXPECT_EQ(field(check.out, {"assets", "0", "asset"}), "USDT") << check.out << check.err;
  EXPECT_EQ(field(check.out, {"assets", "0", "credits"}), "7");
  EXPECT_EQ(field(check.out, {"assets", "0", "debits"}), "2");
  auto check_text = audit({"check"});
  EXPECT_NE(check_text.out.find("USDT: credits 7 USDT, debits 2 USDT"), std::string::npos) << check_text.out;
  testing::flip_payload_byte(db_path(), 4);
  auto broken = audit({"verify", "--json"});
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_EQ(field(broken.out, {"ok"}), "false");
  EXPECT_EQ(field(broken.out, {"fault", "seq"}), "4");
  EXPECT_EQ(field(broken.out, {"fault", "stream"}), "wallet-ch:9-USDT");
}

TEST(AuditEmptyLog, VerifiesAnEmptyLog) {
  testing::temp_dir dir;
  {
    eventstore::open_options options;
    options.directory = dir.path() / "db";
    ASSERT_TRUE(eventstore::event_store::open(options).has_value());
  }
  auto result = testing::run_command({audit_binary, "verify", "--db", (dir.path() / "db").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("OK: 0 events verified"), std::string::npos);
}

}  // namespace
}  // namespace telepay
