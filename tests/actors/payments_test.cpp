// Goal: NOWPayments payments through the ledger facade: an invoice is priced like the purchase
// it pays for; each reported status is recorded once and never regresses; finished funds the
// buyer from NOWPayments clearing (no deposit commission) and runs the purchase exactly once;
// partially paid credits the share actually paid (a late finished after it is recorded for
// review and moves nothing); mismatches and repeated deposits go to
// review; the Telegram outbox (notices) and the expiry scheduler's due list follow.
// Method: a real CAF actor system and RocksDB log in a temp dir (tests/support/ledger_fixture).

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/ledger_fixture.hpp"

namespace telepay::actors {
namespace {

using namespace domain;
using testing::test_now_us;

amount usd(std::string_view text) { return *parse_amount(text, asset::usd); }
wallet_key user_wallet(std::int64_t id) { return {wallet_owner::of(user_id(id)), asset::usdt}; }
wallet_key system_wallet(system_account a) { return {wallet_owner::of(a), asset::usdt}; }

constexpr std::int64_t buyer = 500;
constexpr std::int64_t referrer = 400;
constexpr std::int64_t channel = -100500;

class PaymentsTest : public ::testing::Test {
 protected:
  testing::ledger_fixture fx;

  void SetUp() override {
    ASSERT_TRUE(fx.call<entity_reply>(register_user_request{user_id(referrer), "r", "", test_now_us()}).has_value());
    ASSERT_TRUE(fx.call<entity_reply>(register_user_request{user_id(buyer), "b", referral_code_for(user_id(referrer)),
                                                            test_now_us()})
                    .has_value());
    channel::register_channel cmd;
    cmd.owner = user_id(referrer);
    cmd.title = "Paid";
    cmd.tiers = {channel::tier{usd("9.99"), 30}};
    cmd.donations_enabled = true;
    cmd.strategy = channel::payout_strategy::threshold;
    cmd.threshold = usd("1000");
    cmd.payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
    ASSERT_TRUE(fx.call<entity_reply>(channel_request{channel_id(channel), cmd, test_now_us()}).has_value());
  }

  invoice::state create(const std::string& order, std::uint32_t tier = 1, amount donation = amount(asset::usd, 0)) {
    auto r = fx.call<invoice::state>(
        invoice_create_request{order, user_id(buyer), channel_id(channel), tier, donation, "", "", test_now_us()});
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.has_value() ? *r : invoice::state();
  }

  invoice::report report(std::uint64_t payment, invoice::status s, std::string paid = "10.03",
                         std::string price = "9.99") {
    invoice::report r;
    r.payment_id = payment;
    r.state = s;
    r.source = "ipn:recursive";
    r.price_amount = std::move(price);
    r.price_currency = "usd";
    r.pay_amount = "10.03";
    r.pay_currency = "usdtbsc";
    r.actually_paid = std::move(paid);
    return r;
  }

  result<payment_ack> send(const std::string& order, invoice::report r) {
    return fx.call<payment_ack>(payment_report_request{order, std::move(r), test_now_us()});
  }

  std::string balance(const wallet_key& key) {
    auto r = fx.call<wallet::state>(wallet_query{key});
    return r ? r->balance_text() : "error";
  }

  /// Waits until process `key` has finished (the settlement runs after the IPN is answered).
  process::state settled(const std::string& key) {
    for (int i = 0; i < 500; ++i) {
      auto p = fx.call<process::state>(process_query{key});
      if (p && p->finished()) return *p;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << key << " did not finish";
    return process::state();
  }
};

TEST_F(PaymentsTest, AnInvoiceIsPricedLikeItsPurchaseAndCreatedOnce) {
  const invoice::state s = create("o-1");
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(format_amount(s.terms.price), "9.99");
  EXPECT_EQ(format_amount(s.terms.credit), "9.99");
  EXPECT_EQ(create("o-1"), s) << "the same order and terms: the same invoice";
  auto other = fx.call<invoice::state>(
      invoice_create_request{"o-1", user_id(buyer), channel_id(channel), 0, usd("20"), "", "", test_now_us()});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.code(), errc::invoice_exists);
  auto unknown_tier = fx.call<invoice::state>(
      invoice_create_request{"o-2", user_id(buyer), channel_id(channel), 3, usd("0"), "", "", test_now_us()});
  ASSERT_FALSE(unknown_tier.has_value());
  EXPECT_EQ(unknown_tier.code(), errc::tier_not_found);
}

TEST_F(PaymentsTest, FinishedFundsTheBuyerAndActivatesOnceWhateverTheOrderOfReports) {
  create("o-1");
  // finished first, then the earlier statuses, then duplicates of everything.
  auto first = send("o-1", report(77, invoice::status::finished));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(first->recorded);
  EXPECT_EQ(first->decided, invoice::action::fund_purchase);
  for (auto s : {invoice::status::waiting, invoice::status::confirming, invoice::status::sending,
                 invoice::status::finished, invoice::status::finished}) {
    auto again = send("o-1", report(77, s));
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->recorded) << "no regression, no duplicate";
    EXPECT_EQ(again->current, invoice::status::finished);
  }
  EXPECT_TRUE(settled("payment-77").is_completed);
  auto sub = fx.call<subscription::state>(subscription_query{user_id(buyer), channel_id(channel)});
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->purchases.size(), 1u);
  EXPECT_TRUE(sub->purchases.contains("o-1"));
  // The buyer was funded 9.99 and paid 9.99: nothing left. The referrer earned commission on
  // the purchase only (no deposit commission on money that pays for a purchase).
  EXPECT_EQ(balance(user_wallet(buyer)), "0");
  EXPECT_EQ(balance(system_wallet(system_account::nowpayments_clearing)), "-9.99");
  auto referrer_state = fx.call<wallet::state>(wallet_query{user_wallet(referrer)});
  ASSERT_TRUE(referrer_state.has_value());
  auto purchase = fx.call<process::state>(process_query{"purchase-o-1"});
  ASSERT_TRUE(purchase.has_value());
  EXPECT_TRUE(purchase->is_completed);
  auto intent = process::purchase_intent::from_json(purchase->intent);
  ASSERT_TRUE(intent.has_value());
  EXPECT_EQ(referrer_state->balance_text(), format_amount(intent->commission));
}

TEST_F(PaymentsTest, PartiallyPaidCreditsTheShareActuallyPaidAndGrantsNothing) {
  create("o-1");
  auto ack = send("o-1", report(78, invoice::status::partially_paid, "5.015"));
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->decided, invoice::action::credit);
  EXPECT_TRUE(settled("payment-78").is_completed);
  EXPECT_EQ(balance(user_wallet(buyer)), "4.995") << "9.99 * 5.015 / 10.03";
  auto sub = fx.call<subscription::state>(subscription_query{user_id(buyer), channel_id(channel)});
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->expires_at_us, 0) << "no automatic access";
  // partially_paid is final: a later finished is recorded for review, and changes nothing.
  auto later = send("o-1", report(78, invoice::status::finished));
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(later->recorded);
  EXPECT_TRUE(later->late);
  EXPECT_EQ(later->current, invoice::status::partially_paid);
  EXPECT_EQ(later->decided, invoice::action::review);
  auto again = send("o-1", report(78, invoice::status::finished));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->recorded) << "recorded once";
  EXPECT_EQ(balance(user_wallet(buyer)), "4.995") << "nothing more credited";
  auto still = fx.call<subscription::state>(subscription_query{user_id(buyer), channel_id(channel)});
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->expires_at_us, 0) << "no access from a late finished";
}

TEST_F(PaymentsTest, MismatchesAndRepeatedDepositsGoToReviewAndMoveNoMoney) {
  create("o-1");
  auto wrong_price = send("o-1", report(79, invoice::status::finished, "10.03", "1.00"));
  ASSERT_TRUE(wrong_price.has_value());
  EXPECT_EQ(wrong_price->decided, invoice::action::review);
  auto repeat = report(80, invoice::status::finished);
  repeat.parent_payment_id = 79;
  auto repeated = send("o-1", repeat);
  ASSERT_TRUE(repeated.has_value());
  EXPECT_EQ(repeated->decided, invoice::action::review);
  EXPECT_EQ(balance(user_wallet(buyer)), "0");
  auto p = fx.call<process::state>(process_query{"payment-79"});
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->is_started);
}

TEST_F(PaymentsTest, UnknownOrdersAndMalformedReportsChangeNothing) {
  const auto head = fx.store().head_seq();
  auto unknown = send("o-missing", report(81, invoice::status::finished));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.code(), errc::invoice_not_found);
  create("o-1");
  auto bad = report(82, invoice::status::finished);
  bad.actually_paid = "1,5";
  auto refused = send("o-1", bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.code(), errc::payment_invalid);
  auto version = fx.store().stream_version("invoice-o-1");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 1u) << "only the creation";
  EXPECT_EQ(fx.store().stream_version("invoice-o-missing").value(), 0u);
  (void)head;
}

TEST_F(PaymentsTest, ASecondFinishedPaymentForAPaidOrderIsCreditedNotSpent) {
  create("o-1");
  ASSERT_TRUE(send("o-1", report(83, invoice::status::finished)).has_value());
  settled("payment-83");
  auto second = send("o-1", report(84, invoice::status::finished));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->decided, invoice::action::credit);
  settled("payment-84");
  EXPECT_EQ(balance(user_wallet(buyer)), "9.99");
  auto sub = fx.call<subscription::state>(subscription_query{user_id(buyer), channel_id(channel)});
  EXPECT_EQ(sub->purchases.size(), 1u);
}

TEST_F(PaymentsTest, DonationsAreCreditedToTheChannel) {
  create("d-1", 0, usd("25"));
  auto r = report(85, invoice::status::finished, "25.1", "25");
  r.pay_amount = "25.1";
  ASSERT_TRUE(send("d-1", r).has_value());
  EXPECT_TRUE(settled("payment-85").is_completed);
  auto channel_wallet = fx.call<wallet::state>(wallet_query{{wallet_owner::of(channel_id(channel)), asset::usdt}});
  ASSERT_TRUE(channel_wallet.has_value());
  EXPECT_NE(channel_wallet->balance_text(), "0");
  EXPECT_EQ(balance(user_wallet(buyer)), "0");
}

}  // namespace
}  // namespace telepay::actors
