// Goal: process managers' pure logic: how a purchase is priced and split, what a deposit owes
// in commission, and the order of steps (including how refusals unwind) for purchases,
// deposits and transfers, whatever subset of steps a crash left done.
// Method: pure functions over hand-built facts and step sets.

#include <gtest/gtest.h>

#include "domain/process.hpp"

namespace telepay::domain::process {
namespace {

constexpr std::int64_t now = 1'800'000'000'000'000;
amount usd(std::string_view t) { return *parse_amount(t, asset::usd); }
amount usdt(std::string_view t) { return *parse_amount(t, asset::usdt); }
const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

struct world {
  user::state buyer{user_id(2)};
  channel::state channel{channel_id(-100)};
  settings::state config;
  world() {
    user::evolve(buyer, user::registered{user_id(2), "b", "r2"});
    user::evolve(buyer, user::referrer_linked{user_id(2), user_id(1)});
    channel::evolve(channel, channel::registered{channel_id(-100), user_id(3), "C",
                                                 {channel::tier{usd("10"), 30}}, true,
                                                 channel::payout_strategy::instant, usd("0"), address});
  }
  purchase_facts facts(const coupon::state* c = nullptr) const {
    return purchase_facts{&buyer, &channel, c, &config, false};
  }
};

TEST(PurchasePricing, SplitsFeeCommissionAndChannelShare) {
  world w;
  auto f = w.facts();
  f.paid_by_invoice = true;  // the money enters with the purchase: it earns the commission
  auto intent = price_purchase("p1", f, 1, usd("0"), now);
  ASSERT_TRUE(intent.has_value()) << intent.error().message;
  EXPECT_EQ(format_amount(intent->paid), "10");
  EXPECT_EQ(format_amount(intent->fee), "1");
  EXPECT_EQ(format_amount(intent->commission), "0.3");
  EXPECT_EQ(format_amount(intent->channel_share), "8.7");
  EXPECT_EQ(intent->days, 30u);
  EXPECT_EQ(intent->hold_expires_at_us, now + 900'000'000);
  auto back = purchase_intent::from_json(intent->to_json());
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, *intent);
}

// Issue 13: a referee's deposit of 50 paid the referrer 1.5, and a purchase from that balance
// paid 3% again. Commission is earned once per unit of money entering: a purchase from the
// balance earns none (the deposit earned it); one paid by an invoice does.
TEST(PurchasePricing, APurchaseFromTheBalanceEarnsNoSecondCommission) {
  world w;
  auto intent = price_purchase("p1", w.facts(), 1, usd("0"), now);
  ASSERT_TRUE(intent.has_value()) << intent.error().message;
  EXPECT_FALSE(intent->referrer.has_value());
  EXPECT_TRUE(intent->commission.is_zero());
  EXPECT_EQ(format_amount(intent->fee), "1");
  EXPECT_EQ(format_amount(intent->channel_share), "9");
  auto by_invoice = w.facts();
  by_invoice.paid_by_invoice = true;
  auto gift = price_purchase("p2", by_invoice, 0, usd("4.99"), now);
  ASSERT_TRUE(gift.has_value());
  EXPECT_TRUE(gift->commission.is_zero()) << "donations earn no commission";
}

TEST(PurchasePricing, DonationsPayNoCommissionAndRespectLimits) {
  world w;
  auto gift = price_purchase("p1", w.facts(), 0, usd("4.99"), now);
  ASSERT_TRUE(gift.has_value());
  EXPECT_TRUE(gift->donation);
  EXPECT_TRUE(gift->commission.is_zero());
  EXPECT_EQ(format_amount(gift->channel_share), "4.491");
  EXPECT_EQ(price_purchase("p2", w.facts(), 0, usd("4.98"), now).error().code, errc::donation_out_of_range);
}

// Issue 13: a purchase id reused for another channel answered "completed" and bought nothing.
// Only the same terms are a retry.
TEST(PurchasePricing, ARepeatedPurchaseIdIsARetryOnlyWithTheSameTerms) {
  world w;
  auto first = price_purchase("p1", w.facts(), 1, usd("0"), now);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(check_same_purchase(*first, user_id(2), channel_id(-100), 1, usd("0"), ""));
  const auto refused = [&](status s) { return !s && s.code() == errc::idempotency_key_reused_with_different_payload; };
  EXPECT_TRUE(refused(check_same_purchase(*first, user_id(2), channel_id(-200), 1, usd("0"), "")));
  EXPECT_TRUE(refused(check_same_purchase(*first, user_id(9), channel_id(-100), 1, usd("0"), "")));
  EXPECT_TRUE(refused(check_same_purchase(*first, user_id(2), channel_id(-100), 2, usd("0"), "")));
  EXPECT_TRUE(refused(check_same_purchase(*first, user_id(2), channel_id(-100), 0, usd("5"), "")));
  EXPECT_TRUE(refused(check_same_purchase(*first, user_id(2), channel_id(-100), 1, usd("0"), "SAVE10")));
  auto other = check_same_purchase(*first, user_id(2), channel_id(-200), 1, usd("0"), "");
  EXPECT_NE(other.error().message.find("channel -100"), std::string::npos) << other.error().message;
  auto gift = price_purchase("p2", w.facts(), 0, usd("4.99"), now);
  ASSERT_TRUE(gift.has_value());
  EXPECT_TRUE(check_same_purchase(*gift, user_id(2), channel_id(-100), 0, usd("4.99"), ""));
  EXPECT_TRUE(refused(check_same_purchase(*gift, user_id(2), channel_id(-100), 0, usd("30"), "")));
  EXPECT_TRUE(refused(check_same_purchase(*gift, user_id(2), channel_id(-100), 1, usd("0"), "")));
}

TEST(PurchasePricing, RefusesBannedBlacklistedAndUnregisteredBuyers) {
  world w;
  w.buyer.is_banned = true;
  EXPECT_EQ(price_purchase("p1", w.facts(), 1, usd("0"), now).error().code, errc::user_banned);
  world x;
  auto f = x.facts();
  f.buyer_blacklisted = true;
  EXPECT_EQ(price_purchase("p1", f, 1, usd("0"), now).error().code, errc::blacklisted);
  world y;
  y.buyer.is_registered = false;
  EXPECT_EQ(price_purchase("p1", y.facts(), 1, usd("0"), now).error().code, errc::user_not_registered);
  EXPECT_EQ(price_purchase("bad id", world().facts(), 1, usd("0"), now).error().code, errc::invalid_argument);
}

TEST(PurchasePricing, AFullDiscountMeansNothingToPay) {
  world w;
  coupon::state c{"FREE"};
  coupon::evolve(c, coupon::created{"FREE", coupon::kind::percent, 10000, usd("0"), 0, now + 1000,
                                    std::nullopt, 0, "op"});
  auto intent = price_purchase("p1", w.facts(&c), 1, usd("0"), now);
  ASSERT_TRUE(intent.has_value());
  EXPECT_TRUE(intent->paid.is_zero());
  EXPECT_EQ(next_purchase_step(*intent, {}, false), purchase_step::redeem_coupon);
  EXPECT_EQ(next_purchase_step(*intent, {"redeem_coupon"}, false), purchase_step::activate);
  EXPECT_EQ(next_purchase_step(*intent, {"redeem_coupon", "activate"}, false), purchase_step::complete);
}

TEST(PurchaseSteps, RunInOrderAndResumeAnywhere) {
  world w;
  auto f = w.facts();
  f.paid_by_invoice = true;  // with a referral commission to credit
  const auto intent = *price_purchase("p1", f, 1, usd("0"), now);
  std::set<std::string> done;
  std::vector<purchase_step> order;
  for (auto s = next_purchase_step(intent, done, false); s != purchase_step::done;
       s = next_purchase_step(intent, done, false)) {
    order.push_back(s);
    done.insert(std::string(step_name(s)));
  }
  const std::vector<purchase_step> expected = {
      purchase_step::hold, purchase_step::activate, purchase_step::credit_fee,
      purchase_step::credit_referrer, purchase_step::credit_channel, purchase_step::accrue,
      purchase_step::post, purchase_step::complete};
  EXPECT_EQ(order, expected);
}

TEST(PurchaseSteps, ARefusalVoidsTheHoldThenRecordsTheFailure) {
  world w;
  const auto intent = *price_purchase("p1", w.facts(), 1, usd("0"), now);
  EXPECT_EQ(next_purchase_step(intent, {}, true), purchase_step::fail);  // nothing held
  EXPECT_EQ(next_purchase_step(intent, {"hold"}, true), purchase_step::void_hold);
  EXPECT_EQ(next_purchase_step(intent, {"hold", "void"}, true), purchase_step::fail);
  EXPECT_EQ(next_purchase_step(intent, {"hold", "void"}, false), purchase_step::fail);  // resumed
  EXPECT_EQ(next_purchase_step(intent, {"hold", "void", "fail"}, false), purchase_step::done);
}

TEST(Deposit, CommissionGoesToTheReferrerOnly) {
  world w;
  auto with = price_deposit("np-1", w.buyer, false, usdt("100"), system_account::nowpayments_clearing, "np:1", w.config);
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(format_amount(with->commission), "3");
  std::set<std::string> done;
  std::vector<deposit_step> order;
  for (auto s = next_deposit_step(*with, done, false); s != deposit_step::done; s = next_deposit_step(*with, done, false)) {
    order.push_back(s);
    done.insert(std::string(step_name(s)));
  }
  EXPECT_EQ(order.size(), 5u);
  user::state alone{user_id(9)};
  user::evolve(alone, user::registered{user_id(9), "", "r9"});
  auto without = price_deposit("np-2", alone, false, usdt("100"), system_account::chain_clearing, "", w.config);
  EXPECT_TRUE(without->commission.is_zero());
  EXPECT_EQ(next_deposit_step(*without, {"credit_user", "debit_source"}, false), deposit_step::complete);
  EXPECT_EQ(price_deposit("np-3", alone, true, usdt("1"), system_account::chain_clearing, "", w.config).error().code,
            errc::blacklisted);
  EXPECT_EQ(price_deposit("np-4", alone, false, usdt("0"), system_account::chain_clearing, "", w.config).error().code,
            errc::amount_must_be_positive);
  EXPECT_EQ(price_deposit("np-5", alone, false, usdt("1"), system_account::platform_revenue, "", w.config).error().code,
            errc::wallet_owner_invalid);
}

TEST(Transfer, StepsAndUnwinding) {
  EXPECT_EQ(next_transfer_step({}, false), transfer_step::hold);
  EXPECT_EQ(next_transfer_step({"hold"}, false), transfer_step::credit);
  EXPECT_EQ(next_transfer_step({"hold", "credit"}, false), transfer_step::post);
  EXPECT_EQ(next_transfer_step({"hold", "credit", "post"}, false), transfer_step::done);
  EXPECT_EQ(next_transfer_step({}, true), transfer_step::done);
  EXPECT_EQ(next_transfer_step({"hold"}, true), transfer_step::void_hold);
  EXPECT_EQ(next_transfer_step({"hold", "void"}, false), transfer_step::done);
}

TEST(ProcessEntity, StartsOnceAndFinishesOnce) {
  state s("purchase-p1");
  auto started = decide(s, start{"purchase", "{\"a\":1}"}, now);
  ASSERT_EQ(started->size(), 1u);
  evolve(s, (*started)[0]);
  EXPECT_TRUE(decide(s, start{"purchase", "{\"a\":1}"}, now)->empty());
  EXPECT_EQ(decide(s, start{"purchase", "{\"a\":2}"}, now).error().code,
            errc::idempotency_key_reused_with_different_payload);
  evolve(s, (*decide(s, complete{"completed"}, now))[0]);
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(decide(s, fail{"x", "y"}, now)->empty());
  EXPECT_EQ(decide(state("deposit-x"), complete{}, now).error().code, errc::not_found);
}

// ---- refunds ----

state completed_purchase(const purchase_intent& intent) {
  state s("purchase-" + intent.purchase_id);
  evolve(s, started{"purchase", intent.to_json()});
  evolve(s, completed{"completed"});
  return s;
}

TEST(Refund, OnlyACompletedPurchaseWithAReasonIsRefunded) {
  world w;
  const auto intent = *price_purchase("p1", w.facts(), 1, usd("0"), now);
  EXPECT_EQ(price_refund(state("purchase-p9"), "op:a", "x").error().code, errc::purchase_not_found);
  state running("purchase-p1");
  evolve(running, started{"purchase", intent.to_json()});
  EXPECT_EQ(price_refund(running, "op:a", "x").error().code, errc::refund_refused);
  state failed_one = running;
  evolve(failed_one, failed{"insufficient_funds", "no money"});
  EXPECT_EQ(price_refund(failed_one, "op:a", "x").error().code, errc::refund_refused);
  const state done = completed_purchase(intent);
  EXPECT_EQ(price_refund(done, "op:a", "").error().code, errc::invalid_argument);
  EXPECT_EQ(price_refund(done, "op:a", std::string(501, 'x')).error().code, errc::invalid_argument);
  auto refund = price_refund(done, "op:a", "charged twice");
  ASSERT_TRUE(refund.has_value()) << refund.error().message;
  EXPECT_EQ(refund->purchase, intent) << "the refund reverses exactly what the purchase moved";
  // The intent survives its own JSON (it is the process's durable record).
  EXPECT_EQ(*refund_intent::from_json(refund->to_json()), *refund);
}

TEST(Refund, StepsTakeEachLegBackThenCreditTheBuyerThenShorten) {
  world w;
  auto f = w.facts();
  f.paid_by_invoice = true;  // with a referral commission
  const auto refund = *price_refund(completed_purchase(*price_purchase("p1", f, 1, usd("0"), now)), "op:a", "r");
  ASSERT_FALSE(refund.purchase.commission.is_zero());
  auto walk = [&](bool platform_bears) {
    std::set<std::string> done;
    std::vector<refund_step> order;
    for (auto s = next_refund_step(refund, done, false, platform_bears); s != refund_step::done;
         s = next_refund_step(refund, done, false, platform_bears)) {
      order.push_back(s);
      done.insert(std::string(step_name(s)));
    }
    return order;
  };
  const std::vector<refund_step> expected = {refund_step::reverse_accrual, refund_step::debit_channel,
                                             refund_step::debit_fee,       refund_step::debit_referrer,
                                             refund_step::credit_buyer,    refund_step::shorten,
                                             refund_step::complete};
  EXPECT_EQ(walk(false), expected);
  auto bears = expected;
  bears[3] = refund_step::debit_expense;
  EXPECT_EQ(walk(true), bears) << "a referrer who spent the commission: the platform pays it";
  // Resumed after the platform paid: the referrer is not asked as well.
  EXPECT_EQ(next_refund_step(refund, {"reverse_accrual", "debit_channel", "debit_fee", "debit_expense"}, false, false),
            refund_step::credit_buyer);
}

TEST(Refund, ARefusalBeforeAnyDebitRestoresTheAccrualOneAfterFailsForOperators) {
  world w;
  const auto refund = *price_refund(completed_purchase(*price_purchase("p1", w.facts(), 1, usd("0"), now)), "op:a", "r");
  EXPECT_EQ(next_refund_step(refund, {}, true, false), refund_step::fail) << "the gate refused: nothing to undo";
  EXPECT_EQ(next_refund_step(refund, {"reverse_accrual"}, true, false), refund_step::restore_accrual);
  EXPECT_EQ(next_refund_step(refund, {"reverse_accrual", "restore_accrual"}, true, false), refund_step::fail);
  EXPECT_EQ(next_refund_step(refund, {"reverse_accrual", "debit_channel"}, true, false), refund_step::fail);
  EXPECT_EQ(next_refund_step(refund, {"reverse_accrual", "fail"}, false, false), refund_step::done);
}

TEST(Refund, ADonationHasNoSubscriptionToShorten) {
  world w;
  w.channel.donations_enabled = true;
  auto donation = price_purchase("d1", w.facts(), 0, usd("5"), now);
  ASSERT_TRUE(donation.has_value()) << donation.error().message;
  const auto refund = *price_refund(completed_purchase(*donation), "op:a", "r");
  std::set<std::string> done{"reverse_accrual", "debit_channel", "debit_fee", "credit_buyer"};
  EXPECT_EQ(next_refund_step(refund, done, false, false), refund_step::complete);
}

}  // namespace
}  // namespace telepay::domain::process
