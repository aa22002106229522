// Goal: the real telepayd binary starts on a temporary data directory, serves GET /health over
// real HTTP on loopback, rejects bad requests with JSON errors, logs every unconfigured gateway,
// stops cleanly on SIGTERM, and refuses to start on a broken chain or a bad configuration.
// Method: run the binary as a child process; talk to it with a plain socket client.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>

#include "domain/base/bytes.hpp"
#include "eventstore/event_store.hpp"
#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/tamper.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;

TEST(Telepayd, ServesHealthAndStopsCleanly) {
  testing::temp_dir dir;
  testing::daemon_process daemon(daemon_binary, dir.path() / "data");
  ASSERT_TRUE(daemon.started()) << daemon.log();

  auto reply = testing::http_request(daemon.port(), "GET", "/health");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(reply.body).get(doc), simdjson::SUCCESS) << reply.body;
  EXPECT_EQ(std::string_view(doc["status"]), "ok");
  EXPECT_TRUE(bool(doc["store"]["open"]));
  EXPECT_EQ(std::uint64_t(doc["store"]["head_seq"]), 1u);  // the first admin token
  EXPECT_EQ(std::string_view(doc["gateways"]["telegram"]), "not_configured");
  EXPECT_EQ(std::string_view(doc["gateways"]["nowpayments"]), "not_configured");
  EXPECT_EQ(std::string_view(doc["gateways"]["chain"]), "not_configured");

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_NE(log.find("gateway not configured gateway=telegram"), std::string::npos) << log;
  EXPECT_NE(log.find("gateway not configured gateway=nowpayments"), std::string::npos);
  EXPECT_NE(log.find("gateway not configured gateway=chain"), std::string::npos);
  EXPECT_NE(log.find("stopped"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "eventlog" / "CURRENT"));
  // With no token at all, the first start created an admin token and printed it once.
  EXPECT_NE(log.find("first admin API token"), std::string::npos) << log;
  EXPECT_NE(log.find("tp_"), std::string::npos);
  const auto first_log_size = log.size();
  testing::daemon_process again(daemon_binary, dir.path() / "data");  // appends to the same log
  ASSERT_TRUE(again.started()) << again.log();
  EXPECT_EQ(again.stop(), 0);
  EXPECT_EQ(again.log().substr(first_log_size).find("first admin API token"), std::string::npos)
      << again.log();
}

TEST(Telepayd, ConfiguredGatewaysAreReportedWithoutTheirSecrets) {
  testing::temp_dir dir;
  const std::string secret = "123456:SECRET-bot-token-value";
  testing::daemon_process daemon(daemon_binary, dir.path() / "data", {},
                                 {"TELEPAY_TELEGRAM_BOT_TOKEN=" + secret});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  auto reply = testing::http_request(daemon.port(), "GET", "/health");
  EXPECT_NE(reply.body.find("\"telegram\":\"configured\""), std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find(secret), std::string::npos);
  EXPECT_EQ(daemon.stop(), 0);
  const std::string log = daemon.log();
  EXPECT_NE(log.find("gateway configured gateway=telegram"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret), std::string::npos) << "a secret reached the log";
}

TEST(Telepayd, BadRequestsGetJsonErrors) {
  testing::temp_dir dir;
  testing::daemon_process daemon(daemon_binary, dir.path() / "data");
  ASSERT_TRUE(daemon.started()) << daemon.log();

  auto missing = testing::http_request(daemon.port(), "GET", "/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("\"error\":\"not_found\""), std::string::npos);

  auto wrong_method = testing::http_request(daemon.port(), "DELETE", "/health");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("allow"), "GET");

  auto huge = testing::http_request(daemon.port(), "POST", "/health", std::string(200'000, 'x'));
  EXPECT_EQ(huge.status, 413) << huge.body;
  EXPECT_NE(huge.body.find("payload_too_large"), std::string::npos);

  auto garbage = testing::http_exchange(daemon.port(), "NOT AN HTTP REQUEST\r\n\r\n");
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_EQ(garbage[0].status, 400);

  auto headers = testing::http_request(daemon.port(), "GET", "/health", "",
                                       {{"X-Big", std::string(20'000, 'h')}});
  EXPECT_EQ(headers.status, 431);

  // Keep-alive: two requests on one connection, both answered.
  auto pipelined = testing::http_exchange(
      daemon.port(),
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n", 2);
  ASSERT_EQ(pipelined.size(), 2u);
  EXPECT_EQ(pipelined[1].status, 200);

  // The server is still healthy after all of that.
  EXPECT_EQ(testing::http_request(daemon.port(), "GET", "/health").status, 200);
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(Telepayd, RefusesToStartOnABrokenChainAndNamesTheSeq) {
  testing::temp_dir dir;
  const auto log_dir = dir.path() / "data" / "eventlog";
  {
    eventstore::open_options options;
    options.directory = log_dir;
    auto store = eventstore::event_store::open(options).value();
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(store
                      ->append("user-" + std::to_string(i), eventstore::expected_version::any(),
                               {eventstore::new_event{"user.registered", 1, R"({"id":12345})"}},
                               "")
                      .has_value());
    }
  }
  testing::flip_payload_byte(log_dir, 5);
  testing::daemon_process daemon(daemon_binary, dir.path() / "data");
  EXPECT_FALSE(daemon.started());
  EXPECT_EQ(daemon.wait_exit(10'000), 1);
  const std::string log = daemon.log();
  EXPECT_NE(log.find("chain broken at seq 5 (stream user-4)"), std::string::npos) << log;
}

TEST(Telepayd, RejectsBadConfiguration) {
  testing::temp_dir dir;
  const auto config = dir.path() / "telepay.toml";
  {
    std::ofstream out(config);
    out << "[http]\nlisten = \"127.0.0.1:8080\"\nlisen_typo = 1\n";
  }
  testing::daemon_process typo(daemon_binary, dir.path() / "data", {"--config", config.string()});
  EXPECT_FALSE(typo.started());
  EXPECT_EQ(typo.wait_exit(10'000), 2);
  EXPECT_NE(typo.log().find("unknown key http.lisen_typo"), std::string::npos) << typo.log();

  testing::daemon_process bad_listen(daemon_binary, dir.path() / "data2",
                                     {"--listen", "127.0.0.1:99999"});
  EXPECT_EQ(bad_listen.wait_exit(10'000), 2);
  EXPECT_NE(bad_listen.log().find("listen port must be 0..65535"), std::string::npos);

  // A number of the wrong TOML type is refused, never ignored (the default would apply
  // silently) nor converted (a float out of range was undefined behaviour in the conversion).
  const std::pair<std::string, std::string> wrong_types[] = {
      {"[http]\nio_threads = \"4\"\n", "http.io_threads must be an integer in 1..64"},
      {"[actors]\nscheduler_threads = 1e36\n", "actors.scheduler_threads must be an integer in 1..256"},
      {"[telegram]\npoll_timeout_s = 2.0\n", "telegram.poll_timeout_s must be an integer in 1..50"},
      {"[nowpayments]\nreconcile_every_ms = true\n", "nowpayments.reconcile_every_ms must be an integer in 10..86400000"},
  };
  int n = 0;
  for (const auto& [text, expected] : wrong_types) {
    const auto file = dir.path() / ("wrong" + std::to_string(n) + ".toml");
    std::ofstream(file) << text;
    testing::daemon_process wrong(daemon_binary, dir.path() / ("data-wrong" + std::to_string(n++)),
                                  {"--config", file.string()});
    EXPECT_EQ(wrong.wait_exit(10'000), 2) << text;
    EXPECT_NE(wrong.log().find(expected), std::string::npos) << text << wrong.log();
  }
}

TEST(Telepayd, ReadsItsConfigFile) {
  testing::temp_dir dir;
  const auto config = dir.path() / "telepay.toml";
  {
    std::ofstream out(config);
    out << "[chain]\nrpc_url = \"http://127.0.0.1:8545\"\n[log]\nlevel = \"debug\"\n";
  }
  testing::daemon_process daemon(daemon_binary, dir.path() / "data", {"--config", config.string()});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  auto reply = testing::http_request(daemon.port(), "GET", "/health");
  EXPECT_NE(reply.body.find("\"chain\":\"configured\""), std::string::npos) << reply.body;
  EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace
}  // namespace telepay
