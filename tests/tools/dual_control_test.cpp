// Goal: dual control that one rogue admin cannot walk around, against the real telepayd: an
// approval must come from another operator (another person, not another token of the same
// one); withdrawals of 999 each reach a second operator once the user's 24-hour sum passes its
// limit; once two admins exist, an admin alone can neither mint a write token for a new
// operator nor raise a withdrawal limit (both wait for the other admin), and revoking the other
// admin does not switch that off; every such change is announced (log and metric); withdrawals
// and payout addresses to a blacklisted wallet are refused.
// Method: `telepayd token create` for the first admin (operator "owner"), then telepayd on a
// loopback port driven by a plain socket client; money comes in as approved manual deposits.

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_field.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

/// Withdrawals need a hot wallet to send them (without one they are refused). Its node is not
/// reachable here (port 1 refuses connections), so a send is queued and never signed: the
/// state in which a withdrawal can still be cancelled.
std::vector<std::string> chain_environment() {
  return {"TELEPAY_CHAIN_RPC_URL=http://127.0.0.1:1", "TELEPAY_CHAIN_ID=56",
          "TELEPAY_CHAIN_TOKEN=0x55d398326f99059ff775485246999027b3197955",
          "TELEPAY_CHAIN_HOT_KEY=0x0bca2c4f0fbab0c86d82054a11f28b2ea56d268139d1ce5fb544f4bed04ec9db"};
}

class DualControl : public ::testing::Test {
 protected:
  DualControl() {
    auto r = testing::run_command({daemon_binary, "token", "create", "--data", (dir.path() / "data").string(),
                                   "--role", "admin", "--operator", "owner", "--rate", "10000", "--burst", "10000"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    owner = r.out.substr(0, r.out.find_first_of("\r\n"));
    daemon = std::make_unique<testing::daemon_process>(daemon_binary, dir.path() / "data",
                                                       std::vector<std::string>{}, chain_environment());
  }

  testing::http_reply post(const std::string& token, const std::string& target, const std::string& body) {
    return testing::http_request(daemon->port(), "POST", target, body,
                                 {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "k" + std::to_string(++keys)}});
  }
  testing::http_reply get(const std::string& token, const std::string& target) {
    return testing::http_request(daemon->port(), "GET", target, "", {{"Authorization", "Bearer " + token}});
  }
  std::string field(const std::string& json, std::initializer_list<std::string> path) {
    return testing::json_field(json, path);
  }
  /// Mints a token; `status` is what the mint must answer (201 active, 202 waiting).
  std::string mint(const std::string& by, const std::string& role, const std::string& operator_name,
                   int status = 201) {
    auto r = post(by, "/v1/admin/tokens",
                  R"({"role":")" + role + R"(","operator":")" + operator_name + R"(","rate_per_second":10000,"burst":10000})");
    EXPECT_EQ(r.status, status) << r.body;
    return field(r.body, {"token"});
  }
  /// Waits until the token authenticates (the tokens read model follows the log).
  void usable(const std::string& token) {
    for (int i = 0; i < 200 && get(token, "/v1/channels").status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(get(token, "/v1/channels").status, 200);
  }
  void fund(const std::string& requester, const std::string& approver, std::int64_t user, const std::string& amount) {
    ASSERT_EQ(post(requester, "/v1/admin/users", R"({"user_id":)" + std::to_string(user) + "}").status, 200);
    const std::string id = "bank-" + std::to_string(user);
    ASSERT_EQ(post(requester, "/v1/admin/manual-deposits",
                   R"({"id":")" + id + R"(","user_id":)" + std::to_string(user) + R"(,"amount":")" + amount +
                       R"(","reference":"wire"})")
                  .status,
              200);
    auto approved = post(approver, "/v1/admin/manual-deposits/" + id + "/approve", "");
    ASSERT_EQ(approved.status, 200) << approved.body;
  }
  std::string withdraw(const std::string& token, const std::string& id, std::int64_t user, const std::string& amount,
                       int status = 200) {
    auto r = post(token, "/v1/admin/withdrawals",
                  R"({"id":")" + id + R"(","user_id":)" + std::to_string(user) + R"(,"amount":")" + amount +
                      R"(","address":")" + address + "\"}");
    EXPECT_EQ(r.status, status) << r.body;
    return r.body;
  }

  testing::temp_dir dir;
  std::string owner;
  std::unique_ptr<testing::daemon_process> daemon;
  int keys = 0;
};

TEST_F(DualControl, AnotherTokenOfTheSameOperatorIsNotASecondOperator) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string bob = mint(owner, "operator", "bob");
  const std::string second_owner = mint(owner, "operator", "owner");  // the owner's own second token
  usable(bob);
  usable(second_owner);
  fund(owner, bob, 42, "5000");
  const std::string big = withdraw(owner, "w-big", 42, "1500");
  EXPECT_EQ(field(big, {"status"}), "awaiting_approval") << big;
  auto self = post(second_owner, "/v1/admin/withdrawals/w-big/approve", "");
  EXPECT_EQ(self.status, 409) << self.body;
  EXPECT_EQ(field(self.body, {"error"}), "approval_same_operator") << "a second token is not a second person";
  auto other = post(bob, "/v1/admin/withdrawals/w-big/approve", "");
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(field(other.body, {"approved_by"}), "op:bob");
}

TEST_F(DualControl, ManySmallWithdrawalsReachASecondOperatorOnceTheDailySumDoes) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string bob = mint(owner, "operator", "bob");
  usable(bob);
  fund(owner, bob, 43, "9000");
  // The default user limit is 2000 USDT in any 24 hours; each request is under the 1000 limit.
  EXPECT_EQ(field(withdraw(owner, "w-1", 43, "999"), {"status"}), "approved");
  EXPECT_EQ(field(withdraw(owner, "w-2", 43, "999"), {"status"}), "approved");
  const std::string third = withdraw(owner, "w-3", 43, "999");
  EXPECT_EQ(field(third, {"status"}), "awaiting_approval") << third;
  EXPECT_NE(field(third, {"approval_reason"}).find("within 24 hours"), std::string::npos) << third;
  // A restart keeps the day's totals (rebuilt from the log).
  EXPECT_EQ(daemon->stop(), 0);
  daemon = std::make_unique<testing::daemon_process>(daemon_binary, dir.path() / "data", std::vector<std::string>{},
                                                     chain_environment());
  ASSERT_TRUE(daemon->started()) << daemon->log();
  EXPECT_EQ(field(withdraw(owner, "w-4", 43, "10"), {"status"}), "awaiting_approval");
}

TEST_F(DualControl, OnceTwoAdminsExistOneCannotMintAnOperatorOrRaiseALimitAlone) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  // Alone, the first admin sets things up: a second admin applies at once.
  const std::string admin_b = mint(owner, "admin", "beatrice");
  usable(admin_b);
  // Now dual control is on: a write token for a new operator waits for the other admin.
  const std::string mallory = mint(owner, "operator", "mallory", 202);
  auto refused = get(mallory, "/v1/channels");
  EXPECT_EQ(refused.status, 401) << "a waiting token cannot act: " << refused.body;
  const std::string mallory_id = mallory.substr(3, 12);
  auto self = post(owner, "/v1/admin/tokens/" + mallory_id + "/approve", "");
  EXPECT_EQ(self.status, 409) << self.body;
  EXPECT_EQ(field(self.body, {"error"}), "approval_same_operator");
  ASSERT_EQ(post(admin_b, "/v1/admin/tokens/" + mallory_id + "/approve", "").status, 200);
  usable(mallory);
  // Raising a withdrawal limit waits too; lowering one applies at once.
  auto raise = post(owner, "/v1/admin/settings", R"({"key":"withdrawal_approval_usdt","value":"50000"})");
  EXPECT_EQ(raise.status, 202) << raise.body;
  EXPECT_EQ(field(raise.body, {"status"}), "pending_approval");
  auto lower = post(owner, "/v1/admin/settings", R"({"key":"withdrawal_user_daily_usdt","value":"1500"})");
  EXPECT_EQ(lower.status, 200) << lower.body;
  EXPECT_EQ(field(lower.body, {"status"}), "applied");
  auto self_approval = post(owner, "/v1/admin/settings/approve", R"({"key":"withdrawal_approval_usdt","value":"50000"})");
  EXPECT_EQ(self_approval.status, 409) << self_approval.body;
  auto approval = post(admin_b, "/v1/admin/settings/approve", R"({"key":"withdrawal_approval_usdt","value":"50000"})");
  EXPECT_EQ(approval.status, 200) << approval.body;
  // Revoking the other admin does not switch dual control off.
  ASSERT_EQ(post(owner, "/v1/admin/tokens/" + admin_b.substr(3, 12) + "/revoke", "").status, 200);
  auto after = post(owner, "/v1/admin/settings", R"({"key":"withdrawal_approval_usdt","value":"90000"})");
  EXPECT_EQ(after.status, 202) << after.body;
  mint(owner, "operator", "trent", 202);
  // Every change to a control was announced: the log and the metric.
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = daemon->log();
    if (log.find("withdrawal_approval_usdt to 90000") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(log.find("control changed: write token minted: admin token"), std::string::npos) << log;
  EXPECT_NE(log.find("a write token waits for a second admin"), std::string::npos);
  EXPECT_NE(log.find("setting withdrawal_approval_usdt is now 50000 (by op:owner, approved by op:beatrice)"),
            std::string::npos);
  auto metrics = get(owner, "/metrics");
  EXPECT_NE(metrics.body.find("telepay_control_changes_total"), std::string::npos);
}

TEST_F(DualControl, ABlacklistedWalletCanBeNeitherWithdrawnToNorPaidOut) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string bob = mint(owner, "operator", "bob");
  usable(bob);
  fund(owner, bob, 44, "100");
  ASSERT_EQ(post(owner, "/v1/admin/blacklist",
                 R"({"kind":"wallet_address","value":")" + address + R"(","reason":"sanctioned"})")
                .status,
            200);
  const std::string refused = withdraw(owner, "w-bl", 44, "10", 400);
  EXPECT_EQ(field(refused, {"error"}), "blacklisted") << refused;
  auto channel = post(owner, "/v1/admin/channels",
                      R"({"channel_id":-1001,"owner_id":44,"title":"T","tiers":[{"price":"9.99","days":30}],)"
                      R"("payout_strategy":"instant","payout_address":")" + address + "\"}");
  EXPECT_EQ(channel.status, 400) << channel.body;
  EXPECT_EQ(field(channel.body, {"error"}), "blacklisted");
}

// Issue 13: an approved withdrawal that was never sent could not be rejected, and nothing
// could cancel it, so the user's money stayed held for ever. Before its transaction is signed an
// operator cancels it: the send queued on the hot wallet is abandoned first (so it can never be
// signed), the hold is voided, the user's balance is whole again, and the answer says so. One
// awaiting approval is cancelled the same way; an ended one is refused.
TEST_F(DualControl, AWithdrawalNotYetSignedIsCancelledAndItsMoneyComesBack) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string bob = mint(owner, "operator", "bob");
  usable(bob);
  fund(owner, bob, 45, "3000");
  EXPECT_EQ(field(withdraw(owner, "w-c1", 45, "25"), {"status"}), "approved");
  // The send is queued on the hot wallet's stream (its node is down, so it is never signed).
  bool queued = false;
  for (int i = 0; i < 200 && !queued; ++i) {
    queued = get(owner, "/v1/events?from=1&limit=1000").body.find("chain_send.requested") != std::string::npos;
    if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(queued);
  EXPECT_NE(get(owner, "/v1/users/45/balances").body.find("\"held\":\"25\""), std::string::npos);
  auto no_reason = post(owner, "/v1/admin/withdrawals/w-c1/cancel", "{}");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  auto cancelled = post(owner, "/v1/admin/withdrawals/w-c1/cancel", R"({"reason":"the user asked by e-mail"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body << daemon->log();
  EXPECT_EQ(field(cancelled.body, {"status"}), "cancelled") << cancelled.body;
  EXPECT_EQ(field(cancelled.body, {"reason"}), "the user asked by e-mail") << cancelled.body;
  const std::string events = get(owner, "/v1/events?from=1&limit=1000").body;
  EXPECT_NE(events.find("chain_send.abandoned"), std::string::npos) << "the queued send can never be signed";
  EXPECT_NE(events.find("withdrawal.cancelled"), std::string::npos);
  std::string balances;
  for (int i = 0; i < 200; ++i) {
    balances = get(owner, "/v1/users/45/balances").body;
    if (balances.find("\"available\":\"3000\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(balances.find("\"available\":\"3000\""), std::string::npos) << balances;
  EXPECT_NE(balances.find("\"held\":\"0\""), std::string::npos) << balances;
  // Again: the same answer, nothing new.
  auto again = post(bob, "/v1/admin/withdrawals/w-c1/cancel", R"({"reason":"twice"})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(field(again.body, {"status"}), "cancelled");
  // One waiting for a second operator: cancelled, and it can no longer be approved.
  EXPECT_EQ(field(withdraw(owner, "w-c2", 45, "1500"), {"status"}), "awaiting_approval");
  auto waiting = post(owner, "/v1/admin/withdrawals/w-c2/cancel", R"({"reason":"wrong address"})");
  EXPECT_EQ(field(waiting.body, {"status"}), "cancelled") << waiting.body;
  auto late = post(bob, "/v1/admin/withdrawals/w-c2/approve", "");
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(field(late.body, {"error"}), "withdrawal_state_invalid");
  // A rejection gives the money back as well (its run begins at the decision, not knowing the hold).
  EXPECT_EQ(field(withdraw(owner, "w-c3", 45, "1500"), {"status"}), "awaiting_approval");
  auto rejected = post(bob, "/v1/admin/withdrawals/w-c3/reject", R"({"reason":"unknown address"})");
  EXPECT_EQ(field(rejected.body, {"status"}), "rejected") << rejected.body;
  auto unknown = post(owner, "/v1/admin/withdrawals/w-none/cancel", R"({"reason":"x"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  for (int i = 0; i < 200; ++i) {
    balances = get(owner, "/v1/users/45/balances").body;
    if (balances.find("\"available\":\"3000\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(balances.find("\"available\":\"3000\""), std::string::npos) << balances;
  // The list shows both as cancelled.
  auto list = get(owner, "/v1/withdrawals?user_id=45&status=cancelled");
  EXPECT_NE(list.body.find("w-c1"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("w-c2"), std::string::npos) << list.body;
}

// Issue 13: a payout batch whose transaction is never signed (its node is down here) held the
// channel's money for ever. An operator cancels it over HTTP: the queued send is abandoned, the
// batch fails finally and the channel's money is available again; an unknown batch is 404.
TEST_F(DualControl, APayoutBatchNotYetSignedIsCancelledAndItsMoneyComesBack) {
  ASSERT_TRUE(daemon->started()) << daemon->log();
  const std::string bob = mint(owner, "operator", "bob");
  usable(bob);
  fund(owner, bob, 46, "100");
  ASSERT_EQ(post(owner, "/v1/admin/users", R"({"user_id":47})").status, 200);
  auto channel = post(owner, "/v1/admin/channels",
                      R"({"channel_id":-1002,"owner_id":47,"title":"T","tiers":[{"price":"10","days":30}],)"
                      R"("payout_strategy":"instant","payout_address":")" + address + "\"}");
  ASSERT_EQ(channel.status, 200) << channel.body;
  auto bought = post(owner, "/v1/admin/purchases", R"({"purchase_id":"p-46","user_id":46,"channel_id":-1002,"tier":1})");
  ASSERT_EQ(bought.status, 200) << bought.body;
  std::string events;
  for (int i = 0; i < 200; ++i) {
    events = get(owner, "/v1/events?from=1&limit=1000").body;
    if (events.find("payout:-1002:pb-p-46") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(events.find("chain_send.requested"), std::string::npos) << events;
  auto no_reason = post(owner, "/v1/admin/channels/-1002/payouts/pb-p-46/cancel", "{}");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  auto cancelled = post(owner, "/v1/admin/channels/-1002/payouts/pb-p-46/cancel", R"({"reason":"wrong address"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body << daemon->log();
  events = get(owner, "/v1/events?from=1&limit=1000").body;
  EXPECT_NE(events.find("chain_send.abandoned"), std::string::npos) << "the queued send can never be signed";
  EXPECT_NE(events.find("cancelled_by_operator"), std::string::npos);
  EXPECT_NE(events.find("payout cancelled by op:owner: wrong address"), std::string::npos) << events;
  std::string payouts;
  for (int i = 0; i < 200; ++i) {
    payouts = get(owner, "/v1/payouts?channel=-1002").body;
    if (payouts.find("\"failed_final\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(payouts.find("\"failed_final\""), std::string::npos) << payouts;
  auto unknown = post(owner, "/v1/admin/channels/-1002/payouts/pb-none/cancel", R"({"reason":"x"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(field(unknown.body, {"error"}), "payout_batch_not_found");
}

}  // namespace
}  // namespace telepay
