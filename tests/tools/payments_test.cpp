// Goal: NOWPayments payments end to end: the real telepayd and the NOWPayments simulator
// (tools/nowpayments-sim, Node) over loopback - invoices created over TLS with the certificate
// and host name verified, signed IPNs delivered by the simulator's own JSON.stringify - and the
// subscription lifecycle they drive. Each case checks balances and events, not only HTTP codes:
// the happy path to an active subscription; five duplicates of every IPN; finished before
// confirming; partially paid; expired; a forged signature; an IPN for an unknown order; a crash
// between IPN acceptance and activation (the restart completes it exactly once); a missed IPN
// recovered by polling; late statuses (refunded after finished, finished after partially paid)
// recorded once for review, moving no money; invoice creation that never sends a second POST
// whose first outcome is unknown (a 5xx or a timeout after NOWPayments created the invoice, a
// crash mid-request), retrying only what NOWPayments never processed (no connection, 429) and
// never a 4xx; renewal extending the expiry; and the expiry scheduler reminding, then removing
// the user.
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
  /// A POST that may take longer than http_request's 5 s (the server waits out NOWPayments'
  /// 10 s deadline).
  testing::http_reply post_waiting(const std::string& target, const std::string& body, const std::string& key) {
    const std::string raw = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                            "Authorization: Bearer " + admin + "\r\nIdempotency-Key: " + key +
                            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto replies = testing::http_exchange(daemon->port(), raw, 1, 30'000);
    return replies.empty() ? testing::http_reply{} : replies.front();
  }
  testing::http_reply sim_call(const std::string& target, const std::string& body = "") {
    return testing::http_request(control_port, body.empty() ? "GET" : "POST", target, body);
  }

  /// The body of POST /v1/admin/invoices for the buyer (tier 1), with `extra` fields.
  static std::string invoice_request(const std::string& order_id, const std::string& extra = "") {
    return R"({"user_id":)" + std::to_string(buyer) + R"(,"channel_id":)" + std::to_string(channel) +
           R"(,"tier":1,"order_id":")" + order_id + "\"" + extra + "}";
  }

  /// Creates an invoice for the buyer (tier 1) through the API; its order id.
  std::string create_invoice(const std::string& order_id) {
    auto r = post("/v1/admin/invoices", invoice_request(order_id), "inv-" + order_id);
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

  /// How many invoices the simulator (NOWPayments) holds for an order.
  std::string provider_invoices(const std::string& order_id) {
    return json_field(sim_call("/sim/invoices?order_id=" + order_id).body, {"count"});
  }
  std::string invoice_posts() { return json_field(sim_call("/sim/stats").body, {"POST /v1/invoice"}); }

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

TEST_F(PaymentsE2E, ARefundAfterFinishedIsRecordedOnceForReviewAndMovesNoMoney) {
  start_daemon();
  setup_market();
  create_invoice("o-refund");
  auto paid = pay("o-refund");
  ASSERT_TRUE(settled("o-refund")) << invoice("o-refund");
  const auto processes_before = events("process.").size();
  // NOWPayments refunds the finished payment later and says so, three times.
  auto refunded = sim_call("/sim/status", R"({"payment_id":)" + json_field(paid.body, {"payment_id"}) +
                                              R"(,"payment_status":"refunded","times":3})");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  for (int i = 0; i < 3; ++i) {
    const std::string at = std::to_string(i);
    EXPECT_EQ(json_field(refunded.body, {"deliveries", at.c_str(), "status"}), "200") << refunded.body;
    const std::string answer = json_field(refunded.body, {"deliveries", at.c_str(), "body"});
    EXPECT_EQ(json_field(answer, {"recorded"}), i == 0 ? "true" : "false") << answer;
    EXPECT_EQ(json_field(answer, {"late"}), "true") << answer;
    EXPECT_EQ(json_field(answer, {"action"}), "review") << answer;
    EXPECT_EQ(json_field(answer, {"status"}), "finished") << "the recorded status stays: " << answer;
  }
  const auto late = events("invoice.late_status_recorded", "invoice-o-refund");
  ASSERT_EQ(late.size(), 1u) << "recorded once";
  EXPECT_EQ(json_field(late[0], {"payload", "status"}), "refunded");
  EXPECT_EQ(json_field(late[0], {"payload", "recorded_status"}), "finished");
  // Visible for review on the invoice and in the list; the purchase and its money stay.
  const std::string inv = invoice("o-refund");
  EXPECT_EQ(json_field(inv, {"review"}), "true") << inv;
  EXPECT_EQ(json_field(inv, {"status"}), "finished") << inv;
  EXPECT_EQ(json_field(inv, {"payments", "0", "review"}), "true") << inv;
  EXPECT_EQ(json_field(inv, {"payments", "0", "action"}), "fund_purchase") << inv;
  EXPECT_EQ(json_field(inv, {"payments", "0", "late_statuses", "0", "status"}), "refunded") << inv;
  EXPECT_EQ(json_field(inv, {"payments", "0", "late_statuses", "1", "status"}), "") << "once: " << inv;
  EXPECT_EQ(json_field(inv, {"settlement"}), "completed: purchased");
  const std::string in_review = get("/v1/invoices?status=review").body;
  EXPECT_EQ(json_field(in_review, {"items", "0", "order_id"}), "o-refund") << in_review;
  EXPECT_EQ(json_field(in_review, {"items", "1", "order_id"}), "") << in_review;
  EXPECT_EQ(json_field(get("/v1/invoices").body, {"items", "0", "review"}), "true");
  EXPECT_EQ(balance(std::to_string(buyer)), "0");
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-9.99") << "nothing credited or debited";
  EXPECT_EQ(events("process.").size(), processes_before) << "no settlement runs for a late status";
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  auto metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("telepay_nowpayments_late_statuses_total 1\n"), std::string::npos) << metrics.body;
}

TEST_F(PaymentsE2E, FinishedAfterPartiallyPaidIsRecordedForReviewAndCreditsNothingMore) {
  start_daemon();
  setup_market();
  create_invoice("o-part-late");
  auto paid = pay("o-part-late", R"(,"scenario":"partially_paid","paid_ratio":0.5)");
  ASSERT_TRUE(settled("o-part-late"));
  const std::string credit = json_field(invoice("o-part-late"), {"payments", "0", "credit"});
  ASSERT_EQ(balance(std::to_string(buyer)), credit);
  auto finished = sim_call("/sim/status", R"({"payment_id":)" + json_field(paid.body, {"payment_id"}) +
                                              R"(,"payment_status":"finished","times":2})");
  ASSERT_EQ(finished.status, 200) << finished.body;
  EXPECT_EQ(json_field(json_field(finished.body, {"deliveries", "0", "body"}), {"recorded"}), "true") << finished.body;
  EXPECT_EQ(json_field(json_field(finished.body, {"deliveries", "1", "body"}), {"recorded"}), "false") << finished.body;
  EXPECT_EQ(events("invoice.late_status_recorded").size(), 1u);
  const std::string inv = invoice("o-part-late");
  EXPECT_EQ(json_field(inv, {"status"}), "partially_paid") << inv;
  EXPECT_EQ(json_field(inv, {"review"}), "true") << inv;
  EXPECT_EQ(json_field(inv, {"payments", "0", "late_statuses", "0", "status"}), "finished") << inv;
  EXPECT_EQ(balance(std::to_string(buyer)), credit) << "the partial credit only";
  EXPECT_EQ(balance("sys:nowpayments_clearing"), "-" + credit);
  EXPECT_EQ(events("subscription.activated").size(), 0u) << "no access from a late status";
}

TEST_F(PaymentsE2E, AnInvoiceCreatedButAnswered5xxIsNeverPostedTwiceAndCanBeLinked) {
  start_daemon();
  setup_market();
  // NOWPayments creates the invoice, then its answer is a 503.
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":503,"create":true})").status, 200);
  auto lost = post("/v1/admin/invoices", invoice_request("o-lost"), "k-lost");
  EXPECT_EQ(lost.status, 503) << lost.body;
  EXPECT_EQ(json_field(lost.body, {"error"}), "upstream_unavailable") << lost.body;
  EXPECT_NE(json_field(lost.body, {"message"}).find("not sent again"), std::string::npos) << lost.body;
  EXPECT_EQ(invoice_posts(), "1") << "a POST whose outcome is unknown is not repeated";
  EXPECT_EQ(provider_invoices("o-lost"), "1");
  std::string inv = invoice("o-lost");
  EXPECT_EQ(json_field(inv, {"creation"}), "creating") << inv;
  EXPECT_EQ(json_field(inv, {"attempts"}), "1") << inv;
  // Retrying the order (the same key, or a new one) checks the record first: still unknown, no POST.
  for (const char* key : {"k-lost", "k-lost-2"}) {
    auto again = post("/v1/admin/invoices", invoice_request("o-lost"), key);
    EXPECT_EQ(again.status, 503) << again.body;
    EXPECT_NE(json_field(again.body, {"message"}).find("o-lost"), std::string::npos) << again.body;
  }
  EXPECT_EQ(invoice_posts(), "1");
  EXPECT_EQ(provider_invoices("o-lost"), "1") << "no second provider invoice";
  // The operator finds the invoice in the NOWPayments dashboard and links it.
  const std::string found = sim_call("/sim/invoices?order_id=o-lost").body;
  const std::string id = json_field(found, {"invoices", "0", "id"});
  const std::string url = json_field(found, {"invoices", "0", "invoice_url"});
  auto linked = post("/v1/admin/invoices",
                     invoice_request("o-lost", R"(,"provider_invoice_id":")" + id + R"(","invoice_url":")" + url + "\""),
                     "k-lost-link");
  EXPECT_EQ(linked.status, 201) << linked.body;
  EXPECT_EQ(json_field(linked.body, {"url"}), url);
  EXPECT_EQ(json_field(linked.body, {"provider_invoice_id"}), id);
  inv = invoice("o-lost");
  EXPECT_EQ(json_field(inv, {"creation"}), "linked") << inv;
  EXPECT_EQ(invoice_posts(), "1");
  // And it is paid like any other.
  pay("o-lost");
  ASSERT_TRUE(settled("o-lost")) << invoice("o-lost");
  EXPECT_EQ(events("subscription.activated").size(), 1u);
  EXPECT_EQ(provider_invoices("o-lost"), "1");
  auto metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("telepay_nowpayments_invoice_unresolved_total 1\n"), std::string::npos) << metrics.body;
}

TEST_F(PaymentsE2E, AnInvoicePostThatTimesOutIsNotRepeatedUntilAnOperatorSaysNoneWasCreated) {
  start_daemon();
  setup_market();
  // The first POST never gets an answer (the client's 10 s read deadline fires).
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":"hang"})").status, 200);
  auto timed_out = post_waiting("/v1/admin/invoices", invoice_request("o-slow"), "k-slow");
  EXPECT_EQ(timed_out.status, 503) << timed_out.body;
  EXPECT_NE(json_field(timed_out.body, {"message"}).find("timed out"), std::string::npos) << timed_out.body;
  EXPECT_EQ(invoice_posts(), "1");
  auto again = post("/v1/admin/invoices", invoice_request("o-slow"), "k-slow-2");
  EXPECT_EQ(again.status, 503) << again.body;
  EXPECT_EQ(invoice_posts(), "1") << "no blind second POST";
  // The operator checked the dashboard: nothing was created. Now a new attempt is made.
  auto created = post("/v1/admin/invoices", invoice_request("o-slow", R"(,"previous_attempt":"not_created")"),
                      "k-slow-3");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(invoice_posts(), "2");
  EXPECT_EQ(provider_invoices("o-slow"), "1");
  const std::string inv = invoice("o-slow");
  EXPECT_EQ(json_field(inv, {"creation"}), "linked") << inv;
  EXPECT_EQ(json_field(inv, {"attempts"}), "2") << inv;
  EXPECT_EQ(events("invoice.creation_failed", "invoice-o-slow").size(), 1u);
}

TEST_F(PaymentsE2E, ACrashDuringAnInvoicePostLeavesTheAttemptOpenAcrossTheRestart) {
  start_daemon();
  setup_market();
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":"hang","create":true})").status, 200);
  std::thread request([&] { post("/v1/admin/invoices", invoice_request("o-crash-post"), "k-crash-post"); });
  ASSERT_TRUE(eventually([&] { return invoice_posts() == "1"; })) << "the POST was sent";
  daemon->kill_hard();
  request.join();
  daemon.reset();
  start_daemon();
  auto after = post("/v1/admin/invoices", invoice_request("o-crash-post"), "k-crash-post-2");
  EXPECT_EQ(after.status, 503) << after.body;
  EXPECT_EQ(invoice_posts(), "1") << "the attempt recorded before the POST is still open";
  EXPECT_EQ(provider_invoices("o-crash-post"), "1");
  EXPECT_EQ(json_field(invoice("o-crash-post"), {"creation"}), "creating");
}

TEST_F(PaymentsE2E, InvoiceCreationRetriesOnlyWhatWasNeverProcessedNeverA4xxAndVerifiesTheCertificate) {
  start_daemon();
  setup_market();
  // 429: NOWPayments refused to process it, so sending it again is safe.
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":2,"status":429})").status, 200);
  create_invoice("o-retry");
  EXPECT_EQ(invoice_posts(), "3");
  // A 5xx may come after the invoice was made: not repeated, even when nothing was created.
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":500})").status, 200);
  auto unknown = post("/v1/admin/invoices", invoice_request("o-500"), "k-500");
  EXPECT_EQ(unknown.status, 503) << unknown.body;
  EXPECT_EQ(invoice_posts(), "4");
  ASSERT_EQ(sim_call("/sim/fail", R"({"path":"/v1/invoice","count":1,"status":400})").status, 200);
  auto refused = post("/v1/admin/invoices", invoice_request("o-400"), "k-400");
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_EQ(json_field(refused.body, {"error"}), "upstream_failed");
  EXPECT_EQ(invoice_posts(), "5") << "a 400 is not retried";
  EXPECT_EQ(json_field(invoice("o-400"), {"creation"}), "failed");
  // A 400 created nothing: the same order id succeeds later (a new Idempotency-Key).
  auto again = post("/v1/admin/invoices", invoice_request("o-400"), "k-400b");
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(invoice_posts(), "6");
  // Without our CA the self-signed simulator is not trusted: refused, nothing sent.
  daemon->stop();
  daemon.reset();
  start_daemon({}, /*with_ca=*/false);
  auto untrusted = post("/v1/admin/invoices", invoice_request("o-tls"), "k-tls");
  EXPECT_EQ(untrusted.status, 503) << untrusted.body;
  EXPECT_NE(json_field(untrusted.body, {"message"}).find("TLS handshake"), std::string::npos) << untrusted.body;
  EXPECT_EQ(invoice_posts(), "6");
  EXPECT_EQ(json_field(invoice("o-tls"), {"creation"}), "failed") << "never sent: nothing to look for";
  // Trusted again, the same order is created.
  daemon->stop();
  daemon.reset();
  start_daemon();
  auto trusted = post("/v1/admin/invoices", invoice_request("o-tls"), "k-tls-2");
  EXPECT_EQ(trusted.status, 201) << trusted.body;
  EXPECT_EQ(provider_invoices("o-tls"), "1");
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
