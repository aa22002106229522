// Goal: every wallet rule, given/when/then without I/O: credits, debits, holds that post or
// void (and expire deterministically), idempotent repeats, refusals that change nothing, and
// the negative space: zero, one unit too many, overflow, another asset.
// Method: fold events into a state, decide a command, compare the events or the error.

#include <gtest/gtest.h>

#include "domain/wallet.hpp"

namespace telepay::domain::wallet {
namespace {

const wallet_key user{wallet_owner::of(user_id(7)), asset::usdt};
const wallet_key clearing{wallet_owner::of(system_account::nowpayments_clearing), asset::usdt};
constexpr std::int64_t now = 1'800'000'000'000'000;

amount usdt(u128 units) { return amount(asset::usdt, units); }
transfer_id id(const char* text) { return transfer_id(text); }

state given(const wallet_key& key, const std::vector<event>& events) {
  state s(key);
  for (const auto& e : events) {
    evolve(s, e);
  }
  return s;
}

std::vector<event> then_events(const state& s, const command& c, std::int64_t at = now) {
  auto r = decide(s, c, at);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::vector<event>{};
}

errc then_error(const state& s, const command& c, std::int64_t at = now) {
  auto r = decide(s, c, at);
  EXPECT_FALSE(r.has_value());
  return r ? errc::internal : r.error().code;
}

TEST(WalletDecide, CreditProducesOneEvent) {
  const state s(user);
  const auto events = then_events(s, credit{id("t1"), usdt(5), "deposit", "np:1"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<credited>(events[0]), (credited{id("t1"), usdt(5), "deposit", "np:1"}));
}

TEST(WalletDecide, RejectsZeroOtherAssetsAndBadLabels) {
  const state s(user);
  EXPECT_EQ(then_error(s, credit{id("t"), usdt(0), "deposit", ""}), errc::amount_must_be_positive);
  EXPECT_EQ(then_error(s, credit{id("t"), amount(asset::usd, 1), "deposit", ""}), errc::asset_mismatch);
  EXPECT_EQ(then_error(s, credit{id("t"), usdt(1), "", ""}), errc::invalid_argument);
  EXPECT_EQ(then_error(s, credit{id("t"), usdt(1), "has space", ""}), errc::invalid_argument);
}

TEST(WalletDecide, DebitUpToTheBalanceAndNotOneUnitMore) {
  const state s = given(user, {credited{id("c"), usdt(100), "deposit", ""}});
  EXPECT_EQ(then_events(s, debit{id("d"), usdt(100), "withdraw", ""}).size(), 1u);
  EXPECT_EQ(then_error(s, debit{id("d"), usdt(101), "withdraw", ""}), errc::insufficient_funds);
  EXPECT_EQ(then_error(state(user), debit{id("d"), usdt(1), "withdraw", ""}), errc::insufficient_funds);
}

TEST(WalletDecide, ClearingAccountsMayGoNegative) {
  const state s(clearing);
  EXPECT_EQ(then_events(s, debit{id("d"), usdt(1000), "deposit", ""}).size(), 1u);
  const state after = given(clearing, {debited{id("d"), usdt(1000), "deposit", ""}});
  EXPECT_EQ(after.balance_text(), "-0.000000000000001");
}

TEST(WalletDecide, CreditsAndDebitsNeverOverflow) {
  const state full = given(user, {credited{id("c"), usdt(u128_max), "deposit", ""}});
  EXPECT_EQ(then_error(full, credit{id("c2"), usdt(1), "deposit", ""}), errc::overflows_credits);
  const state owing = given(clearing, {debited{id("d"), usdt(u128_max), "deposit", ""}});
  EXPECT_EQ(then_error(owing, debit{id("d2"), usdt(1), "deposit", ""}), errc::overflows_debits);
}

TEST(WalletHold, ReservesFundsUntilPostedOrVoided) {
  const state funded = given(user, {credited{id("c"), usdt(100), "deposit", ""}});
  const auto held_events = then_events(funded, hold{id("h"), usdt(60), now + 10, "x"});
  ASSERT_EQ(held_events.size(), 1u);
  state s = given(user, {credited{id("c"), usdt(100), "deposit", ""}, held_events[0]});
  EXPECT_EQ(s.available().units(), 40u);
  EXPECT_EQ(then_error(s, debit{id("d"), usdt(41), "withdraw", ""}), errc::insufficient_funds);
  EXPECT_EQ(then_error(s, hold{id("h2"), usdt(41), now + 10, "x"}), errc::insufficient_funds);
  // Posting turns the pending debit into a posted one.
  const auto posted = then_events(s, post{id("h")});
  ASSERT_EQ(posted.size(), 1u);
  evolve(s, posted[0]);
  EXPECT_EQ(s.debits_posted, 60u);
  EXPECT_EQ(s.debits_pending, 0u);
  EXPECT_EQ(s.balance_text(), "0.00000000000000004");
  EXPECT_TRUE(s.holds.empty());
}

TEST(WalletHold, RepeatsAreIdempotentAndConflictsAreErrors) {
  state s = given(user, {credited{id("c"), usdt(100), "deposit", ""},
                         held{id("h"), usdt(10), "x", now + 10}});
  EXPECT_TRUE(then_events(s, hold{id("h"), usdt(10), now + 10, "x"}).empty());
  EXPECT_EQ(then_error(s, hold{id("h"), usdt(11), now + 10, "x"}),
            errc::transfer_exists_with_different_amount);
  evolve(s, hold_posted{id("h"), usdt(10)});
  EXPECT_TRUE(then_events(s, post{id("h")}).empty());  // posted before: nothing new
  EXPECT_EQ(then_error(s, void_hold{id("h"), "late"}), errc::hold_not_found);
  EXPECT_EQ(then_error(s, post{id("never")}), errc::hold_not_found);
}

TEST(WalletHold, VoidReleasesTheReservation) {
  state s = given(user, {credited{id("c"), usdt(100), "deposit", ""},
                         held{id("h"), usdt(30), "x", now + 10}});
  const auto voided = then_events(s, void_hold{id("h"), "refused"});
  ASSERT_EQ(voided.size(), 1u);
  evolve(s, voided[0]);
  EXPECT_EQ(s.available().units(), 100u);
  EXPECT_TRUE(then_events(s, void_hold{id("h"), "refused"}).empty());
  EXPECT_EQ(then_error(s, post{id("h")}), errc::hold_not_found);
}

TEST(WalletHold, ExpiryIsDeterministic) {
  state s = given(user, {credited{id("c"), usdt(100), "deposit", ""},
                         held{id("a"), usdt(10), "x", now + 10}, held{id("b"), usdt(10), "x", now + 20}});
  EXPECT_TRUE(then_events(s, expire_holds{}, now + 9).empty());
  const auto expired = then_events(s, expire_holds{}, now + 10);  // at the deadline exactly
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(std::get<hold_voided>(expired[0]).id.value(), "a");
  EXPECT_EQ(then_events(s, expire_holds{}, now + 20).size(), 2u);
  // A hold cannot be taken with a deadline that already passed.
  EXPECT_EQ(then_error(s, hold{id("c2"), usdt(1), now, "x"}), errc::hold_expired);
  // Until expire_holds voids it, an expired hold can still be posted (a resumed process).
  EXPECT_EQ(then_events(s, post{id("a")}, now + 1000).size(), 1u);
}

TEST(WalletKeys, IdempotencyKeysNameStreamOperationAndTransfer) {
  const state s(user);
  EXPECT_EQ(idempotency_key(s, credit{id("t1"), usdt(1), "k", ""}), "wallet-7-USDT/credit/t1");
  EXPECT_EQ(idempotency_key(s, post{id("t1")}), "wallet-7-USDT/post/t1");
  EXPECT_EQ(idempotency_key(s, expire_holds{}), "");
}

TEST(WalletSnapshot, RoundTripsEveryField) {
  state s = given(user, {credited{id("c"), usdt(100), "deposit", ""},
                         held{id("h"), usdt(10), "wallet-8-USDT", now + 10},
                         held{id("g"), usdt(5), "x", now + 20}, hold_posted{id("g"), usdt(5)},
                         debited{id("d"), usdt(1), "fee", ""}});
  const std::string bytes = encode_snapshot(s);
  auto back = decode_snapshot(user, bytes);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(decode_snapshot(clearing, bytes).has_value());
}

TEST(WalletEvents, DecodeRefusesBadPayloads) {
  EXPECT_EQ(decode_event<event>("wallet.credited", 1, "{}").error().code, errc::event_decode_failed);
  EXPECT_EQ(decode_event<event>("wallet.credited", 2, "{}").error().code, errc::event_version_unsupported);
  EXPECT_EQ(decode_event<event>("wallet.nope", 1, "{}").error().code, errc::event_type_unknown);
  EXPECT_EQ(decode_event<event>("wallet.credited", 1,
                                R"({"amount":1.5,"asset":"USDT","counterparty":"","kind":"k","transfer_id":"t"})")
                .error().code,
            errc::event_decode_failed);  // a JSON number is never read as money
}

}  // namespace
}  // namespace telepay::domain::wallet
