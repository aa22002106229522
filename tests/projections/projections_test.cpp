// Goal: the read models are a pure function of the log: rebuilding from seq 1 gives
// byte-identical rows to the live host, a restarted host (stored rows + catch-up) equals a
// fresh rebuild, point-in-time balances match the log, and the rows mean what they say.
// Method: a real ledger drives deposits, transfers, purchases and admin commands; the host
// follows the same store; a second model_set replays the log from seq 1.

#include <gtest/gtest.h>

#include <thread>

#include "projections/host.hpp"
#include "projections/point_in_time.hpp"
#include "tests/support/ledger_fixture.hpp"
#include "tests/support/process.hpp"

namespace telepay::projections {
namespace {

using namespace domain;
using actors::entity_reply;
using actors::process_reply;
using testing::test_now_us;

std::map<std::string, std::map<std::string, std::string>> rows_of(const model_set& models) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const projection* p : models.all()) {
    auto& rows = out[std::string(p->name())];
    p->for_each_row([&](const std::string& k, const std::string& v) { rows[k] = v; });
  }
  return out;
}

std::map<std::string, std::map<std::string, std::string>> rebuild(eventstore::event_store& store) {
  model_set fresh;
  EXPECT_TRUE(store.for_each(1, store.head_seq(), [&](const eventstore::record_view& r) {
                       EXPECT_TRUE(fresh.apply(r).has_value());
                       return true;
                     })
                  .has_value());
  fresh.settle();
  return rows_of(fresh);
}

class ProjectionsTest : public ::testing::Test {
 protected:
  testing::ledger_fixture fx;

  void drive() {
    for (int u = 1; u <= 4; ++u) {
      auto code = u > 1 ? referral_code_for(user_id(1)) : std::string();
      ASSERT_TRUE(fx.call<entity_reply>(actors::register_user_request{user_id(u), "u", code, test_now_us()}).has_value());
      ASSERT_TRUE(fx.call<process_reply>(actors::deposit_request{"d" + std::to_string(u), user_id(u),
                                                                 *parse_amount("100", asset::usdt),
                                                                 system_account::nowpayments_clearing, "", test_now_us()})
                      .has_value());
    }
    channel::register_channel c;
    c.owner = user_id(1);
    c.title = "C";
    c.tiers = {channel::tier{*parse_amount("10", asset::usd), 30}};
    c.donations_enabled = true;
    c.payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
    ASSERT_TRUE(fx.call<entity_reply>(actors::channel_request{channel_id(-5), c, test_now_us()}).has_value());
    ASSERT_TRUE(fx.call<process_reply>(actors::purchase_request{"p1", user_id(2), channel_id(-5), 1, amount(asset::usd, 0), "", test_now_us()}).has_value());
    ASSERT_TRUE(fx.call<process_reply>(actors::purchase_request{"p2", user_id(3), channel_id(-5), 0, *parse_amount("5", asset::usd), "", test_now_us()}).has_value());
    ASSERT_FALSE(fx.call<process_reply>(actors::purchase_request{"p3", user_id(4), channel_id(-5), 1, amount(asset::usd, 0), "NOPE", test_now_us()}).has_value());
    ASSERT_TRUE(fx.call<process_reply>(actors::transfer_request{"t1", {wallet_owner::of(user_id(4)), asset::usdt},
                                                                {wallet_owner::of(user_id(1)), asset::usdt},
                                                                *parse_amount("7.5", asset::usdt), test_now_us()})
                    .has_value());
    ASSERT_TRUE(fx.call<entity_reply>(actors::user_admin_request{user_id(4), user::ban{"spam", "op"}, test_now_us()}).has_value());
  }
};

TEST_F(ProjectionsTest, RebuildingFromSeqOneGivesIdenticalRows) {
  auto host = projection_host::start(fx.store(), host_options{});
  ASSERT_TRUE(host.has_value()) << host.error().message;
  drive();
  ASSERT_TRUE((*host)->wait_for(fx.store().head_seq(), std::chrono::seconds(10)));
  const auto live = (*host)->read([](const model_set& m) { return rows_of(m); });
  EXPECT_EQ(live, rebuild(fx.store()));
  EXPECT_FALSE((*host)->failure().has_value());
}

TEST_F(ProjectionsTest, RowsMeanWhatTheySay) {
  drive();
  model_set m;
  ASSERT_TRUE(fx.store().for_each(1, fx.store().head_seq(), [&](const eventstore::record_view& r) {
    EXPECT_TRUE(m.apply(r).has_value());
    return true;
  }).has_value());
  // Balances: user 2 paid 10 from 100; user 1 got commission 3% of deposits 2..4 (3 x 3), none
  // on the purchase paid from that balance (the referral rule: once per unit of money entering),
  // plus the 7.5 transfer.
  EXPECT_EQ(m.balance.find("wallet-2-USDT")->balance_text(), "90");
  EXPECT_EQ(m.balance.find("wallet-1-USDT")->balance_text(), "116.5");
  EXPECT_EQ(m.balance.find("wallet-sys:nowpayments_clearing-USDT")->balance_text(), "-400");
  // Referrals: three referees, commission 9, Bronze (under 100 USD).
  const referral_row* ref = m.referral.find(padded(1));
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->referees, 3u);
  EXPECT_EQ(format_amount(amount(asset::usdt, ref->earnings)), "9");
  EXPECT_EQ(ref->tier, "Bronze");
  EXPECT_EQ(m.referral.rank(1), 1u);
  // Subscriptions and channel revenue (9 from the sale, 4.5 from the donation).
  const subscription_row* sub = m.subscription.find("2:-5");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->purchases, 1u);
  const channel_row* ch = m.channel.find("-5");
  ASSERT_NE(ch, nullptr);
  EXPECT_EQ(format_amount(amount(asset::usdt, ch->revenue)), "13.5");
  EXPECT_EQ(format_amount(amount(asset::usdt, ch->donations)), "4.5");
  // Processes by status, users banned.
  EXPECT_EQ(m.process.find("purchase:p1")->status, "completed");
  EXPECT_EQ(m.process.find("deposit:d1")->status, "completed");
  EXPECT_TRUE(m.user.find(padded(4))->banned);
}

TEST_F(ProjectionsTest, ARestartedHostEqualsAFreshRebuild) {
  {
    auto host = projection_host::start(fx.store(), host_options{std::chrono::milliseconds(0)});
    ASSERT_TRUE(host.has_value());
    drive();
    ASSERT_TRUE((*host)->wait_for(fx.store().head_seq(), std::chrono::seconds(10)));
  }  // stops and saves
  const std::uint64_t saved_at = fx.store().head_seq();
  // More events while no host runs, then a new host: stored rows + catch-up.
  ASSERT_TRUE(fx.call<process_reply>(actors::deposit_request{"late", user_id(3), *parse_amount("1", asset::usdt),
                                                             system_account::chain_clearing, "", test_now_us()})
                  .has_value());
  auto host = projection_host::start(fx.store(), host_options{});
  ASSERT_TRUE(host.has_value());
  EXPECT_GE((*host)->position(), saved_at);
  ASSERT_TRUE((*host)->wait_for(fx.store().head_seq(), std::chrono::seconds(10)));
  EXPECT_EQ((*host)->read([](const model_set& m) { return rows_of(m); }), rebuild(fx.store()));
}

// The auditor's tools must fail when the data is wrong, not only pass when it is right.
TEST_F(ProjectionsTest, AuditReplayListsEachDifferenceFromTheServersRows) {
  drive();
  std::map<std::string, std::map<std::string, std::string>> saved;
  {
    auto host = projection_host::start(fx.store(), host_options{});
    ASSERT_TRUE(host.has_value());
    ASSERT_TRUE((*host)->wait_for(fx.store().head_seq(), std::chrono::seconds(10)));
    saved = (*host)->read([](const model_set& m) { return rows_of(m); });
  }  // stops and saves every row at the head
  const std::string db = (fx.dir() / "eventlog").string();
  auto clean = testing::run_command({TELEPAY_AUDIT_BIN, "replay", "--db", db});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("OK: every stored projection equals the replay"), std::string::npos) << clean.out;

  // Plant three faults in the server's copy: a changed balance, a lost user, an invented row.
  ASSERT_FALSE(saved["balances"].empty());
  ASSERT_FALSE(saved["users"].empty());
  const auto& [balance_key, balance_json] = *saved["balances"].begin();
  const auto& [user_key, user_json] = *saved["users"].begin();
  const std::uint64_t head = fx.store().head_seq();
  ASSERT_TRUE(fx.store().save_projection("balances", head, {{balance_key, std::string("{\"tampered\":1}")}}).has_value());
  ASSERT_TRUE(fx.store().save_projection("users", head, {{user_key, std::nullopt},
                                                          {"99999999999999999999", std::string("{\"ghost\":1}")}})
                  .has_value());
  auto caught = testing::run_command({TELEPAY_AUDIT_BIN, "replay", "--db", db});
  EXPECT_EQ(caught.exit_code, 1) << caught.out << caught.err;
  EXPECT_NE(caught.out.find("FAILED: 3 differences"), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("balances key " + balance_key + ": server has {\"tampered\":1}; replay has " + balance_json),
            std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("users key " + user_key + ": missing from the server's copy; replay has " + user_json),
            std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("users key 99999999999999999999: the server has {\"ghost\":1}; replay has no such row"),
            std::string::npos) << caught.out;
}

TEST_F(ProjectionsTest, AuditCheckNamesAWalletThatWentNegativeAndTheImbalance) {
  drive();
  const std::string db = (fx.dir() / "eventlog").string();
  auto clean = testing::run_command({TELEPAY_AUDIT_BIN, "check", "--db", db});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("OK: double entry holds"), std::string::npos) << clean.out;

  // A one-sided debit larger than the wallet holds, written past the ledger straight into the log.
  const std::string stream = wallet_key{wallet_owner::of(user_id(3)), asset::usdt}.stream();
  const auto version = fx.store().stream_version(stream);
  ASSERT_TRUE(version.has_value());
  auto encoded = encode_event(wallet::event{wallet::debited{transfer_id("forged"), *parse_amount("1000", asset::usdt),
                                                            "withdrawal", "nobody"}});
  auto appended = fx.store().append(stream, eventstore::expected_version::exactly(*version),
                                    {eventstore::new_event{encoded.type, encoded.version, encoded.payload}}, "");
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  auto caught = testing::run_command({TELEPAY_AUDIT_BIN, "check", "--db", db});
  EXPECT_EQ(caught.exit_code, 1) << caught.out << caught.err;
  EXPECT_NE(caught.out.find("NEGATIVE: seq " + std::to_string(fx.store().head_seq()) + ": " + stream + " went negative"),
            std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("IMBALANCED: USDT: credits"), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("FAILED"), std::string::npos) << caught.out;
}

TEST_F(ProjectionsTest, BalancesAtAPointInTime) {
  drive();
  const wallet_key w2{wallet_owner::of(user_id(2)), asset::usdt};
  // Find the seq of user 2's deposit and of its purchase hold.
  std::uint64_t deposit_seq = 0;
  ASSERT_TRUE(fx.store().for_each(1, fx.store().head_seq(), [&](const eventstore::record_view& r) {
    if (r.stream == "wallet-2-USDT" && deposit_seq == 0) {
      deposit_seq = r.seq;
    }
    return true;
  }).has_value());
  ASSERT_GT(deposit_seq, 0u);
  EXPECT_EQ(balance_at(fx.store(), w2, deposit_seq - 1)->events, 0u);
  EXPECT_EQ(balance_at(fx.store(), w2, deposit_seq)->balance_text(), "100");
  EXPECT_EQ(balance_at(fx.store(), w2, fx.store().head_seq())->balance_text(), "90");
  // Time: the seq that was the head at a record's time, and before the log began.
  auto records = fx.store().read_all(deposit_seq, 1);
  ASSERT_TRUE(records.has_value());
  auto at = seq_at_time(fx.store(), records->front().recorded_at_us);
  ASSERT_TRUE(at.has_value());
  EXPECT_GE(*at, deposit_seq);
  EXPECT_EQ(*seq_at_time(fx.store(), 0), 0u);
}

}  // namespace
}  // namespace telepay::projections

namespace telepay::projections {
namespace {

template <class Row>
void expect_round_trip(const Row& row) {
  const std::string json = row.to_json();
  auto back = Row::from_json(json);
  ASSERT_TRUE(back.has_value()) << json << ": " << back.error().message;
  EXPECT_EQ(back->to_json(), json);
}

// Goal: every row type writes canonical JSON (the writer asserts key order) and reads back to
// the same bytes, so stored projections load exactly.
TEST(ProjectionRows, EveryRowTypeRoundTrips) {
  const u128 some = u128{123456789} * 1'000'000'000'000ULL;
  expect_round_trip(balance_row{"sys:platform_revenue", asset::usdt, some, some / 3, some / 7, 42, 99});
  expect_round_trip(user_row{"alice", 7, true, "spam", 1'800'000'000'000'000});
  expect_round_trip(referral_row{7, 3, some, "Gold"});
  expect_round_trip(subscription_row{7, -100, 2, 1'800'000'000'000'000, 3, true});
  expect_round_trip(channel_row{-100, 7, "Title \"quoted\"", true, some, some / 2, 5, some, some / 3, some / 4});
  constexpr std::int64_t t = 1'800'000'000'000'000;
  expect_round_trip(payout_row{-100, "pb-1", some, "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229", "submitted", "0xab", 2,
                               t, t + 1});
  expect_round_trip(process_row{"purchase", "p1", "failed", 7, some, t, "insufficient_funds", "no money", t + 5});
  expect_round_trip(process_row{"purchase", "p2", "started", 7, some, t, "", "", 0});  // not ended: no ended_at
  expect_round_trip(manual_deposit_row{7, some, "SEPA", "approved", "tokA", "tokB", t, t + 9});
  expect_round_trip(manual_deposit_row{7, some, "SEPA", "requested", "tokA", "", t, 0});
  expect_round_trip(coupon_row{"percent", 2500, 0, 10, 3, 123, t + 100, -100, 2, "op:alice", t, t + 50, true, "op:bob", t + 60});
  expect_round_trip(coupon_row{"fixed", 0, 150, 0, 0, 0, t + 100, 0, 0, "op:alice", t, 0, false, "", 0});
  expect_round_trip(token_row{"admin", std::string(64, 'a'), {"10.0.0.0/8", "::1/128"}, 50, 100, "label", "op:alice",
                              "op:owner", true, true});
  expect_round_trip(blacklist_row{"telegram_id", "666", "fraud", "tokA"});
  expect_round_trip(audit_row{"tokA", "POST", "/v1/admin/settings", "k1", std::string(64, 'b'), 409, "{\"error\":\"x\"}", 1'800'000'000'000'000});
}

}  // namespace
}  // namespace telepay::projections
