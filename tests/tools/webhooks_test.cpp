// Goal: outbound webhooks end to end, from the real telepayd to a receiver in the test: an
// admin registers an endpoint for some event types and gets its secret once; deposits and a
// purchase are delivered signed (checked here with OpenSSL against the documented scheme, not
// with the server's code), in log order; while the receiver is down the event is retried and the
// endpoint shows failing; it is delivered once the receiver is back; after kill -9 of telepayd
// with a delivery failing, the restarted server delivers it and resends nothing accepted before;
// a rewind sends the history again; a disabled endpoint gets nothing more.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

std::string hmac_hex(const std::string& key, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), mac, &length);
  std::string out;
  static constexpr char digits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(digits[mac[i] >> 4]);
    out.push_back(digits[mac[i] & 15]);
  }
  return out;
}

std::string json_text(const std::string& json, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return "";
  simdjson::dom::element value;
  if (doc[name].get(value) != simdjson::SUCCESS) return "";
  if (value.is_string()) return std::string(std::string_view(value));
  return simdjson::minify(value);
}

struct delivered_event {
  std::uint64_t seq = 0;
  std::string type;
  std::string body;
};

class WebhooksE2E : public ::testing::Test {
 protected:
  WebhooksE2E() {
    config = dir.path() / "telepayd.toml";
    std::ofstream(config) << "[webhooks]\nretry_first_ms = 100\nretry_max_ms = 400\ntimeout_ms = 2000\n";
    auto made = testing::run_command(
        {daemon_binary, "token", "create", "--data", (dir.path() / "data").string(), "--role", "admin"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    admin = made.out.substr(0, made.out.find_first_of("\r\n"));
    start_daemon();
  }

  void start_daemon() {
    daemon = std::make_unique<testing::daemon_process>(daemon_binary, dir.path() / "data",
                                                       std::vector<std::string>{"--config", config.string()});
  }

  testing::http_reply get(const std::string& target) {
    return testing::http_request(daemon->port(), "GET", target, "", {{"Authorization", "Bearer " + admin}});
  }
  testing::http_reply post(const std::string& token, const std::string& target, const std::string& body,
                           const std::string& key) {
    return testing::http_request(daemon->port(), "POST", target, body,
                                 {{"Authorization", "Bearer " + token}, {"Idempotency-Key", key}});
  }

  std::string operator_token(const std::string& name) {
    auto r = post(admin, "/v1/admin/tokens", R"({"role":"operator","operator":")" + name + "\"}", "tok-" + name);
    EXPECT_EQ(r.status, 201) << r.body;
    return json_text(r.body, "token");
  }

  /// A manual deposit requested by alice and approved by bob: one deposit.credited.
  void fund(std::int64_t user, const std::string& amount) {
    const std::string id = "fund-" + std::to_string(user);
    auto reg = post(alice, "/v1/admin/users", R"({"user_id":)" + std::to_string(user) + R"(,"username":"u"})",
                    "reg-" + std::to_string(user));
    ASSERT_EQ(reg.status, 200) << reg.body;
    auto requested = post(alice, "/v1/admin/manual-deposits",
                          R"({"id":")" + id + R"(","user_id":)" + std::to_string(user) + R"(,"amount":")" + amount +
                              R"(","reference":"SEPA"})",
                          id);
    ASSERT_EQ(requested.status, 200) << requested.body;
    auto approved = post(bob, "/v1/admin/manual-deposits/" + id + "/approve", "{}", id + "-ok");
    ASSERT_EQ(approved.status, 200) << approved.body;
  }

  /// The events the receiver accepted (answered 2xx), each checked: the signature over
  /// "<t>.<body>" with the secret, the headers agree with the body.
  std::vector<delivered_event> accepted() {
    std::vector<delivered_event> out;
    for (const auto& r : receiver.received()) {
      if (r.answered < 200 || r.answered >= 300) continue;
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.target, "/hook");
      EXPECT_EQ(r.header("content-type"), "application/json");
      const std::string signature = r.header("telepay-signature");
      const auto comma = signature.find(",v1=");
      EXPECT_EQ(signature.substr(0, 2), "t=") << signature;
      EXPECT_NE(comma, std::string::npos) << signature;
      if (comma == std::string::npos) continue;
      const std::string t = signature.substr(2, comma - 2);
      EXPECT_EQ(signature.substr(comma + 4), hmac_hex(secret, t + "." + r.body)) << "a bad signature: " << r.body;
      const std::int64_t sent_at = std::stoll(t);
      EXPECT_LT(std::llabs(sent_at - static_cast<std::int64_t>(std::time(nullptr))), 300) << "t is unix seconds";
      delivered_event e{std::stoull(json_text(r.body, "seq")), json_text(r.body, "type"), r.body};
      EXPECT_EQ(r.header("telepay-event-id"), "evt_" + std::to_string(e.seq));
      EXPECT_EQ(json_text(r.body, "id"), "evt_" + std::to_string(e.seq));
      EXPECT_EQ(r.header("telepay-event-type"), e.type);
      out.push_back(std::move(e));
    }
    return out;
  }

  bool wait_accepted(std::size_t count, int timeout_ms = 30'000) {
    return receiver.wait_until(
        [count](const std::vector<testing::received_request>& all) {
          return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [](const auto& r) {
                   return r.answered >= 200 && r.answered < 300;
                 })) >= count;
        },
        timeout_ms);
  }

  /// Polls the endpoint's status until `predicate(body)` holds.
  std::string endpoint_until(const std::function<bool(const std::string&)>& predicate) {
    std::string body;
    for (int i = 0; i < 300; ++i) {
      auto r = get("/v1/webhook-endpoints/" + endpoint);
      body = r.body;
      if (r.status == 200 && predicate(body)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return body;
  }

  testing::temp_dir dir;
  std::filesystem::path config;
  std::string admin;
  std::unique_ptr<testing::daemon_process> daemon;
  testing::http_receiver receiver;
  std::string alice;
  std::string bob;
  std::string endpoint;
  std::string secret;
};

TEST_F(WebhooksE2E, SignedInOrderRetriedWhileDownResumedAfterKillRewoundAndDisabled) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  alice = operator_token("alice");
  bob = operator_token("bob");
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";

  // Refused before anything is recorded: plain http to a public host, an unknown type, an operator.
  EXPECT_EQ(post(admin, "/v1/admin/webhook-endpoints", R"({"url":"http://hooks.example.com/","event_types":["payout.sent"]})",
                 "bad-1").status, 400);
  EXPECT_EQ(post(admin, "/v1/admin/webhook-endpoints", R"({"url":")" + url + R"(","event_types":["wallet.credited"]})",
                 "bad-2").status, 400);
  EXPECT_EQ(post(alice, "/v1/admin/webhook-endpoints", R"({"url":")" + url + R"(","event_types":["payout.sent"]})",
                 "bad-3").status, 403);

  const std::string registration =
      R"({"url":")" + url + R"(","event_types":["deposit.credited","purchase.completed","subscription.activated"]})";
  auto made = post(admin, "/v1/admin/webhook-endpoints", registration, "wh-1");
  ASSERT_EQ(made.status, 201) << made.body;
  endpoint = json_text(made.body, "id");
  secret = json_text(made.body, "secret");
  ASSERT_EQ(endpoint.substr(0, 3), "wh_") << made.body;
  ASSERT_EQ(secret.substr(0, 6), "whsec_") << made.body;
  auto again = post(admin, "/v1/admin/webhook-endpoints", registration, "wh-1");
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.header("idempotent-replay"), "true");
  EXPECT_EQ(json_text(again.body, "id"), endpoint);
  EXPECT_EQ(json_text(again.body, "secret"), "") << "the secret is shown once";
  EXPECT_EQ(daemon->log().find(secret), std::string::npos) << "the secret is never logged";
  auto listed = get("/v1/webhook-endpoints");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_NE(listed.body.find(endpoint), std::string::npos) << listed.body;
  EXPECT_EQ(listed.body.find("whsec_"), std::string::npos) << listed.body;
  EXPECT_EQ(get("/v1/webhook-endpoints?cursor=wh_nope").status, 400);
  EXPECT_EQ(get("/v1/webhook-endpoints/wh_nope").status, 404);

  // A deposit, then a purchase (the subscription is activated before the purchase completes).
  auto channel = post(admin, "/v1/admin/channels",
                      R"({"channel_id":-5001,"owner_id":5,"title":"T","tiers":[{"price":"10","days":30}],)"
                      R"("payout_strategy":"instant","payout_address":")" + payout_address + R"("})",
                      "chan");
  ASSERT_EQ(channel.status, 200) << channel.body;
  fund(4444, "50");
  auto bought = post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-1","user_id":4444,"channel_id":-5001,"tier":1})",
                     "buy-1");
  ASSERT_EQ(bought.status, 200) << bought.body;
  ASSERT_TRUE(wait_accepted(3)) << daemon->log();
  auto first = accepted();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].type, "deposit.credited");
  EXPECT_EQ(first[1].type, "subscription.activated");
  EXPECT_EQ(first[2].type, "purchase.completed");
  EXPECT_EQ(json_text(json_text(first[2].body, "data"), "id"), "p-1") << first[2].body;
  EXPECT_NE(json_text(json_text(first[2].body, "data"), "intent"), "") << first[2].body;
  EXPECT_LT(first[0].seq, first[1].seq);
  EXPECT_LT(first[1].seq, first[2].seq);

  // The receiver is down: the deposit is retried with backoff and the endpoint shows failing.
  receiver.stop();
  fund(4445, "20");
  std::string status = endpoint_until([](const std::string& b) {
    return json_text(b, "status") == "failing" && std::stoi(json_text(b, "consecutive_failures")) >= 3;
  });
  EXPECT_EQ(json_text(status, "status"), "failing") << status;
  EXPECT_NE(json_text(status, "in_flight_seq"), "") << status;
  auto attempts = get("/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=2");
  ASSERT_EQ(attempts.status, 200) << attempts.body;
  EXPECT_EQ(json_text(attempts.body, "has_more"), "true") << attempts.body;
  EXPECT_NE(attempts.body.find("\"delivered\":false"), std::string::npos) << attempts.body;
  const std::string next = json_text(attempts.body, "next_cursor");
  EXPECT_EQ(get("/v1/webhook-endpoints/" + endpoint + "/deliveries?cursor=" + next).status, 200);
  EXPECT_EQ(get("/v1/webhook-endpoints/" + endpoint + "/deliveries?cursor=99999").status, 400);
  ASSERT_TRUE(receiver.start());
  ASSERT_TRUE(wait_accepted(4)) << daemon->log();
  EXPECT_EQ(accepted()[3].type, "deposit.credited");
  EXPECT_NE(accepted()[3].body.find("4445"), std::string::npos) << accepted()[3].body;
  status = endpoint_until([](const std::string& b) { return json_text(b, "status") == "delivering"; });
  EXPECT_EQ(json_text(status, "status"), "delivering") << status;

  // kill -9 while a delivery is being refused (500): the restarted server delivers it, and
  // resends nothing the receiver accepted before.
  receiver.answer_with(500);
  fund(4446, "30");
  ASSERT_TRUE(receiver.wait_until(
      [](const std::vector<testing::received_request>& all) { return !all.empty() && all.back().answered == 500; },
      30'000));
  daemon->kill_hard();
  receiver.answer_with(200);
  start_daemon();
  ASSERT_TRUE(daemon->started()) << daemon->log();
  ASSERT_TRUE(wait_accepted(5)) << daemon->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // anything resent would arrive now
  auto all = accepted();
  ASSERT_EQ(all.size(), 5u) << "nothing accepted before the kill was sent again";
  EXPECT_NE(all[4].body.find("4446"), std::string::npos) << all[4].body;
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].seq, all[i].seq) << "log order";

  // A rewind sends the history again from the seq given, in order, with the same event ids.
  auto rewound = post(admin, "/v1/admin/webhook-endpoints/" + endpoint + "/rewind",
                      R"({"from_seq":)" + std::to_string(all[1].seq) + "}", "rw-1");
  ASSERT_EQ(rewound.status, 200) << rewound.body;
  ASSERT_TRUE(wait_accepted(9)) << daemon->log();
  auto replayed = accepted();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(replayed[5 + i].seq, all[1 + i].seq);
    EXPECT_EQ(replayed[5 + i].body, all[1 + i].body) << "the same event, byte for byte";
  }

  // Disabled: nothing more is sent.
  auto off = post(admin, "/v1/admin/webhook-endpoints/" + endpoint + "/disable", R"({"reason":"retired"})", "off-1");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(post(admin, "/v1/admin/webhook-endpoints/" + endpoint + "/disable", R"({"reason":"again"})", "off-2").status,
            409);
  status = endpoint_until([](const std::string& b) { return json_text(b, "status") == "disabled"; });
  EXPECT_EQ(json_text(status, "disabled_reason"), "retired") << status;
  fund(4447, "10");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(accepted().size(), 9u);
  auto metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("telepay_webhook_attempts_total"), std::string::npos);
}

// The signing key is made 0600 on first start; one that group or others can read is refused.
TEST(WebhookKey, MadePrivateOnFirstStartAndRefusedWhenOthersCanRead) {
  testing::temp_dir dir;
  const auto data = dir.path() / "data";
  {
    testing::daemon_process daemon(daemon_binary, data);
    ASSERT_TRUE(daemon.started()) << daemon.log();
    const auto key = data / "webhook-signing.key";
    ASSERT_TRUE(std::filesystem::exists(key));
    EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(std::filesystem::file_size(key), 65u) << "32 random bytes as hex and a newline";
    EXPECT_EQ(daemon.stop(), 0);
  }
  // Outside the data directory (inside, telepayd tightens whatever it finds).
  const auto key = dir.path() / "shared.key";
  std::ofstream(key) << std::string(64, 'k') << "\n";
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                        std::filesystem::perms::group_read);
  const auto config = dir.path() / "telepayd.toml";
  std::ofstream(config) << "[webhooks]\nsigning_key_file = \"" << key.string() << "\"\n";
  testing::daemon_process refused(daemon_binary, data, {"--config", config.string()});
  EXPECT_EQ(refused.wait_exit(30'000), 2) << refused.log();
  EXPECT_NE(refused.log().find("chmod 600"), std::string::npos) << refused.log();
}

}  // namespace
}  // namespace telepay
