// Goal: NOWPayments payments end to end: the real telepayd and the NOWPayments simulator
// (tools/nowpayments-sim, Node) over loopback - invoices created over TLS with the certificate
// and host name verified, signed IPNs delivered by the simulator's own JSON.stringify - and the
// subscription lifecycle they drive. Each case checks balances and events, not only HTTP codes:
// the happy path to an active subscription; five duplicates of every IPN; finished before
// confirming; partially paid; expired; a forged signature; an IPN for an unknown order; a crash
// between IPN acceptance and activation (the restart completes it exactly once); a missed IPN
// recovered by polling; retries on 5xx but never on 4xx; renewal extending the expiry; and the
// expiry scheduler reminding, then removing the user.
// Method: temp dirs, a self-signed certificate from the openssl CLI, child processes.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_field.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string sim_script = TELEPAY_NOWPAYMENTS_SIM;
const std::string api_key = "np_test_api_key";
const std::string ipn_secret = "np_test_ipn_secret";
const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
constexpr std::int64_t buyer = 7001;
constexpr std::int64_t referrer = 7000;
constexpr std::int64_t channel = -1007001;
constexpr std::int64_t day_s = 86'400;

using testing::json_field;
using testing::wait_port_file;

class PaymentsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = testing::run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                                      (dir.path() / "key.pem").string(), "-out", (dir.path() / "cert.pem").string(),
                                      "-days", "2", "-subj", "/CN=localhost", "-addext",
                                      "subjectAltName=DNS:localhost,IP:127.0.0.1"});
    ASSERT_EQ(cert.exit_code, 0) << cert.err;
    sim = std::make_unique<testing::child_process>(std::vector<std::string>{
        "node", sim_script, "--port", "0", "--port-file", (dir.path() / "sim.port").string(),
        "--control-port-file", (dir.path() / "control.port").string(), "--api-key", api_key,
        "--ipn-secret", ipn_secret, "--tls-cert", (dir.path() / "cert.pem").string(), "--tls-key",
        (dir.path() / "key.pem").string()});
    sim_port = wait_port_file(dir.path() / "sim.port");
    control_port = wait_port_file(dir.path() / "control.port");
    ASSERT_NE(sim_port, 0) << "the simulator did not start (is node installed?)";
    ASSERT_NE(control_port, 0);
    admin = create_admin_token();
  }

  void TearDown() override {
    if (daemon) daemon->stop();
  }

  std::string create_admin_token() {
    auto r = testing::run_command({daemon_binary, "token", "create", "--data", (dir.path() / "data").string(),
                                   "--role", "admin"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string token = r.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  }

  std::vector<std::string> environment(const std::vector<std::string>& extra, bool with_ca = true) {
    std::vector<std::string> env = {
        "TELEPAY_NOWPAYMENTS_API_KEY=" + api_key,
        "TELEPAY_NOWPAYMENTS_IPN_SECRET=" + ipn_secret,
        "TELEPAY_NOWPAYMENTS_API_URL=https://127.0.0.1:" + std::to_string(sim_port) + "/v1",
    };
    if (with_ca) env.push_back("TELEPAY_NOWPAYMENTS_CA_FILE=" + (dir.path() / "cert.pem").string());
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }

  void start_daemon(const std::vector<std::string>& extra_env = {}, bool with_ca = true) {
    daemon = std::make_unique<testing::daemon_process>(daemon_binary, dir.path() / "data",
                                                       std::vector<std::string>{}, environment(extra_env, with_ca));
    ASSERT_TRUE(daemon->started()) << daemon->log();
  }

  void restart_daemon(const std::vector<std::string>& extra_env = {}) {
    if (daemon) daemon->stop();
    daemon.reset();
    start_daemon(extra_env);
  }

  /// A buyer (referred), a referrer who owns a channel with one 9.99 USD / 30 day tier.
  void setup_market() {
    ASSERT_EQ(post("/v1/admin/users", R"({"user_id":)" + std::to_string(referrer) + "}", "u1").status, 200);
    const auto registered = events("user.registered", "user-" + std::to_string(referrer));
    ASSERT_EQ(registered.size(), 1u);
    const std::string code = json_field(registered[0], {"payload", "referral_code"});
    ASSERT_FALSE(code.empty());
    ASSERT_EQ(post("/v1/admin/users", R"({"user_id":)" + std::to_string(buyer) + R"(,"referral_code":")" + code + "\"}",
                   "u2")
                  .status,
              200);
    auto c = post("/v1/admin/channels",
                  R"({"channel_id":)" + std::to_string(channel) + R"(,"owner_id":)" + std::to_string(referrer) +
                      R"(,"title":"Paid","tiers":[{"price":"9.99","days":30}],"donations_enabled":true,)"
                      R"("payout_strategy":"threshold","payout_threshold":"1000","payout_address":")" +
                      address + "\"}",
                  "c1");
    ASSERT_EQ(c.status, 200) << c.body;
  }

  testing::http_reply get(const std::string& target) {
    return testing::http_request(daemon->port(), "GET", target, "", {{"Authorization", "Bearer " + admin}});
  }
  testing::http_reply post(const std::string& target, const std::string& body, const std::string& key) {
    return testing::http_request(daemon->port(), "POST", target, body,
                                 {{"Authorization", "Bearer " + admin}, {"Idempotency-Key", key}});
  }
  testing::http_reply sim_call(const std::string& target, const std::string& body = "") {
    return testing::http_request(control_port, body.empty() ? "GET" : "POST", target, body);
  }

  /// Creates an invoice for the buyer (tier 1) through the API; its order id.
  std::string create_invoice(const std::string& order_id) {
    auto r = post("/v1/admin/invoices",
                  R"({"user_id":)" + std::to_string(buyer) + R"(,"channel_id":)" + std::to_string(channel) +
                      R"(,"tier":1,"order_id":")" + order_id + "\"}",
                  "inv-" + order_id);
    EXPECT_EQ(r.status, 201) << r.body << "\n" << daemon->log();
    EXPECT_NE(json_field(r.body, {"url"}), "");
    return order_id;
  }

  /// Pays an order at the simulator; the simulator's answer (every IPN delivery).
  testing::http_reply pay(const std::string& order_id, const std::string& options = "") {
    auto r = sim_call("/sim/pay", R"({"order_id":")" + order_id + "\"" + options + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return r;
  }

  std::uint64_t head() { return std::stoull(json_field(get("/health").body, {"store", "head_seq"})); }

  /// Records of the log (the audit feed), optionally of one stream, of types starting with a prefix.
  std::vector<std::string> events(const std::string& type_prefix, const std::string& stream = "") {
    std::vector<std::string> out;
    auto r = get("/v1/events?from=1&limit=1000");
    std::size_t at = 0;
    while (at < r.body.size()) {
      const auto end = std::min(r.body.find('\n', at), r.body.size());
      const std::string line = r.body.substr(at, end - at);
      at = end + 1;
      if (line.empty()) continue;
      if (json_field(line, {"type"}).rfind(type_prefix, 0) == 0 && (stream.empty() || json_field(line, {"stream"}) == stream)) {
        out.push_back(line);
      }
    }
    return out;
  }

  bool eventually(const std::function<bool()>& condition, int timeout_ms = 10'000) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  }

  std::string balance(const std::string& owner) {
    auto r = get("/v1/wallets?owner=" + owner);
    for (int i = 0;; ++i) {
      const std::string index = std::to_string(i);
      const std::string row_owner = json_field(r.body, {"items", index.c_str(), "owner"});
      if (row_owner.empty()) return "0";
      if (row_owner == owner && json_field(r.body, {"items", index.c_str(), "asset"}) == "USDT") {
        return json_field(r.body, {"items", index.c_str(), "balance"});
      }
    }
  }

  std::string invoice(const std::string& order_id) { return get("/v1/invoices/" + order_id).body; }

  bool settled(const std::string& order_id) {
    return eventually([&] { return json_field(invoice(order_id), {"settlement"}).rfind("completed", 0) == 0; });
  }

  std::string subscription_field(const char* name) {
    auto r = get("/v1/subscriptions?user_id=" + std::to_string(buyer));
    return json_field(r.body, {"items", "0", name});
  }

  testing::temp_dir dir;
  std::unique_ptr<testing::child_process> sim;
  std::uint16_t sim_port = 0;
  std::uint16_t control_port = 0;
  std::string admin;
  std::unique_ptr<testing::daemon_process> daemon;
};

TEST_F(PaymentsE2E, HappyPathEndsInAnActiveSubscriptionWithTheMoneySplit) {
  start_daemon();
  setup_market();
  create_invoice("o-happy");
  auto paid = pay("o-happy");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(json_field(paid.body, {"deliveries", std::to_string(i).c_str(), "status"}), "200") << paid.body;
  }
  ASSERT_TRUE(settled("o-happy")) << invoice("o-happy");
  const std::string inv = invoice("o-happy");
  EXPECT_EQ(json_field(inv, {"status"}), "finished");
  EXPECT_EQ(json_field(inv, {"settlement"}), "completed: purchased");
  EXPECT_EQ(json_field(inv, {"payments", "0", "source"}), "ipn:recursive");
  // Funded 9.99 from NOWPayments clearing, spent 9.99 on the subscription.
  EXPECT_EQ(balance(std::to_string(buyer)), "0");
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-9.99");
  EXPECT_NE(balance("sys:platform_revenue"), "0");
  EXPECT_NE(balance(std::to_string(referrer)), "0") << "the referrer earns on the purchase";
  EXPECT_EQ(subscription_field("purchases"), "1");
  EXPECT_EQ(events("invoice.payment_recorded").size(), 5u);
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  // The Telegram outbox: a per-purchase invite link and a message for the buyer.
  ASSERT_TRUE(eventually([&] { return events("notice.requested", "notice-" + std::to_string(buyer)).size() == 2; }));
  const auto notices = events("notice.requested", "notice-" + std::to_string(buyer));
  EXPECT_EQ(json_field(notices[0], {"payload", "kind"}), "invite");
  EXPECT_EQ(json_field(notices[0], {"payload", "ref"}), "o-happy");
  EXPECT_EQ(json_field(notices[0], {"payload", "chat_id"}), std::to_string(channel));
  EXPECT_EQ(json_field(notices[1], {"payload", "kind"}), "message");
}

TEST_F(PaymentsE2E, FiveDuplicatesOfEveryIpnActivateOnceAndCreditOnce) {
  start_daemon();
  setup_market();
  create_invoice("o-dup");
  auto paid = pay("o-dup", R"(,"duplicates":5)");
  int recorded = 0;
  for (int i = 0; i < 25; ++i) {
    const std::string body = json_field(paid.body, {"deliveries", std::to_string(i).c_str(), "body"});
    EXPECT_EQ(json_field(paid.body, {"deliveries", std::to_string(i).c_str(), "status"}), "200");
    recorded += json_field(body, {"recorded"}) == "true" ? 1 : 0;
  }
  EXPECT_EQ(recorded, 5) << "one record per status";
  ASSERT_TRUE(settled("o-dup"));
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  EXPECT_EQ(events("invoice.payment_recorded").size(), 5u);
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-9.99");
  EXPECT_EQ(balance(std::to_string(buyer)), "0");
}

TEST_F(PaymentsE2E, FinishedBeforeConfirmingIsAppliedAndTheLateStatusesAreIgnored) {
  start_daemon();
  setup_market();
  create_invoice("o-ooo");
  auto paid = pay("o-ooo", R"(,"out_of_order":true)");
  EXPECT_EQ(json_field(json_field(paid.body, {"deliveries", "0", "body"}), {"recorded"}), "true");
  for (int i = 1; i < 5; ++i) {
    const std::string body = json_field(paid.body, {"deliveries", std::to_string(i).c_str(), "body"});
    EXPECT_EQ(json_field(body, {"recorded"}), "false") << body;
    EXPECT_EQ(json_field(body, {"status"}), "finished") << "never regresses";
  }
  ASSERT_TRUE(settled("o-ooo"));
  EXPECT_EQ(json_field(invoice("o-ooo"), {"status"}), "finished");
  EXPECT_EQ(events("invoice.payment_recorded").size(), 1u);
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-9.99");
}

TEST_F(PaymentsE2E, PartiallyPaidCreditsWhatWasPaidAndTellsTheUserWithoutAccess) {
  start_daemon();
  setup_market();
  create_invoice("o-part");
  pay("o-part", R"(,"scenario":"partially_paid","paid_ratio":0.5)");
  ASSERT_TRUE(settled("o-part"));
  const std::string inv = invoice("o-part");
  EXPECT_EQ(json_field(inv, {"status"}), "partially_paid");
  EXPECT_EQ(json_field(inv, {"payments", "0", "action"}), "credit");
  // 9.99 USDT * actually_paid / pay_amount, exactly as recorded.
  const std::string credit = json_field(inv, {"payments", "0", "credit"});
  EXPECT_EQ(balance(std::to_string(buyer)), credit);
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-" + credit);
  EXPECT_TRUE(credit.rfind("4.99", 0) == 0) << credit;
  EXPECT_EQ(events("subscription.activated").size(), 0u);
  ASSERT_TRUE(eventually([&] { return events("notice.requested", "notice-" + std::to_string(buyer)).size() == 1; }));
  const auto notice = events("notice.requested", "notice-" + std::to_string(buyer))[0];
  EXPECT_NE(json_field(notice, {"payload", "text"}).find("credited to your balance"), std::string::npos);
}

TEST_F(PaymentsE2E, AnExpiredInvoiceMovesNoMoneyAndTellsTheUser) {
  start_daemon();
  setup_market();
  create_invoice("o-exp");
  pay("o-exp", R"(,"scenario":"expired")");
  ASSERT_TRUE(eventually([&] { return json_field(invoice("o-exp"), {"status"}) == "expired"; }));
  EXPECT_EQ(balance(std::to_string(buyer)), "0");
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "0");
  EXPECT_EQ(events("process.started").size(), 0u);
  ASSERT_TRUE(eventually([&] { return events("notice.requested", "notice-" + std::to_string(buyer)).size() == 1; }));
  EXPECT_NE(json_field(events("notice.requested")[0], {"payload", "text"}).find("expired"), std::string::npos);
}

TEST_F(PaymentsE2E, ForgedUnsignedAndUnknownOrderIpnsChangeNothing) {
  start_daemon();
  setup_market();
  create_invoice("o-forged");
  const auto before = head();
  auto forged = pay("o-forged", R"(,"signature":"bad")");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(json_field(forged.body, {"deliveries", std::to_string(i).c_str(), "status"}), "403") << forged.body;
  }
  const std::string ipn_url = "http://127.0.0.1:" + std::to_string(daemon->port()) + "/v1/webhooks/nowpayments";
  const std::string body =
      R"({"payment_id":5999,"payment_status":"finished","price_amount":9.99,"price_currency":"usd","order_id":"nope","actually_paid":10,"pay_amount":10})";
  auto unsigned_ipn = sim_call("/sim/ipn", R"({"url":")" + ipn_url + R"(","signature":"none","body":)" + body + "}");
  EXPECT_EQ(json_field(unsigned_ipn.body, {"status"}), "401");
  auto unknown = sim_call("/sim/ipn", R"({"url":")" + ipn_url + R"(","body":)" + body + "}");
  EXPECT_EQ(json_field(unknown.body, {"status"}), "404") << unknown.body;
  EXPECT_EQ(json_field(json_field(unknown.body, {"body"}), {"error"}), "invoice_not_found");
  EXPECT_EQ(head(), before) << "nothing recorded";
  auto metrics = get("/metrics");
  EXPECT_NE(metrics.body.find(R"(telepay_nowpayments_ipn_total{outcome="bad_signature"} 5)"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(telepay_nowpayments_ipn_total{outcome="missing_signature"} 1)"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(telepay_nowpayments_ipn_total{outcome="unknown_order"} 1)"), std::string::npos);
}

TEST_F(PaymentsE2E, TheLegacySigningVariantIsAcceptedAndRecordedAsSuch) {
  start_daemon();
  setup_market();
  create_invoice("o-legacy");
  pay("o-legacy", R"(,"signature":"legacy")");
  ASSERT_TRUE(settled("o-legacy"));
  EXPECT_EQ(json_field(invoice("o-legacy"), {"payments", "0", "source"}), "ipn:legacy");
  EXPECT_EQ(events("subscription.activated").size(), 1u);
}

TEST_F(PaymentsE2E, ACrashBetweenAcceptanceAndActivationCompletesExactlyOnceAfterRestart) {
  start_daemon({"TELEPAY_TEST_CRASH_AFTER_PAYMENT_START=1"});
  setup_market();
  create_invoice("o-crash");
  auto paid = pay("o-crash");
  // The finished IPN was recorded and its settlement started durably, then the server died
  // before answering: NOWPayments saw no answer.
  EXPECT_EQ(json_field(paid.body, {"deliveries", "4", "status"}), "0") << paid.body;
  EXPECT_EQ(daemon->wait_exit(10'000), 137);
  daemon.reset();
  start_daemon();
  ASSERT_TRUE(settled("o-crash")) << invoice("o-crash");
  // NOWPayments re-sends the IPN it got no answer for: a duplicate, nothing more happens.
  // (The restarted server listens on a new port: the resend names it.)
  const std::string ipn_url = "http://127.0.0.1:" + std::to_string(daemon->port()) + "/v1/webhooks/nowpayments";
  auto resent = sim_call("/sim/resend", R"({"payment_id":)" + json_field(paid.body, {"payment_id"}) +
                                            R"(,"times":3,"url":")" + ipn_url + "\"}");
  EXPECT_EQ(json_field(resent.body, {"deliveries", "2", "status"}), "200") << resent.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  EXPECT_EQ(events("process.completed", "process-purchase-o-crash").size(), 1u);
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-9.99");
  EXPECT_EQ(balance(std::to_string(buyer)), "0");
}

TEST_F(PaymentsE2E, AMissedIpnIsRecoveredByPolling) {
  start_daemon({"TELEPAY_NOWPAYMENTS_RECONCILE_EVERY_MS=200", "TELEPAY_NOWPAYMENTS_RECONCILE_AFTER_MS=100"});
  setup_market();
  create_invoice("o-missed");
  pay("o-missed", R"(,"drop_final":true)");
  ASSERT_TRUE(settled("o-missed")) << invoice("o-missed");
  const std::string inv = invoice("o-missed");
  EXPECT_EQ(json_field(inv, {"status"}), "finished");
  EXPECT_EQ(json_field(inv, {"payments", "0", "source"}), "poll");
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  auto stats = sim_call("/sim/stats");
  EXPECT_NE(json_field(stats.body, {"GET /v1/payment/:id"}), "");
}

TEST_F(PaymentsE2E, InvoiceCreationRetries5xxButNever4xxAndVerifiesTheCertificate) {
  start_daemon();
  setup_market();
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":2,"status":503})").status, 200);
  create_invoice("o-retry");
  EXPECT_EQ(json_field(sim_call("/sim/stats").body, {"POST /v1/invoice"}), "3");
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":400})").status, 200);
  auto refused = post("/v1/admin/invoices",
                      R"({"user_id":)" + std::to_string(buyer) + R"(,"channel_id":)" + std::to_string(channel) +
                          R"(,"tier":1,"order_id":"o-400"})",
                      "k-400");
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_EQ(json_field(refused.body, {"error"}), "upstream_failed");
  EXPECT_EQ(json_field(sim_call("/sim/stats").body, {"POST /v1/invoice"}), "4") << "a 400 is not retried";
  // The order stays recorded: the same order id succeeds later (a new Idempotency-Key).
  auto again = post("/v1/admin/invoices",
                    R"({"user_id":)" + std::to_string(buyer) + R"(,"channel_id":)" + std::to_string(channel) +
                        R"(,"tier":1,"order_id":"o-400"})",
                    "k-400b");
  EXPECT_EQ(again.status, 201) << again.body;
  // Without our CA the self-signed simulator is not trusted: refused, nothing sent.
  restart_daemon();
  daemon->stop();
  daemon.reset();
  start_daemon({}, /*with_ca=*/false);
  auto untrusted = post("/v1/admin/invoices",
                        R"({"user_id":)" + std::to_string(buyer) + R"(,"channel_id":)" + std::to_string(channel) +
                            R"(,"tier":1,"order_id":"o-tls"})",
                        "k-tls");
  EXPECT_EQ(untrusted.status, 503) << untrusted.body;
  EXPECT_NE(json_field(untrusted.body, {"message"}).find("TLS handshake"), std::string::npos) << untrusted.body;
  EXPECT_EQ(json_field(sim_call("/sim/stats").body, {"POST /v1/invoice"}), "5");
}

TEST_F(PaymentsE2E, ARenewalExtendsTheExpiryFromTheOldOne) {
  start_daemon();
  setup_market();
  create_invoice("o-first");
  pay("o-first");
  ASSERT_TRUE(settled("o-first"));
  const std::string first_expiry = subscription_field("expires_at");
  create_invoice("o-second");
  pay("o-second");
  ASSERT_TRUE(settled("o-second"));
  ASSERT_TRUE(eventually([&] { return subscription_field("purchases") == "2"; }));
  const auto activations = events("subscription.activated");
  ASSERT_EQ(activations.size(), 2u);
  EXPECT_EQ(json_field(activations[1], {"payload", "previous_expires_at"}), first_expiry);
  const std::string second_expiry = json_field(activations[1], {"payload", "expires_at"});
  EXPECT_GT(second_expiry, first_expiry);
  // 30 more days from the old expiry (the day of the month moves by 30 days exactly).
  EXPECT_EQ(subscription_field("expires_at"), second_expiry);
  // An extension of an active subscription needs no new invite link: a message only.
  ASSERT_TRUE(eventually([&] { return events("notice.requested", "notice-" + std::to_string(buyer)).size() == 3; }));
  EXPECT_EQ(events("notice.requested")[2].find("\"kind\":\"message\"") != std::string::npos, true);
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-19.98");
}

TEST_F(PaymentsE2E, TheExpirySchedulerRemindsAtThreeDaysAndOneDayThenRemovesTheUser) {
  start_daemon({"TELEPAY_EXPIRY_SCAN_MS=100"});
  setup_market();
  create_invoice("o-life");
  pay("o-life");
  ASSERT_TRUE(settled("o-life"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(events("subscription.").size(), 1u) << "nothing due yet";
  // 28.5 days later: the 3-day reminder, once.
  restart_daemon({"TELEPAY_EXPIRY_SCAN_MS=100", "TELEPAY_TEST_EXPIRY_CLOCK_OFFSET_S=" + std::to_string(28 * day_s + day_s / 2)});
  ASSERT_TRUE(eventually([&] { return events("subscription.reminded").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_EQ(events("subscription.reminded").size(), 1u);
  EXPECT_EQ(json_field(events("subscription.reminded")[0], {"payload", "days_before"}), "3");
  // 29.5 days later: the 1-day reminder.
  restart_daemon({"TELEPAY_EXPIRY_SCAN_MS=100", "TELEPAY_TEST_EXPIRY_CLOCK_OFFSET_S=" + std::to_string(29 * day_s + day_s / 2)});
  ASSERT_TRUE(eventually([&] { return events("subscription.reminded").size() == 2; }));
  EXPECT_EQ(json_field(events("subscription.reminded")[1], {"payload", "days_before"}), "1");
  // 31 days later: expired, and the user is removed from the channel and told how to renew.
  restart_daemon({"TELEPAY_EXPIRY_SCAN_MS=100", "TELEPAY_TEST_EXPIRY_CLOCK_OFFSET_S=" + std::to_string(31 * day_s)});
  ASSERT_TRUE(eventually([&] { return events("subscription.expired").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return events("notice.requested", "notice-" + std::to_string(buyer)).size() == 6; }));
  const auto notices = events("notice.requested", "notice-" + std::to_string(buyer));
  EXPECT_EQ(json_field(notices[4], {"payload", "kind"}), "remove");
  EXPECT_EQ(json_field(notices[4], {"payload", "chat_id"}), std::to_string(channel));
  EXPECT_NE(json_field(notices[5], {"payload", "text"}).find("/subscribe " + std::to_string(channel)), std::string::npos);
  EXPECT_EQ(subscription_field("expiry_recorded"), "true");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(events("subscription.expired").size(), 1u) << "recorded once";
  EXPECT_EQ(events("notice.requested").size(), 6u) << "each notice once, across three restarts";
}

}  // namespace
}  // namespace telepay
