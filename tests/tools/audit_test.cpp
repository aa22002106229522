// Goal: `telepay-audit` verifies, exports and summarises a real log, names the exact seq and
// stream of a tampered record, works beside a running writer, refuses bad arguments, and
// reports (never traps on) a log whose events break the domain's invariants.
// Method: build a log with the event store, run the real binary as a child process, parse its
// output (JSON lines with simdjson), then tamper with one byte through RocksDB and run it again.

#include <gtest/gtest.h>
#include <simdjson.h>

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
