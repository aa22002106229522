// Goal: the rules of users, referrals, the blacklist, settings, channels, subscriptions,
// coupons and payouts, including refusals and the values on both sides of every limit.
// Method: given/when/then over pure decide/evolve functions.

#include <gtest/gtest.h>

#include "domain/blacklist.hpp"
#include "domain/channel.hpp"
#include "domain/coupon.hpp"
#include "domain/payout.hpp"
#include "domain/referral.hpp"
#include "domain/settings.hpp"
#include "domain/subscription.hpp"
#include "domain/user.hpp"

namespace telepay::domain {
namespace {

constexpr std::int64_t now = 1'800'000'000'000'000;
constexpr std::int64_t day = subscription::day_us;
const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";

amount usd(std::string_view text) { return *parse_amount(text, asset::usd); }

template <class State, class Command, class Decide>
errc error_of(Decide decide_fn, const State& s, const Command& c, std::int64_t at = now) {
  auto r = decide_fn(s, c, at);
  EXPECT_FALSE(r.has_value());
  return r ? errc::internal : r.error().code;
}

// ---- users and referrals ----

user::state registered_user(std::int64_t id) {
  user::state s{user_id(id)};
  user::evolve(s, user::registered{user_id(id), "name", referral_code_for(user_id(id))});
  return s;
}

TEST(User, RegistersOnceAndLinksTheReferrer) {
  user::state s{user_id(10)};
  auto first = user::decide(s, user::register_user{"alice", user::referrer_facts{user_id(5), true, {}}, false}, now);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 2u);
  for (const auto& e : *first) user::evolve(s, e);
  EXPECT_EQ(s.referrer->value(), 5);
  auto again = user::decide(s, user::register_user{"alice", user::referrer_facts{user_id(6), true, {}}, false}, now);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());  // /start again: nothing changes, the referrer stays
  EXPECT_EQ(error_of(user::decide, s, user::command{user::link_referrer{{user_id(6), true, {}}}}),
            errc::referrer_already_set);
}

TEST(User, NoSelfReferralNoCyclesNoUnknownReferrer) {
  const user::state s = registered_user(10);
  EXPECT_EQ(error_of(user::decide, s, user::command{user::link_referrer{{user_id(10), true, {}}}}),
            errc::self_referral);
  EXPECT_EQ(error_of(user::decide, s,
                     user::command{user::link_referrer{{user_id(20), true, {user_id(30), user_id(10)}}}}),
            errc::referral_cycle);
  EXPECT_EQ(error_of(user::decide, s, user::command{user::link_referrer{{user_id(20), false, {}}}}),
            errc::referrer_unknown);
  EXPECT_EQ(error_of(user::decide, user::state{user_id(11)},
                     user::command{user::register_user{"", std::nullopt, true}}),
            errc::blacklisted);
}

TEST(User, BanAndUnban) {
  user::state s = registered_user(10);
  auto banned = user::decide(s, user::ban{"spam", "op1"}, now);
  ASSERT_EQ(banned->size(), 1u);
  user::evolve(s, (*banned)[0]);
  EXPECT_TRUE(s.is_banned);
  EXPECT_TRUE(user::decide(s, user::ban{"spam", "op1"}, now)->empty());
  EXPECT_EQ(error_of(user::decide, s, user::command{user::ban{"", "op1"}}), errc::invalid_argument);
  user::evolve(s, (*user::decide(s, user::unban{"op1"}, now))[0]);
  EXPECT_FALSE(s.is_banned);
  EXPECT_EQ(error_of(user::decide, s, user::command{user::unban{"op1"}}), errc::user_not_banned);
  EXPECT_EQ(error_of(user::decide, user::state{user_id(3)}, user::command{user::ban{"x", "op"}}),
            errc::user_not_registered);
}

TEST(ReferralCode, RoundTripsAndRefusesJunk) {
  for (std::int64_t id : {1LL, 35LL, 36LL, 123456789LL, 9'000'000'000'000'000'000LL}) {
    EXPECT_EQ(parse_referral_code(referral_code_for(user_id(id)))->value(), id);
  }
  for (const char* bad : {"", "r", "x12", "r-1", "r0", "R12", "r" "zzzzzzzzzzzzzz"}) {
    EXPECT_FALSE(parse_referral_code(bad).has_value()) << bad;
  }
}

TEST(WalletOwner, ParsesExactlyWhatTextWrites) {
  for (const wallet_owner& o : {wallet_owner::of(user_id(42)), wallet_owner::of(channel_id(-100123)),
                                wallet_owner::of(system_account::platform_revenue)}) {
    auto parsed = parse_wallet_owner(o.text());
    ASSERT_TRUE(parsed.has_value()) << o.text();
    EXPECT_EQ(*parsed, o);
  }
  // A filter names one owner: no prefixes, no other spellings of the same number.
  for (const char* bad : {"", "042", "+42", "-42", "0", "ch:", "ch:0", "ch:+7", "ch:007", "sys:",
                          "sys:platform", "sys:bogus", "42 ", "user:42"}) {
    EXPECT_FALSE(parse_wallet_owner(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_wallet_owner("4")->id, 4);
}

TEST(Referral, TiersAtTheirBoundaries) {
  EXPECT_EQ(referral::tier_for(usd("0")), referral::tier::bronze);
  EXPECT_EQ(referral::tier_for(usd("99.99")), referral::tier::bronze);
  EXPECT_EQ(referral::tier_for(usd("100")), referral::tier::silver);
  EXPECT_EQ(referral::tier_for(usd("499.99")), referral::tier::silver);
  EXPECT_EQ(referral::tier_for(usd("500")), referral::tier::gold);
  EXPECT_EQ(referral::tier_for(usd("1000")), referral::tier::platinum);
  EXPECT_EQ(referral::tier_for(usd("4999.99")), referral::tier::platinum);
  EXPECT_EQ(referral::tier_for(usd("5000")), referral::tier::diamond);
  EXPECT_EQ(format_amount(referral::commission(usd("4.99"), 300)), "0.14");
  EXPECT_EQ(format_amount(referral::usdt_to_usd(*parse_amount("123.456", asset::usdt), 100'000'000)), "123.45");
}

// ---- blacklist and settings ----

TEST(Blacklist, NormalizesAndRefusesDuplicates) {
  blacklist::state s;
  auto added = blacklist::decide(s, blacklist::add{blacklist::kind::wallet_address,
                                                   "0x7f31abea73053a3e049eaa0f8e73d351da173229", "fraud", "op"}, now);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  blacklist::evolve(s, (*added)[0]);
  EXPECT_TRUE(s.contains(blacklist::kind::wallet_address, "0x7f31abea73053a3e049eaa0f8e73d351da173229"));
  EXPECT_EQ(error_of(blacklist::decide, s,
                     blacklist::command{blacklist::add{blacklist::kind::wallet_address, address, "again", "op"}}),
            errc::already_blacklisted);
  EXPECT_EQ(error_of(blacklist::decide, s,
                     blacklist::command{blacklist::add{blacklist::kind::telegram_id, "-5", "x", "op"}}),
            errc::invalid_argument);
  EXPECT_EQ(error_of(blacklist::decide, s,
                     blacklist::command{blacklist::remove{blacklist::kind::telegram_id, "5", "op"}}),
            errc::not_blacklisted);
}

TEST(Settings, ValidateEachKeyAndTheirSum) {
  settings::state s;
  EXPECT_EQ(s.referral_rate_bps, 300u);
  auto changed = settings::decide(s, settings::set{"usd_usdt_rate", "1.00250", "op"}, now);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(std::get<settings::changed>((*changed)[0]).value, "1.0025");  // canonical text
  settings::evolve(s, (*changed)[0]);
  EXPECT_EQ(s.usd_usdt_rate_e8, 100'250'000u);
  EXPECT_EQ(error_of(settings::decide, s, settings::command{settings::set{"nope", "1", "op"}}),
            errc::setting_unknown);
  EXPECT_EQ(error_of(settings::decide, s, settings::command{settings::set{"referral_rate_bps", "10001", "op"}}),
            errc::setting_invalid);
  EXPECT_EQ(error_of(settings::decide, s, settings::command{settings::set{"hold_timeout_seconds", "59", "op"}}),
            errc::setting_invalid);
  settings::evolve(s, settings::changed{"platform_fee_bps", "6000", "op"});
  EXPECT_EQ(error_of(settings::decide, s, settings::command{settings::set{"referral_rate_bps", "4001", "op"}}),
            errc::setting_invalid);  // fee + commission above 100%
  EXPECT_EQ(settings::decide(s, settings::set{"referral_rate_bps", "4000", "op"}, now)->size(), 1u);
  EXPECT_TRUE(settings::decide(s, settings::set{"platform_fee_bps", "6000", "op"}, now)->empty());
}

// ---- channels ----

channel::register_channel good_channel() {
  channel::register_channel c;
  c.owner = user_id(1);
  c.title = "Crypto signals";
  c.tiers = {channel::tier{usd("4.99"), 7}, channel::tier{usd("9999.99"), 3650}};
  c.donations_enabled = true;
  c.payout_address = address;
  return c;
}

channel::state registered_channel() {
  channel::state s{channel_id(-100)};
  channel::evolve(s, (*channel::decide(s, good_channel(), now))[0]);
  return s;
}

TEST(Channel, RegistersWithValidTiersAndAddress) {
  const channel::state s = registered_channel();
  EXPECT_EQ(s.tiers.size(), 2u);
  EXPECT_EQ(error_of(channel::decide, s, channel::command{good_channel()}), errc::channel_exists);
}

TEST(Channel, TierLimits) {
  const channel::state fresh{channel_id(-100)};
  auto c = good_channel();
  c.tiers = {};
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
  c.tiers = {channel::tier{usd("1"), 1}, channel::tier{usd("1"), 1}, channel::tier{usd("1"), 1}};
  EXPECT_TRUE(channel::decide(fresh, c, now).has_value());
  c.tiers.push_back(channel::tier{usd("1"), 1});
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
  c.tiers = {channel::tier{usd("0"), 30}};
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
  c.tiers = {channel::tier{usd("10000"), 30}};
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
  c.tiers = {channel::tier{usd("10"), 0}};
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
  c.tiers = {channel::tier{usd("10"), 3651}};
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::tiers_invalid);
}

TEST(Channel, PayoutAddressAndStrategyRules) {
  const channel::state fresh{channel_id(-100)};
  auto c = good_channel();
  c.payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173228";  // wrong checksum
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::payout_address_invalid);
  c = good_channel();
  c.strategy = channel::payout_strategy::threshold;
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::payout_threshold_invalid);
  c.threshold = usd("50");
  EXPECT_TRUE(channel::decide(fresh, c, now).has_value());
  c.strategy = channel::payout_strategy::instant;
  EXPECT_EQ(error_of(channel::decide, fresh, channel::command{c}), errc::payout_threshold_invalid);
}

TEST(Channel, DonationLimitsAreInclusive) {
  channel::state s = registered_channel();
  EXPECT_EQ(channel::check_donation(s, usd("4.98")).error().code, errc::donation_out_of_range);
  EXPECT_TRUE(channel::check_donation(s, usd("4.99")).has_value());
  EXPECT_TRUE(channel::check_donation(s, usd("9999.99")).has_value());
  EXPECT_EQ(channel::check_donation(s, usd("10000")).error().code, errc::donation_out_of_range);
  channel::evolve(s, channel::donations_set{false});
  EXPECT_EQ(channel::check_donation(s, usd("10")).error().code, errc::donations_disabled);
}

TEST(Channel, DisabledChannelsSellNothing) {
  channel::state s = registered_channel();
  EXPECT_TRUE(channel::find_tier(s, 1).has_value());
  EXPECT_EQ(channel::find_tier(s, 0).error().code, errc::tier_not_found);
  EXPECT_EQ(channel::find_tier(s, 3).error().code, errc::tier_not_found);
  channel::evolve(s, (*channel::decide(s, channel::disable{"owner left", "op"}, now))[0]);
  EXPECT_EQ(channel::find_tier(s, 1).error().code, errc::channel_disabled);
  EXPECT_EQ(error_of(channel::decide, channel::state{channel_id(-5)},
                     channel::command{channel::set_donations{true}}),
            errc::channel_not_found);
}

// ---- subscriptions ----

TEST(Subscription, ExtendsFromTheLaterOfNowAndTheOldExpiry) {
  subscription::state s{user_id(1), channel_id(-100)};
  auto first = subscription::decide(s, subscription::activate{"p1", 1, 30}, now);
  ASSERT_EQ(first->size(), 1u);
  subscription::evolve(s, (*first)[0]);
  EXPECT_EQ(s.expires_at_us, now + 30 * day);
  // Renewing early adds to the old expiry.
  auto early = subscription::decide(s, subscription::activate{"p2", 1, 30}, now + day);
  subscription::evolve(s, (*early)[0]);
  EXPECT_EQ(s.expires_at_us, now + 60 * day);
  // Renewing after it lapsed starts from now.
  const std::int64_t later = now + 100 * day;
  subscription::evolve(s, (*subscription::decide(s, subscription::activate{"p3", 2, 7}, later))[0]);
  EXPECT_EQ(s.expires_at_us, later + 7 * day);
  // The same purchase never extends twice.
  EXPECT_TRUE(subscription::decide(s, subscription::activate{"p3", 2, 7}, later)->empty());
}

TEST(Subscription, RemindsAtThreeDaysThenOneDayThenExpires) {
  subscription::state s{user_id(1), channel_id(-100)};
  subscription::evolve(s, subscription::activated{"p1", 1, 30, 0, now + 10 * day});
  EXPECT_TRUE(subscription::decide(s, subscription::remind{}, now + 7 * day - 1)->empty());
  auto three = subscription::decide(s, subscription::remind{}, now + 7 * day);
  ASSERT_EQ(three->size(), 1u);
  EXPECT_EQ(std::get<subscription::reminded>((*three)[0]).days_before, 3u);
  subscription::evolve(s, (*three)[0]);
  EXPECT_TRUE(subscription::decide(s, subscription::remind{}, now + 8 * day)->empty());
  auto one = subscription::decide(s, subscription::remind{}, now + 9 * day);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(std::get<subscription::reminded>((*one)[0]).days_before, 1u);
  subscription::evolve(s, (*one)[0]);
  EXPECT_EQ(error_of(subscription::decide, s, subscription::command{subscription::expire{}}, now + 10 * day - 1),
            errc::subscription_not_expired);
  auto expired = subscription::decide(s, subscription::expire{}, now + 10 * day);
  ASSERT_EQ(expired->size(), 1u);
  subscription::evolve(s, (*expired)[0]);
  EXPECT_TRUE(subscription::decide(s, subscription::expire{}, now + 11 * day)->empty());
  EXPECT_FALSE(s.active_at(now + 10 * day));
}

// ---- coupons ----

coupon::state created_coupon(coupon::create c) {
  coupon::state s{"SAVE"};
  coupon::evolve(s, (*coupon::decide(s, c, now))[0]);
  return s;
}

coupon::create percent_coupon() {
  coupon::create c;
  c.type = coupon::kind::percent;
  c.percent_bps = 2500;
  c.usage_limit = 2;
  c.expires_at_us = now + day;
  c.by = "op";
  return c;
}

TEST(Coupon, DiscountsPercentOrFixedNeverBelowZero) {
  const auto s = created_coupon(percent_coupon());
  EXPECT_EQ(format_amount(*coupon::quote(s, user_id(1), channel_id(-1), 1, usd("9.99"), now)), "2.49");
  auto fixed = percent_coupon();
  fixed.type = coupon::kind::fixed;
  fixed.fixed = usd("20");
  const auto f = created_coupon(fixed);
  EXPECT_EQ(format_amount(*coupon::quote(f, user_id(1), channel_id(-1), 1, usd("9.99"), now)), "9.99");
}

TEST(Coupon, ExpiredExhaustedReusedOrNotApplicable) {
  coupon::state s = created_coupon(percent_coupon());
  EXPECT_EQ(coupon::quote(s, user_id(1), channel_id(-1), 1, usd("10"), now + day).error().code,
            errc::coupon_expired);  // at the expiry instant it is expired
  EXPECT_TRUE(coupon::quote(s, user_id(1), channel_id(-1), 1, usd("10"), now + day - 1).has_value());
  coupon::evolve(s, (*coupon::decide(s, coupon::redeem{user_id(1), channel_id(-1), 1, usd("10"), "p1"}, now))[0]);
  EXPECT_TRUE(coupon::decide(s, coupon::redeem{user_id(1), channel_id(-1), 1, usd("10"), "p1"}, now)->empty());
  EXPECT_EQ(error_of(coupon::decide, s, coupon::command{coupon::redeem{user_id(1), channel_id(-1), 1, usd("10"), "p2"}}),
            errc::coupon_already_used);
  coupon::evolve(s, (*coupon::decide(s, coupon::redeem{user_id(2), channel_id(-1), 1, usd("10"), "p3"}, now))[0]);
  EXPECT_EQ(error_of(coupon::decide, s, coupon::command{coupon::redeem{user_id(3), channel_id(-1), 1, usd("10"), "p4"}}),
            errc::coupon_exhausted);
  auto restricted = percent_coupon();
  restricted.channel = channel_id(-7);
  restricted.tier = 2;
  const auto r = created_coupon(restricted);
  EXPECT_EQ(coupon::quote(r, user_id(1), channel_id(-1), 2, usd("10"), now).error().code, errc::coupon_not_applicable);
  EXPECT_EQ(coupon::quote(r, user_id(1), channel_id(-7), 1, usd("10"), now).error().code, errc::coupon_not_applicable);
  EXPECT_TRUE(coupon::quote(r, user_id(1), channel_id(-7), 2, usd("10"), now).has_value());
}

TEST(Coupon, CreationRules) {
  auto c = percent_coupon();
  c.percent_bps = 0;
  EXPECT_EQ(error_of(coupon::decide, coupon::state{"X1X"}, coupon::command{c}), errc::coupon_invalid);
  c = percent_coupon();
  c.expires_at_us = now;
  EXPECT_EQ(error_of(coupon::decide, coupon::state{"X1X"}, coupon::command{c}), errc::coupon_invalid);
  EXPECT_EQ(*coupon::normalize_code("save-10"), "SAVE-10");
  EXPECT_FALSE(coupon::normalize_code("ab").has_value());
  EXPECT_FALSE(coupon::normalize_code("no spaces").has_value());
  EXPECT_EQ(error_of(coupon::decide, created_coupon(percent_coupon()), coupon::command{percent_coupon()}),
            errc::coupon_exists);
}

// ---- payouts ----

TEST(Payout, InstantBatchesAnyAccrualThresholdWaits) {
  payout::state s{channel_id(-100)};
  const amount nine = *parse_amount("9", asset::usdt);
  payout::evolve(s, (*payout::decide(s, payout::accrue{"p1", nine}, now))[0]);
  payout::strategy_facts instant{true, amount(asset::usdt, 0), address};
  payout::strategy_facts threshold{false, *parse_amount("10", asset::usdt), address};
  EXPECT_TRUE(payout::should_batch(s, instant));
  EXPECT_FALSE(payout::should_batch(s, threshold));
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::create_batch{"b1", threshold}}),
            errc::payout_nothing_to_batch);
  payout::evolve(s, payout::accrued{"p2", *parse_amount("1", asset::usdt)});
  EXPECT_TRUE(payout::should_batch(s, threshold));  // exactly the threshold
  auto batch = payout::decide(s, payout::create_batch{"b1", threshold}, now);
  ASSERT_EQ(batch->size(), 1u);
  payout::evolve(s, (*batch)[0]);
  EXPECT_EQ(s.unbatched, 0u);
  EXPECT_EQ(format_amount(s.batches.at("b1").value), "10");
}

TEST(Payout, BatchLifecycle) {
  payout::state s{channel_id(-100)};
  payout::evolve(s, payout::accrued{"p1", *parse_amount("5", asset::usdt)});
  payout::evolve(s, payout::batched{"b1", *parse_amount("5", asset::usdt), address});
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::mark_confirmed{"b1"}}), errc::payout_state_invalid);
  payout::evolve(s, (*payout::decide(s, payout::mark_submitted{"b1", "0xaa"}, now))[0]);
  payout::evolve(s, (*payout::decide(s, payout::mark_failed{"b1", "reverted", false}, now))[0]);
  payout::evolve(s, (*payout::decide(s, payout::retry{"b1"}, now))[0]);
  EXPECT_EQ(s.batches.at("b1").attempts, 2u);
  payout::evolve(s, (*payout::decide(s, payout::mark_submitted{"b1", "0xbb"}, now))[0]);
  payout::evolve(s, (*payout::decide(s, payout::mark_confirmed{"b1"}, now))[0]);
  EXPECT_EQ(format_amount(amount(asset::usdt, s.paid_total)), "5");
  EXPECT_TRUE(payout::decide(s, payout::mark_confirmed{"b1"}, now)->empty());
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::mark_failed{"b1", "x", true}}),
            errc::payout_state_invalid);
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::mark_confirmed{"zz"}}),
            errc::payout_batch_not_found);
}

TEST(Payout, AFinalFailureReturnsTheMoneyToBePaidAgain) {
  payout::state s{channel_id(-100)};
  payout::evolve(s, payout::accrued{"p1", *parse_amount("5", asset::usdt)});
  payout::evolve(s, payout::batched{"b1", *parse_amount("5", asset::usdt), address});
  payout::evolve(s, payout::failed{"b1", "address_rejected", true});
  EXPECT_EQ(format_amount(amount(asset::usdt, s.unbatched)), "5");
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::retry{"b1"}}), errc::payout_state_invalid);
}

TEST(Payout, ARefundTakesBackOnlyAnAccrualNoBatchTook) {
  payout::state s{channel_id(-100)};
  payout::evolve(s, payout::accrued{"p1", *parse_amount("5", asset::usdt)});
  payout::evolve(s, payout::accrued{"p2", *parse_amount("3", asset::usdt)});
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::reverse_accrual{"p9", "r"}}), errc::refund_refused);
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::reverse_accrual{"p1", ""}}), errc::invalid_argument);
  auto reversed = payout::decide(s, payout::reverse_accrual{"p1", "charged twice"}, now);
  ASSERT_EQ(reversed->size(), 1u);
  EXPECT_EQ(format_amount(std::get<payout::accrual_reversed>((*reversed)[0]).value), "5");
  payout::evolve(s, (*reversed)[0]);
  EXPECT_EQ(format_amount(amount(asset::usdt, s.unbatched)), "3");
  EXPECT_TRUE(payout::decide(s, payout::reverse_accrual{"p1", "again"}, now)->empty()) << "a repeat decides nothing";
  // A batch takes p2: it can no longer be taken back, not even after a failure that may retry.
  payout::evolve(s, payout::batched{"b1", *parse_amount("3", asset::usdt), address});
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::reverse_accrual{"p2", "r"}}), errc::refund_refused);
  payout::evolve(s, payout::failed{"b1", "reverted", false});
  EXPECT_EQ(error_of(payout::decide, s, payout::command{payout::reverse_accrual{"p2", "r"}}), errc::refund_refused);
  // A final failure gives the money back unbatched: then it can be.
  payout::evolve(s, payout::failed{"b1", "address_rejected", true});
  EXPECT_EQ(payout::decide(s, payout::reverse_accrual{"p2", "r"}, now)->size(), 1u);
}

TEST(Subscription, ARefundTakesBackThePurchasesDaysOnce) {
  subscription::state s{user_id(1), channel_id(-100)};
  subscription::evolve(s, (*subscription::decide(s, subscription::activate{"p1", 1, 30}, now))[0]);
  subscription::evolve(s, (*subscription::decide(s, subscription::activate{"p2", 1, 30}, now))[0]);
  EXPECT_EQ(error_of(subscription::decide, s, subscription::command{subscription::shorten{"p9", 30, "r"}}),
            errc::refund_refused);
  auto cut = subscription::decide(s, subscription::shorten{"p2", 30, "charged twice"}, now);
  ASSERT_EQ(cut->size(), 1u);
  subscription::evolve(s, (*cut)[0]);
  EXPECT_EQ(s.expires_at_us, now + 30 * day);
  EXPECT_TRUE(subscription::decide(s, subscription::shorten{"p2", 30, "again"}, now)->empty());
  // The last days taken: the subscription is due to expire at once.
  subscription::evolve(s, (*subscription::decide(s, subscription::shorten{"p1", 30, "r"}, now + day))[0]);
  EXPECT_LE(s.expires_at_us, now + day);
  EXPECT_EQ(subscription::due(s.expires_at_us, 0, s.expiry_recorded, now + day), subscription::due_kind::expire);
  // A renewal after the refund starts from now.
  subscription::evolve(s, (*subscription::decide(s, subscription::activate{"p3", 1, 7}, now + day))[0]);
  EXPECT_EQ(s.expires_at_us, now + 8 * day);
}

}  // namespace
}  // namespace telepay::domain
