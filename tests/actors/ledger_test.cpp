// Goal: the ledger core end to end through its typed facade, on a real event store: users and
// referrals, deposits with commission, transfers (including refusals and idempotent repeats),
// purchases that activate subscriptions and split revenue, coupons, payouts, and that money is
// conserved (every asset sums to zero over all wallets once processes settle).
// Method: a real CAF actor system and RocksDB log in a temp dir (tests/support/ledger_fixture).

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "actors/flows.hpp"
#include "tests/support/ledger_fixture.hpp"

namespace telepay::actors {
namespace {

using namespace domain;
using testing::test_now_us;

amount usdt(std::string_view text) { return *parse_amount(text, asset::usdt); }
amount usd(std::string_view text) { return *parse_amount(text, asset::usd); }
wallet_key user_wallet(std::int64_t id) { return {wallet_owner::of(user_id(id)), asset::usdt}; }
wallet_key system_wallet(system_account a) { return {wallet_owner::of(a), asset::usdt}; }
wallet_key channel_wallet(std::int64_t id) { return {wallet_owner::of(channel_id(id)), asset::usdt}; }

const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

class LedgerTest : public ::testing::Test {
 protected:
  explicit LedgerTest(ledger_options options = testing::with_hot_wallet()) : fx(std::move(options)) {}

  testing::ledger_fixture fx;

  void register_user(std::int64_t id, std::string code = "") {
    auto r = fx.call<entity_reply>(register_user_request{user_id(id), "u" + std::to_string(id), code, test_now_us()});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  void deposit(std::string id, std::int64_t user, std::string_view value) {
    auto r = fx.call<process_reply>(deposit_request{id, user_id(user), usdt(value),
                                                    system_account::nowpayments_clearing, "ref", test_now_us()});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  wallet::state wallet_state(const wallet_key& key) {
    auto r = fx.call<wallet::state>(wallet_query{key});
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.has_value() ? *r : wallet::state(key);
  }

  std::string balance(const wallet_key& key) { return wallet_state(key).balance_text(); }

  void register_channel(std::int64_t id, std::int64_t owner, channel::payout_strategy strategy =
                                                                  channel::payout_strategy::instant,
                        amount threshold = amount(asset::usd, 0)) {
    channel::register_channel cmd;
    cmd.owner = user_id(owner);
    cmd.title = "Channel " + std::to_string(id);
    cmd.tiers = {channel::tier{usd("10"), 30}, channel::tier{usd("25"), 90}};
    cmd.donations_enabled = true;
    cmd.strategy = strategy;
    cmd.threshold = threshold;
    cmd.payout_address = address;
    auto r = fx.call<entity_reply>(channel_request{channel_id(id), cmd, test_now_us()});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
};

TEST_F(LedgerTest, RegistrationIsIdempotentAndLinksTheReferrerOnce) {
  register_user(100);
  register_user(200, referral_code_for(user_id(100)));
  auto again = fx.call<entity_reply>(register_user_request{user_id(200), "x", referral_code_for(user_id(100)), test_now_us()});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->result, entity_reply::outcome::unchanged);
  auto state = fx.call<user::state>(user_query{user_id(200)});
  ASSERT_TRUE(state.has_value());
  ASSERT_TRUE(state->referrer.has_value());
  EXPECT_EQ(state->referrer->value(), 100);
  // Another referrer later is refused: set once, forever.
  register_user(300);
  auto relink = fx.call<entity_reply>(link_referrer_request{user_id(200), referral_code_for(user_id(300)), test_now_us()});
  ASSERT_FALSE(relink.has_value());
  EXPECT_EQ(relink.error().code, errc::referrer_already_set);
}

TEST_F(LedgerTest, SelfReferralAndCyclesAreRefused) {
  auto self_ref = fx.call<entity_reply>(register_user_request{user_id(5), "", referral_code_for(user_id(5)), test_now_us()});
  ASSERT_FALSE(self_ref.has_value());
  EXPECT_EQ(self_ref.error().code, errc::self_referral);
  register_user(1);
  register_user(2, referral_code_for(user_id(1)));
  register_user(3, referral_code_for(user_id(2)));
  // 1 -> 3 would close the loop 3 -> 2 -> 1 -> 3.
  auto cycle = fx.call<entity_reply>(link_referrer_request{user_id(1), referral_code_for(user_id(3)), test_now_us()});
  ASSERT_FALSE(cycle.has_value());
  EXPECT_EQ(cycle.error().code, errc::referral_cycle);
  auto unknown = fx.call<entity_reply>(register_user_request{user_id(9), "", referral_code_for(user_id(777)), test_now_us()});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, errc::referrer_unknown);
}

TEST_F(LedgerTest, BlacklistedTelegramIdCannotRegister) {
  auto added = fx.call<entity_reply>(blacklist_request{
      blacklist::add{blacklist::kind::telegram_id, "666", "fraud", "op1"}, test_now_us()});
  ASSERT_TRUE(added.has_value()) << added.error().message;
  auto r = fx.call<entity_reply>(register_user_request{user_id(666), "", "", test_now_us()});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::blacklisted);
}

TEST_F(LedgerTest, DepositCreditsTheUserAndPaysTheReferrerCommission) {
  register_user(1);
  register_user(2, referral_code_for(user_id(1)));
  deposit("np-1", 2, "100");
  EXPECT_EQ(balance(user_wallet(2)), "100");
  EXPECT_EQ(balance(user_wallet(1)), "3");
  EXPECT_EQ(balance(system_wallet(system_account::nowpayments_clearing)), "-100");
  EXPECT_EQ(balance(system_wallet(system_account::referral_expense)), "-3");
  // The same deposit again changes nothing.
  deposit("np-1", 2, "100");
  EXPECT_EQ(balance(user_wallet(2)), "100");
  EXPECT_EQ(balance(user_wallet(1)), "3");
}

TEST_F(LedgerTest, TransferMovesMoneyAndARepeatMovesNothing) {
  register_user(1);
  register_user(2);
  deposit("d1", 1, "50.5");
  auto t = fx.call<process_reply>(transfer_request{"t1", user_wallet(1), user_wallet(2), usdt("20.25"), test_now_us()});
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->outcome, "completed");
  EXPECT_EQ(balance(user_wallet(1)), "30.25");
  EXPECT_EQ(balance(user_wallet(2)), "20.25");
  auto again = fx.call<process_reply>(transfer_request{"t1", user_wallet(1), user_wallet(2), usdt("20.25"), test_now_us()});
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(balance(user_wallet(1)), "30.25");
  EXPECT_EQ(balance(user_wallet(2)), "20.25");
  EXPECT_TRUE(wallet_state(user_wallet(1)).holds.empty());
}

TEST_F(LedgerTest, TransferBeyondTheBalanceIsRefusedAndChangesNothing) {
  register_user(1);
  deposit("d1", 1, "10");
  const auto head = fx.store().head_seq();
  auto t = fx.call<process_reply>(transfer_request{"t1", user_wallet(1), user_wallet(2), usdt("10.000000000000000001"), test_now_us()});
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, errc::insufficient_funds);
  EXPECT_EQ(fx.store().head_seq(), head);
  EXPECT_EQ(balance(user_wallet(1)), "10");
  auto bad = fx.call<process_reply>(transfer_request{"t 2", user_wallet(1), user_wallet(2), usdt("1"), test_now_us()});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, errc::transfer_id_invalid);
  auto zero = fx.call<process_reply>(transfer_request{"t3", user_wallet(1), user_wallet(2), usdt("0"), test_now_us()});
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, errc::amount_must_be_positive);
}

TEST_F(LedgerTest, PurchaseActivatesTheSubscriptionAndSplitsTheRevenue) {
  register_user(1);                                   // referrer
  register_user(2, referral_code_for(user_id(1)));    // buyer
  register_user(3);                                   // channel owner
  register_channel(-1001, 3);
  deposit("d1", 2, "100");
  const auto now = test_now_us();
  auto p = fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", now});
  ASSERT_TRUE(p.has_value()) << p.error().message;
  // 10 USD at 1:1; fee 10%, the rest to the channel. Issue 13: the referrer earned 3% of the
  // deposit and nothing more when that money is spent (before: 3 + 0.3, commission twice on
  // the same money).
  EXPECT_EQ(balance(user_wallet(2)), "90");
  EXPECT_EQ(balance(system_wallet(system_account::platform_revenue)), "1");
  EXPECT_EQ(balance(user_wallet(1)), "3");
  EXPECT_EQ(balance(channel_wallet(-1001)), "9");
  auto sub = fx.call<subscription::state>(subscription_query{user_id(2), channel_id(-1001)});
  ASSERT_TRUE(sub.has_value());
  EXPECT_GE(sub->expires_at_us, now + 30 * subscription::day_us);
  // Buying again extends from the old expiry.
  const auto first_expiry = sub->expires_at_us;
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p2", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  sub = fx.call<subscription::state>(subscription_query{user_id(2), channel_id(-1001)});
  EXPECT_EQ(sub->expires_at_us, first_expiry + 30 * subscription::day_us);
  // The instant strategy batched each accrual and held the channel's wallet for it.
  auto payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  ASSERT_TRUE(payouts.has_value());
  for (int i = 0; i < 100 && payouts->batches.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  }
  EXPECT_EQ(payouts->batches.size(), 2u);
  EXPECT_EQ(payouts->unbatched, 0u);
}

TEST_F(LedgerTest, PurchaseRefusalsLeaveNoTrace) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "5");
  auto poor = fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()});
  ASSERT_FALSE(poor.has_value());
  EXPECT_EQ(poor.error().code, errc::insufficient_funds);
  EXPECT_EQ(balance(user_wallet(2)), "5");
  auto state = fx.call<process::state>(process_query{"purchase-p1"});
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->is_failed);
  auto no_tier = fx.call<process_reply>(purchase_request{"p2", user_id(2), channel_id(-1001), 3, usd("0"), "", test_now_us()});
  ASSERT_FALSE(no_tier.has_value());
  EXPECT_EQ(no_tier.error().code, errc::tier_not_found);
  auto small_gift = fx.call<process_reply>(purchase_request{"p3", user_id(2), channel_id(-1001), 0, usd("4.98"), "", test_now_us()});
  ASSERT_FALSE(small_gift.has_value());
  EXPECT_EQ(small_gift.error().code, errc::donation_out_of_range);
}

TEST_F(LedgerTest, CouponsDiscountOncePerUser) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "100");
  coupon::create terms;
  terms.type = coupon::kind::percent;
  terms.percent_bps = 5000;
  terms.usage_limit = 10;
  terms.expires_at_us = test_now_us() + 86'400'000'000;
  terms.by = "op1";
  ASSERT_TRUE(fx.call<entity_reply>(coupon_request{"half", terms, test_now_us()}).has_value());
  auto p = fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "HALF", test_now_us()});
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(balance(user_wallet(2)), "95");
  auto twice = fx.call<process_reply>(purchase_request{"p2", user_id(2), channel_id(-1001), 1, usd("0"), "half", test_now_us()});
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, errc::coupon_already_used);
  EXPECT_EQ(balance(user_wallet(2)), "95");
}

TEST_F(LedgerTest, PayoutConfirmationSettlesTheChannelsHold) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3, channel::payout_strategy::threshold, usd("15"));
  deposit("d1", 2, "100");
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  auto payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  EXPECT_TRUE(payouts->batches.empty());  // 9 USDT accrued, threshold 15 not reached
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p2", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  for (int i = 0; i < 100 && payouts->batches.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  }
  ASSERT_EQ(payouts->batches.size(), 1u);
  const std::string batch = payouts->batches.begin()->first;
  EXPECT_EQ(format_amount(payouts->batches.begin()->second.value), "18");
  for (int i = 0; i < 100 && wallet_state(channel_wallet(-1001)).holds.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(format_amount(wallet_state(channel_wallet(-1001)).available()), "0");
  ASSERT_TRUE(fx.call<entity_reply>(payout_request{channel_id(-1001), payout::mark_submitted{batch, "0xabc"}, test_now_us()}).has_value());
  auto confirmed = fx.call<entity_reply>(payout_request{channel_id(-1001), payout::mark_confirmed{batch}, test_now_us()});
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_EQ(balance(channel_wallet(-1001)), "0");
  EXPECT_EQ(balance(system_wallet(system_account::chain_clearing)), "18");
}

TEST(NextPayoutStep, AFinalFailureUndoesOnlyWhatWasHeld) {
  EXPECT_EQ(next_payout_step({"batch"}), "hold");
  EXPECT_EQ(next_payout_step({"batch", "hold"}), "send");
  EXPECT_EQ(next_payout_step({"batch", "hold"}, false), "");
  // Cancelled before its hold: nothing to hold, nothing to void.
  EXPECT_EQ(next_payout_step({"batch", "fail_final"}), "");
  EXPECT_EQ(next_payout_step({"batch", "hold", "send", "fail_final"}), "void");
  EXPECT_EQ(next_payout_step({"batch", "hold", "fail_final", "void"}), "");
  EXPECT_EQ(next_payout_step({"batch", "hold", "send", "confirm"}), "post");
}

/// Polls `done` (up to 4 s); true once it holds.
template <class Pred>
bool eventually(Pred done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Without a hot wallet nothing would send a batch: before, it was created and its money held
// for ever. Now the accruals wait unbatched (the channel's money stays available), and the
// first start with a hot wallet batches them as the strategy says.
class NoHotWalletLedgerTest : public LedgerTest {
 protected:
  NoHotWalletLedgerTest() : LedgerTest(ledger_options{}) {}
};

TEST_F(NoHotWalletLedgerTest, PayoutsWaitUnbatchedUntilAHotWalletIsConfigured) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);  // instant: a batch per purchase, were there a hot wallet
  deposit("d1", 2, "100");
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  ASSERT_TRUE(payouts.has_value());
  EXPECT_TRUE(payouts->batches.empty());
  EXPECT_EQ(format_amount(amount(asset::usdt, payouts->unbatched)), "9");
  EXPECT_TRUE(wallet_state(channel_wallet(-1001)).holds.empty());
  EXPECT_EQ(format_amount(wallet_state(channel_wallet(-1001)).available()), "9");

  fx.reopen(testing::with_hot_wallet());
  ASSERT_TRUE(eventually([&] {
    auto p = fx.call<payout::state>(payout_query{channel_id(-1001)});
    return p && p->batches.size() == 1;
  }));
  payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  const std::string batch = payouts->batches.begin()->first;
  EXPECT_TRUE(batch.starts_with("pb-s")) << batch;
  EXPECT_EQ(format_amount(payouts->batches.begin()->second.value), "9");
  EXPECT_EQ(payouts->unbatched, 0u);
  const std::string ref = chain_send::payout_ref(channel_id(-1001), batch);
  ASSERT_TRUE(eventually([&] {
    auto sends = fx.call<chain_send::state>(chain_send_query{testing::test_hot_wallet()});
    return sends && sends->open.contains(ref);
  }));
  EXPECT_TRUE(wallet_state(channel_wallet(-1001)).holds.contains(batch));
  // A second start batches nothing more: the money is in that batch.
  fx.reopen(testing::with_hot_wallet());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(fx.call<payout::state>(payout_query{channel_id(-1001)})->batches.size(), 1u);
}

// An operator cancels a batch whose transaction is not signed: the queued send is abandoned
// (never signed after), the batch fails finally, the hold is voided and the money goes into
// the next batch. Signed, submitted or unknown batches are refused.
TEST_F(LedgerTest, CancellingAnUnsignedPayoutAbandonsItsSendAndFreesTheMoney) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "100");
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  const std::string ref = chain_send::payout_ref(channel_id(-1001), "pb-p1");
  const auto send_status = [&](const std::string& which) -> std::optional<chain_send::send_status> {
    auto sends = fx.call<chain_send::state>(chain_send_query{testing::test_hot_wallet()});
    if (!sends) return std::nullopt;
    auto open = sends->open.find(which);
    return open == sends->open.end() ? std::nullopt : std::optional(open->second.status);
  };
  ASSERT_TRUE(eventually([&] { return send_status(ref).has_value(); }));
  EXPECT_EQ(format_amount(wallet_state(channel_wallet(-1001)).available()), "0");

  auto cancelled = fx.call<entity_reply>(payout_cancel{channel_id(-1001), "pb-p1", "op1", "wrong address", test_now_us()});
  ASSERT_TRUE(cancelled.has_value()) << cancelled.error().message;
  EXPECT_EQ(send_status(ref), chain_send::send_status::abandoned);
  auto payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  EXPECT_TRUE(payouts->batches.at("pb-p1").final_failure);
  EXPECT_EQ(format_amount(amount(asset::usdt, payouts->unbatched)), "9");
  EXPECT_TRUE(wallet_state(channel_wallet(-1001)).holds.empty());
  EXPECT_EQ(format_amount(wallet_state(channel_wallet(-1001)).available()), "9");
  // Again: the same answer, nothing more. The chain gateway's later report of the abandoned
  // send (a final failure) is taken too, so it can settle the send.
  EXPECT_TRUE(fx.call<entity_reply>(payout_cancel{channel_id(-1001), "pb-p1", "op1", "again", test_now_us()}).has_value());
  auto reported = fx.call<entity_reply>(payout_request{channel_id(-1001), payout::mark_failed{"pb-p1", "abandoned", true}, test_now_us()});
  EXPECT_TRUE(reported.has_value()) << reported.error().message;
  EXPECT_EQ(format_amount(wallet_state(channel_wallet(-1001)).available()), "9");

  auto unknown = fx.call<entity_reply>(payout_cancel{channel_id(-1001), "pb-none", "op1", "x", test_now_us()});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, errc::payout_batch_not_found);

  // The next purchase's batch takes the cancelled batch's money too.
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p2", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  const std::string ref2 = chain_send::payout_ref(channel_id(-1001), "pb-p2");
  ASSERT_TRUE(eventually([&] { return send_status(ref2).has_value(); }));
  EXPECT_EQ(format_amount(fx.call<payout::state>(payout_query{channel_id(-1001)})->batches.at("pb-p2").value), "18");
  // Signed: it may be mined, so it cannot be cancelled.
  auto signed_ = fx.call<entity_reply>(chain_send_request{
      testing::test_hot_wallet(),
      chain_send::sign{ref2, 0, 0, 1000, 0, 65000, "0x" + std::string(64, '1'), "0xf86c"}, test_now_us()});
  ASSERT_TRUE(signed_.has_value()) << signed_.error().message;
  auto refused = fx.call<entity_reply>(payout_cancel{channel_id(-1001), "pb-p2", "op1", "x", test_now_us()});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::payout_state_invalid) << refused.error().message;
  // Submitted: refused too, and the hold is still there.
  ASSERT_TRUE(fx.call<entity_reply>(payout_request{channel_id(-1001), payout::mark_submitted{"pb-p2", "0x" + std::string(64, '1')}, test_now_us()}).has_value());
  refused = fx.call<entity_reply>(payout_cancel{channel_id(-1001), "pb-p2", "op1", "x", test_now_us()});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::payout_state_invalid);
  EXPECT_TRUE(wallet_state(channel_wallet(-1001)).holds.contains("pb-p2"));
}

// Issue 13 item 2: a completed purchase is refunded once, reversing exactly its legs: the
// channel's share (its accrual taken back first), the fee, the commission (the platform's
// referral expense pays it when the referrer has spent it), the buyer credited what was paid
// and the subscription shortened by the purchase's days.
TEST_F(NoHotWalletLedgerTest, ARefundReversesEachLegOnceAndThePlatformBearsASpentCommission) {
  register_user(1);                                 // referrer
  register_user(2, referral_code_for(user_id(1)));  // buyer
  register_user(3);                                 // channel owner
  register_user(4);
  register_channel(-1001, 3);
  deposit("d1", 2, "100");  // 3 USDT commission to the referrer
  const auto now = test_now_us();
  purchase_request p1{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", now, true};  // paid by invoice
  ASSERT_TRUE(fx.call<process_reply>(p1).has_value());
  EXPECT_EQ(balance(user_wallet(2)), "90");
  EXPECT_EQ(balance(user_wallet(1)), "3.3");
  EXPECT_EQ(balance(channel_wallet(-1001)), "8.7");
  auto sub = fx.call<subscription::state>(subscription_query{user_id(2), channel_id(-1001)});
  ASSERT_TRUE(sub.has_value());
  const std::int64_t paid_until = sub->expires_at_us;

  EXPECT_EQ(fx.call<process_reply>(refund_request{"p9", "op:a", "typo", test_now_us()}).error().code,
            errc::purchase_not_found);
  EXPECT_EQ(fx.call<process_reply>(refund_request{"p1", "op:a", "", test_now_us()}).error().code,
            errc::invalid_argument);
  auto refunded = fx.call<process_reply>(refund_request{"p1", "op:a", "charged twice", test_now_us()});
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->outcome, "refunded");
  EXPECT_EQ(refunded->process, "refund:p1");
  EXPECT_EQ(balance(user_wallet(2)), "100");
  EXPECT_EQ(balance(user_wallet(1)), "3");
  EXPECT_EQ(balance(channel_wallet(-1001)), "0");
  EXPECT_EQ(balance(system_wallet(system_account::platform_revenue)), "0");
  sub = fx.call<subscription::state>(subscription_query{user_id(2), channel_id(-1001)});
  EXPECT_EQ(sub->expires_at_us, paid_until - 30 * subscription::day_us);
  EXPECT_TRUE(sub->refunded.contains("p1"));
  auto payouts = fx.call<payout::state>(payout_query{channel_id(-1001)});
  EXPECT_EQ(payouts->unbatched, 0u);
  EXPECT_TRUE(payouts->reversed_accruals.contains("p1"));
  // Once: a repeat answers the same and moves nothing.
  auto again = fx.call<process_reply>(refund_request{"p1", "op:b", "again", test_now_us()});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->outcome, "refunded");
  EXPECT_EQ(balance(user_wallet(2)), "100");

  // The referrer spends the commission of a second purchase: the platform bears it.
  purchase_request p2{"p2", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us(), true};
  ASSERT_TRUE(fx.call<process_reply>(p2).has_value());
  EXPECT_EQ(balance(user_wallet(1)), "3.3");
  ASSERT_TRUE(fx.call<process_reply>(transfer_request{"spend", user_wallet(1), user_wallet(4), usdt("3.3"), test_now_us()})
                  .has_value());
  refunded = fx.call<process_reply>(refund_request{"p2", "op:a", "not delivered", test_now_us()});
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(balance(user_wallet(2)), "100");
  EXPECT_EQ(balance(user_wallet(1)), "0");
  EXPECT_EQ(balance(system_wallet(system_account::referral_expense)), "-3.3") << "3 on the deposit, 0.3 refunded";
  EXPECT_EQ(balance(channel_wallet(-1001)), "0");
}

// With a hot wallet the instant strategy batches the share at once: the money is on its way to
// the channel owner, so the refund is refused before anything is recorded, and can be asked
// again once the batch is cancelled.
TEST_F(LedgerTest, ARefundWhoseShareAPayoutBatchTookIsRefusedUntilTheBatchIsCancelled) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "100");
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()}).has_value());
  ASSERT_TRUE(eventually([&] { return !fx.call<payout::state>(payout_query{channel_id(-1001)})->batches.empty(); }));
  const std::string batch = fx.call<payout::state>(payout_query{channel_id(-1001)})->batches.begin()->first;
  auto refused = fx.call<process_reply>(refund_request{"p1", "op:a", "charged twice", test_now_us()});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::refund_refused);
  EXPECT_NE(refused.error().message.find(batch), std::string::npos) << refused.error().message;
  EXPECT_FALSE(fx.call<process::state>(process_query{"refund-p1"})->is_started);
  EXPECT_EQ(balance(user_wallet(2)), "90");
  ASSERT_TRUE(fx.call<entity_reply>(payout_cancel{channel_id(-1001), batch, "op:a", "refund first", test_now_us()})
                  .has_value());
  auto refunded = fx.call<process_reply>(refund_request{"p1", "op:a", "charged twice", test_now_us()});
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(balance(user_wallet(2)), "100");
  EXPECT_EQ(balance(channel_wallet(-1001)), "0");
}

TEST_F(LedgerTest, SettingsChangeTheSplit) {
  auto bad = fx.call<entity_reply>(settings_request{settings::set{"platform_fee_bps", "9800", "op"}, test_now_us()});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, errc::setting_invalid);
  ASSERT_TRUE(fx.call<entity_reply>(settings_request{settings::set{"platform_fee_bps", "2000", "op"}, test_now_us()}).has_value());
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "100");
  ASSERT_TRUE(fx.call<process_reply>(purchase_request{"p1", user_id(2), channel_id(-1001), 2, usd("0"), "", test_now_us()}).has_value());
  EXPECT_EQ(balance(system_wallet(system_account::platform_revenue)), "5");
  EXPECT_EQ(balance(channel_wallet(-1001)), "20");
}

TEST_F(LedgerTest, ConcurrentPurchasesSucceedExactlyAsOftenAsTheBalanceAllows) {
  register_user(2);
  register_user(3);
  register_channel(-1001, 3);
  deposit("d1", 2, "35");  // affords 3 purchases of 10
  constexpr int attempts = 12;
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> buyers;
  for (int i = 0; i < attempts; ++i) {
    buyers.emplace_back([&, i] {
      auto r = fx.call<process_reply>(purchase_request{"race" + std::to_string(i), user_id(2), channel_id(-1001), 1, usd("0"), "", test_now_us()});
      if (r) {
        ++ok;
      } else if (r.error().code == errc::insufficient_funds) {
        ++refused;
      }
    });
  }
  for (auto& t : buyers) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(refused.load(), attempts - 3);
  EXPECT_EQ(balance(user_wallet(2)), "5");
  EXPECT_TRUE(wallet_state(user_wallet(2)).holds.empty());
}

TEST_F(LedgerTest, StateSurvivesARestart) {
  register_user(1);
  register_user(2);
  deposit("d1", 1, "10");
  ASSERT_TRUE(fx.call<process_reply>(transfer_request{"t1", user_wallet(1), user_wallet(2), usdt("4"), test_now_us()}).has_value());
  fx.reopen();
  EXPECT_EQ(balance(user_wallet(1)), "6");
  EXPECT_EQ(balance(user_wallet(2)), "4");
  auto user = fx.call<user::state>(user_query{user_id(1)});
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->is_registered);
}

}  // namespace
}  // namespace telepay::actors

namespace telepay::actors {
namespace {

ledger_options tiny_registries() {
  ledger_options o;
  o.wallet_shards = 2;
  o.wallets.live_max = 5;
  o.wallets.idle_timeout = std::chrono::milliseconds(200);
  o.wallets.tick = std::chrono::milliseconds(50);
  return o;
}

// Goal: the live-actor cap bounds memory and passivation loses nothing: wallets passivated
// under the cap or after idling come back with the same state (snapshot + stream tail).
TEST(LedgerPassivation, TheCapBoundsLiveWalletsAndStateSurvivesPassivation) {
  testing::ledger_fixture fx(tiny_registries());
  constexpr int wallets = 60;
  for (int i = 1; i <= wallets; ++i) {
    auto r = fx.call<entity_reply>(wallet_request{
        {wallet_owner::of(user_id(i)), asset::usdt},
        wallet::credit{transfer_id("c" + std::to_string(i)), amount(asset::usdt, static_cast<u128>(i)), "seed", ""},
        command_meta{test_now_us(), "", ""}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  auto stats = fx.ledger().wallet_stats(fx.system());
  EXPECT_LE(stats.live, 2u * 5u + 2u);  // the cap, plus at most one in handshake per shard
  EXPECT_GE(stats.passivated, static_cast<std::uint64_t>(wallets - 12));
  // Every wallet, passivated or not, answers with its state.
  for (int i = 1; i <= wallets; ++i) {
    auto w = fx.call<wallet::state>(wallet_query{{wallet_owner::of(user_id(i)), asset::usdt}});
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->credits_posted, static_cast<u128>(i));
  }
  // Idle wallets are passivated after the idle timeout.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  stats = fx.ledger().wallet_stats(fx.system());
  EXPECT_EQ(stats.live, 0u);
}

}  // namespace
}  // namespace telepay::actors

namespace telepay::actors {
namespace {

// Goal: a hot wallet takes a snapshot every snapshot_every_events events and rehydrates from
// it plus the stream tail to exactly the state a full replay gives.
TEST(LedgerSnapshots, AHotWalletRehydratesFromItsSnapshot) {
  testing::ledger_fixture fx;
  const wallet_key hot{wallet_owner::of(system_account::platform_revenue), asset::usdt};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        auto r = fx.call<entity_reply>(wallet_request{
            hot, wallet::credit{transfer_id("s" + std::to_string(t) + "-" + std::to_string(i)),
                                amount(asset::usdt, 7), "fee", ""},
            command_meta{test_now_us(), "", ""}});
        EXPECT_TRUE(r.has_value());
      }
    });
  }
  for (auto& s : senders) {
    s.join();
  }
  auto snap = fx.store().load_snapshot(hot.stream());
  ASSERT_TRUE(snap.has_value());
  ASSERT_TRUE(snap->has_value()) << "no snapshot after 1200 events";
  EXPECT_GE((*snap)->version, snapshot_every_events);
  auto before = fx.call<wallet::state>(wallet_query{hot});
  fx.reopen();
  auto after = fx.call<wallet::state>(wallet_query{hot});
  ASSERT_TRUE(before.has_value() && after.has_value());
  EXPECT_EQ(*after, *before);
  EXPECT_EQ(after->credits_posted, 1200u * 7u);
}

}  // namespace
}  // namespace telepay::actors
