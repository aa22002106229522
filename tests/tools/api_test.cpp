// Goal: the operator API of the real telepayd over real HTTP: token roles (auditor cannot write,
// unknown token 401, wrong source address 403), rate limiting (429 with Retry-After), bad input
// of every kind refused with a JSON error and nothing written, idempotent retries, dual
// approval of manual deposits, reads of every projection, the event feed, metrics and OpenAPI.
// Method: `telepayd token create` for the first admin, then telepayd on a loopback port driven
// by a plain socket client.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

std::string create_token_offline(const std::filesystem::path& data, const std::string& role) {
  auto r = testing::run_command({daemon_binary, "token", "create", "--data", data.string(), "--role", role});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  return token;
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    admin = create_token_offline(dir.path() / "data", "admin");
    daemon = std::make_unique<testing::daemon_process>(daemon_binary, dir.path() / "data");
  }

  testing::http_reply get(const std::string& token, const std::string& target) {
    return testing::http_request(daemon->port(), "GET", target, "",
                                 {{"Authorization", "Bearer " + token}});
  }

  testing::http_reply post(const std::string& token, const std::string& target,
                           const std::string& body, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + token}};
    if (!key.empty()) {
      headers.emplace_back("Idempotency-Key", key);
    }
    return testing::http_request(daemon->port(), "POST", target, body, headers);
  }

  std::string field(const std::string& json, const char* name) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
      return "";
    }
    simdjson::dom::element value;
    if (doc[name].get(value) != simdjson::SUCCESS) {
      return "";
    }
    if (value.is_string()) {
      return std::string(std::string_view(value));
    }
    return simdjson::minify(value);
  }

  std::string new_token(const std::string& role, const std::string& extra = "") {
    auto r = post(admin, "/v1/admin/tokens", R"({"role":")" + role + "\"" + extra + "}",
                  "tok-" + role + "-" + std::to_string(++tokens_made));
    EXPECT_EQ(r.status, 201) << r.body;
    return field(r.body, "token");
  }

  std::uint64_t head() {
    auto r = testing::http_request(daemon->port(), "GET", "/health");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
      return 0;
    }
    return std::uint64_t(doc["store"]["head_seq"]);
  }

  /// Polls a GET until `predicate(body)` holds (projections follow the log within milliseconds).
  testing::http_reply eventually(const std::string& token, const std::string& target,
                                 const std::function<bool(const std::string&)>& predicate) {
    testing::http_reply r;
    for (int i = 0; i < 200; ++i) {
      r = get(token, target);
      if (r.status == 200 && predicate(r.body)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return r;
  }

  /// Registers `user` and credits `amount` USDT through a manual deposit `requester` asks for
  /// and `approver` approves; waits until the balance shows it.
  void fund(const std::string& requester, const std::string& approver, std::int64_t user, const std::string& amount) {
    register_user(requester, user);
    const std::string id = "fund-" + std::to_string(user);
    auto requested = post(requester, "/v1/admin/manual-deposits",
                          R"({"id":")" + id + R"(","user_id":)" + std::to_string(user) + R"(,"amount":")" + amount +
                              R"(","reference":"SEPA"})",
                          id);
    ASSERT_EQ(requested.status, 200) << requested.body;
    auto approved = post(approver, "/v1/admin/manual-deposits/" + id + "/approve", "{}", id + "-ok");
    ASSERT_EQ(approved.status, 200) << approved.body;
    const std::string shown = "\"available\":\"" + amount + "\"";
    auto balances = eventually(approver, "/v1/users/" + std::to_string(user) + "/balances",
                               [&](const std::string& b) { return b.find(shown) != std::string::npos; });
    ASSERT_NE(balances.body.find(shown), std::string::npos) << balances.body;
  }

  /// Registers channel `id` (owner 5, one tier of 10 USD for 30 days) with `strategy`.
  void add_channel(std::int64_t id, const std::string& strategy = R"("payout_strategy":"instant")") {
    const std::string channel = std::to_string(id);
    auto r = post(admin, "/v1/admin/channels",
                  R"({"channel_id":)" + channel + R"(,"owner_id":5,"title":"T","tiers":[{"price":"10","days":30}],)" +
                      strategy + R"(,"payout_address":")" + address + R"("})",
                  "chan" + channel);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void register_user(const std::string& token, std::int64_t id) {
    auto r = post(token, "/v1/admin/users", R"({"user_id":)" + std::to_string(id) + R"(,"username":"u"})",
                  "reg-" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  testing::temp_dir dir;
  std::string admin;
  std::unique_ptr<testing::daemon_process> daemon;
  int tokens_made = 0;
};

TEST_F(ApiTest, RolesDecideWhoMayReadAndWrite) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string auditor = new_token("auditor");
  EXPECT_EQ(get(auditor, "/v1/channels").status, 200);
  auto write = post(auditor, "/v1/admin/users/5/ban", R"({"reason":"spam"})", "k1");
  EXPECT_EQ(write.status, 403) << write.body;
  EXPECT_EQ(field(write.body, "error"), "forbidden");
  const std::string op = new_token("operator");
  EXPECT_EQ(post(op, "/v1/admin/settings", R"({"key":"platform_fee_bps","value":"500"})", "k2").status, 403);
  EXPECT_EQ(post(admin, "/v1/admin/settings", R"({"key":"platform_fee_bps","value":"500"})", "k3").status, 200);
  EXPECT_EQ(get("", "/v1/channels").status, 401);
  EXPECT_EQ(get("tp_AAAAAAAAAAAA_" + std::string(43, 'x'), "/v1/channels").status, 401);
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/v1/channels").status, 401);
  // A revoked token stops working.
  const std::string doomed = new_token("auditor");
  const std::string doomed_id = doomed.substr(3, 12);
  ASSERT_EQ(post(admin, "/v1/admin/tokens/" + doomed_id + "/revoke", "{}", "rv1").status, 200);
  auto after = eventually(admin, "/v1/audit-log", [](const std::string&) { return true; });
  for (int i = 0; i < 100 && get(doomed, "/v1/channels").status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(get(doomed, "/v1/channels").status, 401);
}

TEST_F(ApiTest, IpAllowlistAndRateLimit) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string elsewhere = new_token("auditor", R"(,"allowed_cidrs":["10.0.0.0/8"])");
  auto refused = get(elsewhere, "/v1/channels");
  EXPECT_EQ(refused.status, 403) << refused.body;
  const std::string here = new_token("auditor", R"(,"allowed_cidrs":["127.0.0.0/8"])");
  EXPECT_EQ(get(here, "/v1/channels").status, 200);
  const std::string slow = new_token("auditor", R"(,"rate_per_second":1,"burst":3)");
  int ok = 0;
  testing::http_reply limited;
  for (int i = 0; i < 10; ++i) {
    auto r = get(slow, "/v1/channels");
    if (r.status == 200) {
      ++ok;
    } else {
      limited = r;
    }
  }
  EXPECT_LE(ok, 4);
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.header("retry-after").empty());
  EXPECT_EQ(field(limited.body, "error"), "rate_limited");
}

TEST_F(ApiTest, BadInputIsRefusedAndWritesNothing) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::uint64_t before = head();
  const std::string channel_body = R"({"channel_id":-100,"owner_id":5,"title":"T","tiers":[{"price":"9.99","days":30}],"payout_strategy":"instant","payout_address":")" + address + R"("})";
  struct bad_case {
    std::string body;
    int status;
  };
  const std::vector<bad_case> cases = {
      {"{", 400},                                                       // malformed JSON
      {"[1,2]", 400},                                                   // not an object
      {R"({"channel_id":"-100"})", 400},                                // wrong type
      {channel_body.substr(0, channel_body.size() - 1) + R"(,"extra":1})", 400},  // unknown field
      {R"({"channel_id":-100,"owner_id":5,"title":"T","tiers":[{"price":9.99,"days":30}],"payout_strategy":"instant","payout_address":")" + address + R"("})", 400},  // a number as money
      {R"({"channel_id":-100,"owner_id":5,"title":"T","tiers":[{"price":"9.99","days":30}],"payout_strategy":"instant","payout_address":"0x7F31abEa73053A3e049Eaa0f8E73d351DA173228"})", 400},  // bad checksum
      {R"({"channel_id":-100,"owner_id":5,"title":"T","tiers":[],"payout_strategy":"instant","payout_address":")" + address + R"("})", 400},  // no tiers
  };
  int n = 0;
  for (const auto& c : cases) {
    auto r = post(admin, "/v1/admin/channels", c.body, "bad-" + std::to_string(++n));
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_FALSE(field(r.body, "error").empty()) << r.body;
    EXPECT_FALSE(field(r.body, "message").empty()) << r.body;
  }
  // No idempotency key, and a body over the limit.
  EXPECT_EQ(post(admin, "/v1/admin/channels", channel_body, "").status, 400);
  const std::string huge = R"({"reason":")" + std::string(70 * 1024, 'x') + R"("})";
  EXPECT_EQ(post(admin, "/v1/admin/users/5/ban", huge, "huge").status, 413);
  EXPECT_EQ(get(admin, "/v1/users/abc").status, 400);
  EXPECT_EQ(get(admin, "/v1/users/5/balances?at=yesterday").status, 400);
  EXPECT_EQ(get(admin, "/v1/nothing").status, 404);
  // Only the admin log grew (each refused command is recorded); no channel exists.
  auto channels = eventually(admin, "/v1/channels", [](const std::string&) { return true; });
  EXPECT_EQ(channels.body, R"({"has_more":false,"items":[],"next_cursor":null})");
  auto events = get(admin, "/v1/events?from=" + std::to_string(before + 1) + "&limit=1000");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.body.find("channel.registered"), std::string::npos);
}

TEST_F(ApiTest, RetriesWithTheSameKeyGetTheFirstAnswer) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string body = R"({"channel_id":-100,"owner_id":5,"title":"T","tiers":[{"price":"9.99","days":30}],"payout_strategy":"instant","payout_address":")" + address + R"("})";
  auto first = post(admin, "/v1/admin/channels", body, "chan-1");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::uint64_t after_first = head();
  auto again = post(admin, "/v1/admin/channels", body, "chan-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("idempotent-replay"), "true");
  EXPECT_EQ(head(), after_first);  // nothing new written
  auto other = post(admin, "/v1/admin/channels", body + " ", "chan-1");
  EXPECT_EQ(other.status, 422) << other.body;
  // The same command under a new key is a new command: the channel exists already.
  auto fresh = post(admin, "/v1/admin/channels", body, "chan-2");
  EXPECT_EQ(fresh.status, 409) << fresh.body;
  EXPECT_EQ(field(fresh.body, "error"), "channel_exists");
  // Every admin command is in the audit log with the token that sent it.
  auto log = eventually(admin, "/v1/audit-log", [](const std::string& b) { return b.find("chan-2") != std::string::npos; });
  EXPECT_NE(log.body.find(admin.substr(3, 12)), std::string::npos);
  EXPECT_NE(log.body.find("/v1/admin/channels"), std::string::npos);
}

// Issue 13: a manual deposit for a user who does not exist was recorded and could be
// "approved" (the list said approved, nothing was credited). Now it is refused before anything
// is recorded, and the refusal is not remembered under its key: the same retry works once the
// user is registered.
TEST_F(ApiTest, AManualDepositForAnUnregisteredUserIsRefusedAndNothingIsRecorded) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  const std::string body = R"({"id":"bank-9","user_id":4242,"amount":"50","reference":"SEPA 9"})";
  const std::uint64_t before = head();
  auto refused = post(alice, "/v1/admin/manual-deposits", body, "md-unreg-1");
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_EQ(field(refused.body, "error"), "user_not_registered") << refused.body;
  auto approve = post(bob, "/v1/admin/manual-deposits/bank-9/approve", "{}", "md-unreg-2");
  EXPECT_EQ(approve.status, 404) << approve.body;
  EXPECT_EQ(field(approve.body, "error"), "manual_deposit_not_found") << approve.body;
  auto events = get(bob, "/v1/events?from=" + std::to_string(before + 1) + "&limit=1000");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.body.find("manual_deposit."), std::string::npos) << events.body;
  // The cause fixed, the same request under the same key runs (it is not replayed as 404).
  register_user(alice, 4242);
  auto retried = post(alice, "/v1/admin/manual-deposits", body, "md-unreg-1");
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.header("idempotent-replay"), "");
  auto approved = post(bob, "/v1/admin/manual-deposits/bank-9/approve", "{}", "md-unreg-2");
  EXPECT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(field(approved.body, "outcome"), "completed") << approved.body;
  auto balances = eventually(bob, "/v1/users/4242/balances", [](const std::string& b) {
    return b.find("\"available\":\"50\"") != std::string::npos;
  });
  EXPECT_NE(balances.body.find("\"available\":\"50\""), std::string::npos) << balances.body;
}

// Issue 13: with no chain gateway, a withdrawal answered 200 "approved" and held the user's
// money for ever; a broadcast answered 202 and sat in "created" with no Telegram to send it.
// Both are refused now, before anything is held or recorded.
TEST_F(ApiTest, WithoutItsGatewayAWithdrawalOrABroadcastIsRefusedAndNothingIsHeld) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  fund(alice, bob, 4343, "100");
  const std::uint64_t before = head();
  auto refused = post(alice, "/v1/admin/withdrawals",
                      R"({"id":"w-43","user_id":4343,"amount":"25","address":"0x7F31abEa73053A3e049Eaa0f8E73d351DA173229"})",
                      "wd-43");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(field(refused.body, "error"), "chain_not_configured") << refused.body;
  EXPECT_NE(field(refused.body, "message").find("nothing was held"), std::string::npos) << refused.body;
  auto broadcast = post(alice, "/v1/admin/broadcasts", R"({"id":"bc-43","text":"hello","segment":"all"})", "bc-43");
  EXPECT_EQ(broadcast.status, 503) << broadcast.body;
  EXPECT_EQ(field(broadcast.body, "error"), "not_configured") << broadcast.body;
  auto events = get(bob, "/v1/events?from=" + std::to_string(before + 1) + "&limit=1000");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.body.find("withdrawal."), std::string::npos) << events.body;
  EXPECT_EQ(events.body.find("wallet.held"), std::string::npos) << events.body;
  EXPECT_EQ(events.body.find("broadcast."), std::string::npos) << events.body;
  auto balances = get(bob, "/v1/users/4343/balances");
  EXPECT_NE(balances.body.find("\"available\":\"100\""), std::string::npos) << balances.body;
  EXPECT_EQ(get(bob, "/v1/withdrawals/w-43").status, 404);
}

// Issue 13: a purchase id reused with other terms (another channel) answered 200
// "outcome":"completed" and bought nothing. It is refused with 422 (as manual deposits are), and
// the same terms under a new Idempotency-Key are still the same purchase, paid once.
TEST_F(ApiTest, APurchaseIdReusedForAnotherChannelIsRefused) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  add_channel(-5001);
  add_channel(-5002);
  fund(alice, bob, 4444, "50");
  auto bought = post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-44","user_id":4444,"channel_id":-5001,"tier":1})",
                     "buy-1");
  ASSERT_EQ(bought.status, 200) << bought.body;
  EXPECT_EQ(field(bought.body, "outcome"), "completed") << bought.body;
  auto other = post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-44","user_id":4444,"channel_id":-5002,"tier":1})",
                    "buy-2");
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(field(other.body, "error"), "idempotency_key_reused_with_different_payload") << other.body;
  EXPECT_NE(field(other.body, "message").find("channel -5001"), std::string::npos) << other.body;
  auto same = post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-44","user_id":4444,"channel_id":-5001,"tier":1})",
                   "buy-3");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(field(same.body, "outcome"), "completed") << same.body;
  auto balances = eventually(bob, "/v1/users/4444/balances",
                             [](const std::string& b) { return b.find("\"available\":\"40\"") != std::string::npos; });
  EXPECT_NE(balances.body.find("\"available\":\"40\""), std::string::npos) << "paid once: " << balances.body;
  auto subscriptions = get(bob, "/v1/subscriptions?channel=-5002");
  EXPECT_EQ(subscriptions.body.find("4444"), std::string::npos) << subscriptions.body;
}

// Issue 13 item 2: a purchase could not be undone. An operator refunds it once, with a reason:
// the buyer gets back what was paid and the refund is a process read back like any other.
TEST_F(ApiTest, APurchaseIsRefundedOnceWithAReason) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  add_channel(-5401, R"("payout_strategy":"threshold","payout_threshold":"1000")");
  fund(alice, bob, 4545, "50");
  ASSERT_EQ(post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-r1","user_id":4545,"channel_id":-5401,"tier":1})",
                 "buy-r1")
                .status,
            200);
  auto unknown = post(alice, "/v1/admin/purchases/p-none/refund", R"({"reason":"typo"})", "refund-0");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(field(unknown.body, "error"), "purchase_not_found") << unknown.body;
  EXPECT_EQ(post(alice, "/v1/admin/purchases/p-r1/refund", R"({})", "refund-1").status, 400);
  auto refunded = post(alice, "/v1/admin/purchases/p-r1/refund", R"({"reason":"charged twice"})", "refund-2");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(field(refunded.body, "outcome"), "refunded") << refunded.body;
  EXPECT_EQ(field(refunded.body, "process"), "refund:p-r1") << refunded.body;
  auto again = post(bob, "/v1/admin/purchases/p-r1/refund", R"({"reason":"again"})", "refund-3");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(field(again.body, "outcome"), "refunded") << "once: " << again.body;
  auto balances = eventually(bob, "/v1/users/4545/balances",
                             [](const std::string& b) { return b.find("\"available\":\"50\"") != std::string::npos; });
  EXPECT_NE(balances.body.find("\"available\":\"50\""), std::string::npos) << "paid back once: " << balances.body;
  auto channel = get(bob, "/v1/accounts/ch:-5401/balances");
  EXPECT_NE(channel.body.find(R"("balance":"0")"), std::string::npos) << channel.body;
}

// Issue 13: a coupon could be created and never withdrawn. Disabled, it is refused at
// checkout and nothing is charged; disabling again changes nothing; an unknown code is 404.
TEST_F(ApiTest, ADisabledCouponIsRefusedAtCheckout) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  add_channel(-5101);
  fund(alice, bob, 4545, "50");
  auto coupon = post(alice, "/v1/admin/coupons",
                     R"({"code":"HALF","kind":"percent","percent_bps":5000,"usage_limit":0,"expires_at":"2099-01-01T00:00:00Z"})",
                     "coupon-half");
  ASSERT_EQ(coupon.status, 200) << coupon.body;
  auto disabled = post(alice, "/v1/admin/coupons/half/disable", "", "coupon-half-off");
  EXPECT_EQ(disabled.status, 200) << disabled.body;
  auto again = post(bob, "/v1/admin/coupons/HALF/disable", "", "coupon-half-off-2");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(post(alice, "/v1/admin/coupons/NOPE/disable", "", "coupon-nope").status, 404);
  auto refused = post(alice, "/v1/admin/purchases",
                      R"({"purchase_id":"p-45","user_id":4545,"channel_id":-5101,"tier":1,"coupon":"HALF"})", "buy-45");
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_EQ(field(refused.body, "error"), "coupon_not_found") << refused.body;
  auto balances = eventually(bob, "/v1/users/4545/balances",
                             [](const std::string& b) { return b.find("\"available\":\"50\"") != std::string::npos; });
  EXPECT_NE(balances.body.find("\"available\":\"50\""), std::string::npos) << "nothing charged: " << balances.body;
}

/// The list item of `body` (a page) whose `name` field reads `value` (strings as is, other
/// values minified), or "" when there is none.
std::string item_where(const std::string& body, const char* name, const std::string& value) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS || doc["items"].get(items) != simdjson::SUCCESS) return "";
  for (simdjson::dom::element item : items) {
    simdjson::dom::element v;
    if (item[name].get(v) != simdjson::SUCCESS) continue;
    const std::string text = v.is_string() ? std::string(std::string_view(v)) : simdjson::minify(v);
    if (text == value) return simdjson::minify(item);
  }
  return "";
}

std::size_t item_count(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS || doc["items"].get(items) != simdjson::SUCCESS) return 0;
  return items.size();
}

// Issue 13 item 4: coupons could only be read one code at a time, and their usage not at all.
// The list shows every coupon with its uses, the discount given, its times and its status now;
// the status filter takes only the statuses it knows.
TEST_F(ApiTest, CouponsAreListedWithTheirUsageAndStatus) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  add_channel(-5601);
  fund(alice, bob, 4601, "50");
  ASSERT_EQ(post(alice, "/v1/admin/coupons",
                 R"({"code":"HALF","kind":"percent","percent_bps":5000,"usage_limit":10,"expires_at":"2099-01-01T00:00:00Z"})",
                 "c-half")
                .status,
            200);
  ASSERT_EQ(post(alice, "/v1/admin/coupons",
                 R"({"code":"GONE","kind":"fixed","fixed":"1.50","usage_limit":0,"expires_at":"2099-01-01T00:00:00Z"})",
                 "c-gone")
                .status,
            200);
  ASSERT_EQ(post(alice, "/v1/admin/coupons/gone/disable", "", "c-gone-off").status, 200);
  auto bought = post(alice, "/v1/admin/purchases",
                     R"({"purchase_id":"p-46","user_id":4601,"channel_id":-5601,"tier":1,"coupon":"HALF"})", "buy-46");
  ASSERT_EQ(bought.status, 200) << bought.body;

  auto list = eventually(bob, "/v1/coupons", [&](const std::string& b) {
    return item_where(b, "code", "HALF").find(R"("uses":1)") != std::string::npos &&
           !item_where(b, "code", "GONE").empty();
  });
  ASSERT_EQ(list.status, 200) << list.body;
  const std::string half = item_where(list.body, "code", "HALF");
  EXPECT_NE(half.find(R"("uses":1)"), std::string::npos) << list.body;
  EXPECT_NE(half.find(R"("discount_given":"5")"), std::string::npos) << half;
  EXPECT_NE(half.find(R"("status":"active")"), std::string::npos) << half;
  EXPECT_NE(half.find(R"("last_used_at":")"), std::string::npos) << half;
  EXPECT_NE(half.find("alice"), std::string::npos) << "created_by: " << half;
  const std::string gone = item_where(list.body, "code", "GONE");
  EXPECT_NE(gone.find(R"("status":"disabled")"), std::string::npos) << gone;
  EXPECT_NE(gone.find(R"("fixed":"1.5")"), std::string::npos) << gone;
  EXPECT_NE(gone.find(R"("disabled_at":")"), std::string::npos) << gone;
  EXPECT_EQ(gone.find("last_used_at"), std::string::npos) << "never used: " << gone;

  // Filters take the names the answers use (channel_id), as well as the older ones.
  auto subscribed = eventually(bob, "/v1/subscriptions?channel_id=-5601",
                               [](const std::string& b) { return b.find(R"("user_id":4601)") != std::string::npos; });
  EXPECT_FALSE(item_where(subscribed.body, "user_id", "4601").empty()) << subscribed.body;
  EXPECT_EQ(item_count(get(bob, "/v1/subscriptions?channel_id=-5602").body), 0u);
  EXPECT_EQ(item_count(get(bob, "/v1/payouts?channel_id=-5602").body), 0u);

  auto disabled = get(bob, "/v1/coupons?status=disabled");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(item_count(disabled.body), 1u) << disabled.body;
  EXPECT_FALSE(item_where(disabled.body, "code", "GONE").empty()) << disabled.body;
  auto bogus = get(bob, "/v1/coupons?status=bogus");
  EXPECT_EQ(bogus.status, 400) << bogus.body;
  EXPECT_NE(field(bogus.body, "message").find("status"), std::string::npos) << bogus.body;
}

// Issue 13 item 3: list items carried "key":"00000000000000000042" instead of ids, records
// lacked their times, and nothing could be asked for by time. Items name themselves by their
// ids, records carry when they were requested and decided, and the audit log, processes,
// invoices and events take [since, until).
TEST_F(ApiTest, ListItemsNameTheirIdsCarryTheirTimesAndFilterByTime) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  fund(alice, bob, 4701, "50");

  auto users = get(bob, "/v1/users");
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_EQ(users.body.find(R"("key")"), std::string::npos) << users.body;
  EXPECT_FALSE(item_where(users.body, "user_id", "4701").empty()) << users.body;
  EXPECT_NE(item_where(users.body, "user_id", "4701").find(R"("referral_code":"r3ml")"), std::string::npos)
      << users.body;  // "r" + base 36 of 4701
  auto deposits = eventually(bob, "/v1/manual-deposits",
                             [](const std::string& b) { return b.find("decided_at") != std::string::npos; });
  const std::string deposit = item_where(deposits.body, "id", "fund-4701");
  ASSERT_FALSE(deposit.empty()) << deposits.body;
  EXPECT_NE(deposit.find(R"("asset":"USDT")"), std::string::npos) << deposit;
  EXPECT_NE(deposit.find(R"("requested_at":")"), std::string::npos) << deposit;
  EXPECT_NE(deposit.find(R"("decided_at":")"), std::string::npos) << deposit;
  // A cursor is a next_cursor the list gave: another one is refused, not a page from elsewhere.
  auto first = get(bob, "/v1/users?limit=1");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string next = field(first.body, "next_cursor");
  if (!next.empty() && next != "null") {
    EXPECT_EQ(get(bob, "/v1/users?limit=1&cursor=" + next).status, 200);
  }
  auto forged = get(bob, "/v1/users?cursor=zzz");
  EXPECT_EQ(forged.status, 400) << forged.body;
  EXPECT_NE(field(forged.body, "message").find("cursor"), std::string::npos) << forged.body;
  auto audit = get(bob, "/v1/audit-log");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.body.find(R"("key")"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find(R"({"seq":)"), std::string::npos) << audit.body;

  const std::string past = "2000-01-01T00:00:00Z";
  const std::string future = "2099-01-01T00:00:00Z";
  for (const std::string list : {"/v1/audit-log", "/v1/processes", "/v1/invoices"}) {
    auto all = get(bob, list + "?since=" + past + "&until=" + future);
    EXPECT_EQ(all.status, 200) << list << all.body;
    auto later = get(bob, list + "?since=" + future);
    EXPECT_EQ(later.status, 200) << list << later.body;
    EXPECT_EQ(item_count(later.body), 0u) << list << later.body;
    auto earlier = get(bob, list + "?until=" + past);
    EXPECT_EQ(item_count(earlier.body), 0u) << list << earlier.body;
    auto backwards = get(bob, list + "?since=" + future + "&until=" + past);
    EXPECT_EQ(backwards.status, 400) << list << backwards.body;
    EXPECT_NE(field(backwards.body, "message").find("until"), std::string::npos) << backwards.body;
    auto unreadable = get(bob, list + "?since=yesterday");
    EXPECT_EQ(unreadable.status, 400) << list << unreadable.body;
    EXPECT_NE(field(unreadable.body, "message").find("since"), std::string::npos) << unreadable.body;
  }
  EXPECT_GT(item_count(get(bob, "/v1/audit-log?since=" + past).body), 0u);
  EXPECT_GT(item_count(get(bob, "/v1/processes?since=" + past).body), 0u);
  auto events = get(bob, "/v1/events?since=" + past + "&until=" + future);
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find("manual_deposit.approved"), std::string::npos) << events.body;
  EXPECT_EQ(get(bob, "/v1/events?since=" + future).body, "");
  EXPECT_EQ(get(bob, "/v1/events?until=" + past).body, "");
}

// Issue 13: a channel's tiers, strategy and address (even after a second operator approved a
// new one), the settings and their defaults, tokens, coupons and a user's referral code could
// not be read back; an unknown user's referrals answered 200 with zeros.
TEST_F(ApiTest, WhatAnOperatorSetsCanBeReadBack) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  ASSERT_EQ(post(admin, "/v1/admin/channels",
                 R"({"channel_id":-5201,"owner_id":5,"title":"Signals","tiers":[{"price":"9.99","days":30},{"price":"24.5","days":90}],"payout_strategy":"threshold","payout_threshold":"50","payout_address":")" +
                     address + R"("})",
                 "chan-5201")
                .status,
            200);
  const std::string other = "0x52908400098527886E0F7030069857D2E4169EE7";
  ASSERT_EQ(post(alice, "/v1/admin/channels/-5201/payout-address", R"({"address":")" + other + R"("})", "addr-5201")
                .status,
            200);
  auto config = get(bob, "/v1/channels/-5201/config");
  ASSERT_EQ(config.status, 200) << config.body;
  EXPECT_EQ(field(config.body, "payout_strategy"), "threshold");
  EXPECT_EQ(field(config.body, "payout_threshold"), "50");
  EXPECT_EQ(field(config.body, "payout_address"), address);
  EXPECT_NE(field(config.body, "payout_address_change").find(other), std::string::npos) << config.body;
  EXPECT_NE(field(config.body, "tiers").find(R"("price":"24.5")"), std::string::npos) << config.body;
  ASSERT_EQ(post(bob, "/v1/admin/channels/-5201/payout-address/approve", R"({"address":")" + other + R"("})",
                 "addr-5201-ok")
                .status,
            200);
  config = get(bob, "/v1/channels/-5201/config");
  EXPECT_EQ(field(config.body, "payout_address"), other) << config.body;
  EXPECT_EQ(field(config.body, "payout_address_change"), "") << config.body;
  EXPECT_EQ(get(bob, "/v1/channels/-9999/config").status, 404);

  ASSERT_EQ(post(admin, "/v1/admin/settings", R"({"key":"platform_fee_bps","value":"500"})", "fee-500").status, 200);
  auto settings = get(bob, "/v1/settings");
  ASSERT_EQ(settings.status, 200) << settings.body;
  EXPECT_NE(settings.body.find(R"("default":"1000","description":)"), std::string::npos) << settings.body;
  EXPECT_NE(settings.body.find(R"("key":"platform_fee_bps","value":"500")"), std::string::npos) << settings.body;

  auto tokens = get(bob, "/v1/tokens");
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  EXPECT_NE(tokens.body.find(R"("operator":"alice")"), std::string::npos) << tokens.body;
  EXPECT_EQ(tokens.body.find("secret"), std::string::npos) << "no secret, not even its hash: " << tokens.body;
  EXPECT_NE(tokens.body.find(alice.substr(3, 12)), std::string::npos) << tokens.body;

  ASSERT_EQ(post(alice, "/v1/admin/coupons",
                 R"({"code":"Half","kind":"percent","percent_bps":5000,"usage_limit":10,"expires_at":"2099-01-01T00:00:00Z"})",
                 "coupon-half")
                .status,
            200);
  auto coupon = get(bob, "/v1/coupons/half");
  ASSERT_EQ(coupon.status, 200) << coupon.body;
  EXPECT_EQ(field(coupon.body, "code"), "HALF");
  EXPECT_EQ(field(coupon.body, "percent_bps"), "5000");
  EXPECT_EQ(field(coupon.body, "usage_limit"), "10");
  EXPECT_EQ(field(coupon.body, "uses"), "0");
  EXPECT_EQ(get(bob, "/v1/coupons/NOPE").status, 404);

  register_user(alice, 4646);
  auto user = eventually(bob, "/v1/users/4646", [](const std::string&) { return true; });
  EXPECT_EQ(field(user.body, "referral_code"), "r3l2") << user.body;  // "r" + base 36 of 4646
  auto referrals = get(bob, "/v1/referrals/4646");
  EXPECT_EQ(referrals.status, 200) << referrals.body;
  EXPECT_EQ(field(referrals.body, "referral_code"), "r3l2") << referrals.body;
  EXPECT_EQ(get(bob, "/v1/referrals/777777").status, 404) << "an unknown user is not 200 with zeros";
}

// Issue 13: statements and point-in-time balances existed for users only, and the wallets
// filter matched owners as a string prefix ("4" matched users 42 and 43). Every account (user,
// channel, system) has both; filters match exactly; a bad filter value is a 400 naming it.
TEST_F(ApiTest, EveryAccountHasAStatementAndBalancesAtAPointInTime) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  ASSERT_EQ(post(admin, "/v1/admin/channels",
                 R"({"channel_id":-5301,"owner_id":5,"title":"T","tiers":[{"price":"10","days":30}],"payout_strategy":"threshold","payout_threshold":"1000","payout_address":")" +
                     address + R"("})",
                 "chan-5301")
                .status,
            200);
  fund(alice, bob, 4, "50");
  fund(alice, bob, 42, "50");
  const std::uint64_t before_purchase = head();
  ASSERT_EQ(post(alice, "/v1/admin/purchases", R"({"purchase_id":"p-s42","user_id":42,"channel_id":-5301,"tier":1})",
                 "buy-s42")
                .status,
            200);
  // A user's statement: the deposit, then the purchase's hold and its posting, balance after each.
  auto statement = get(bob, "/v1/accounts/42/statement?asset=USDT");
  ASSERT_EQ(statement.status, 200) << statement.body;
  EXPECT_EQ(field(statement.body, "balance"), "40") << statement.body;
  EXPECT_EQ(field(statement.body, "owner"), "42");
  EXPECT_NE(statement.body.find(R"("balance_after":"50","change":"+50")"), std::string::npos) << statement.body;
  auto first = get(bob, "/v1/accounts/42/statement?limit=1");
  EXPECT_EQ(field(first.body, "has_more"), "true") << first.body;
  EXPECT_EQ(field(first.body, "next_after_version"), "1") << first.body;
  auto rest = get(bob, "/v1/accounts/42/statement?after_version=1");
  EXPECT_EQ(rest.body.find(R"("change":"+50")"), std::string::npos) << "the next page starts after it: " << rest.body;
  // A system account and a channel.
  auto clearing = get(bob, "/v1/accounts/sys:manual_clearing/statement");
  ASSERT_EQ(clearing.status, 200) << clearing.body;
  EXPECT_EQ(field(clearing.body, "balance"), "-100") << clearing.body;
  auto channel_now = get(bob, "/v1/accounts/ch:-5301/balances");
  ASSERT_EQ(channel_now.status, 200) << channel_now.body;
  EXPECT_NE(channel_now.body.find(R"("balance":"9")"), std::string::npos) << channel_now.body;
  auto channel_then = get(bob, "/v1/accounts/ch:-5301/balances?at=" + std::to_string(before_purchase));
  ASSERT_EQ(channel_then.status, 200) << channel_then.body;
  EXPECT_EQ(field(channel_then.body, "wallets"), "[]") << "nothing before the purchase: " << channel_then.body;
  EXPECT_EQ(get(bob, "/v1/accounts/ch:-5301/balances?at=99999999").status, 400);
  EXPECT_EQ(get(bob, "/v1/accounts/nobody/balances").status, 404);
  EXPECT_EQ(get(bob, "/v1/accounts/42/statement?asset=EUR").status, 400);
  // Exact owners: "4" is user 4, not users 4 and 42.
  auto four = eventually(bob, "/v1/wallets?owner=4",
                         [](const std::string& b) { return b.find("wallet-4-USDT") != std::string::npos; });
  EXPECT_NE(four.body.find("wallet-4-USDT"), std::string::npos) << four.body;
  EXPECT_EQ(four.body.find("wallet-42-USDT"), std::string::npos) << four.body;
  auto bogus = get(bob, "/v1/wallets?kind=bogus");
  EXPECT_EQ(bogus.status, 400) << bogus.body;
  EXPECT_NE(bogus.body.find("kind"), std::string::npos) << bogus.body;
}

TEST_F(ApiTest, ManualDepositsNeedASecondOperator) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  // Two people: tokens name their operator (a second token of the same operator is no second
  // pair of eyes, tests/tools/dual_control_test.cpp).
  const std::string alice = new_token("operator", R"(,"operator":"alice")");
  const std::string bob = new_token("operator", R"(,"operator":"bob")");
  register_user(alice, 42);
  auto requested = post(alice, "/v1/admin/manual-deposits",
                        R"({"id":"bank-1","user_id":42,"amount":"250.5","reference":"SEPA 4411"})", "md-1");
  ASSERT_EQ(requested.status, 200) << requested.body;
  auto self_approval = post(alice, "/v1/admin/manual-deposits/bank-1/approve", "{}", "md-2");
  EXPECT_EQ(self_approval.status, 409) << self_approval.body;
  EXPECT_EQ(field(self_approval.body, "error"), "approval_same_operator");
  auto approved = post(bob, "/v1/admin/manual-deposits/bank-1/approve", "{}", "md-3");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(field(approved.body, "outcome"), "completed");
  auto balances = eventually(bob, "/v1/users/42/balances", [](const std::string& b) {
    return b.find("\"available\":\"250.5\"") != std::string::npos;
  });
  EXPECT_NE(balances.body.find("\"available\":\"250.5\""), std::string::npos) << balances.body;
  // Approving again neither errs nor credits twice.
  auto twice = post(bob, "/v1/admin/manual-deposits/bank-1/approve", "{}", "md-4");
  EXPECT_EQ(twice.status, 200) << twice.body;
  auto deposits = eventually(bob, "/v1/manual-deposits?status=approved",
                             [](const std::string& b) { return b.find("bank-1") != std::string::npos; });
  EXPECT_NE(deposits.body.find("op:alice"), std::string::npos) << deposits.body;
  EXPECT_NE(deposits.body.find("op:bob"), std::string::npos);
  auto rejected = post(bob, "/v1/admin/manual-deposits/bank-1/reject", R"({"reason":"late"})", "md-5");
  EXPECT_EQ(rejected.status, 409);
  // Balances as of a seq before the deposit show nothing.
  auto early = get(bob, "/v1/users/42/balances?at=1");
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_EQ(early.body.find("250.5"), std::string::npos);
  auto wallets = eventually(bob, "/v1/wallets?kind=system", [](const std::string& b) {
    return b.find("manual_clearing") != std::string::npos;
  });
  EXPECT_NE(wallets.body.find("\"balance\":\"-250.5\""), std::string::npos) << wallets.body;
}

TEST_F(ApiTest, EventsMetricsOpenApiAndHealth) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  auto events = get(admin, "/v1/events?from=1&limit=10");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.header("content-type"), "application/x-ndjson");
  EXPECT_NE(events.body.find("\"type\":\"token.created\""), std::string::npos);
  EXPECT_EQ(events.body.find("secret\":\"tp_"), std::string::npos);  // only the hash is stored
  auto metrics = get(admin, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* name : {"telepay_appends_total", "telepay_append_latency_seconds_bucket",
                           "telepay_projection_lag_events", "telepay_http_requests_total",
                           "telepay_live_actors", "telepay_passivations_total"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
  auto openapi = testing::http_request(daemon->port(), "GET", "/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_EQ(field(openapi.body, "openapi"), "3.0.3");
  auto health = testing::http_request(daemon->port(), "GET", "/health");
  EXPECT_EQ(field(health.body, "ready"), "true");
}

}  // namespace
}  // namespace telepay
