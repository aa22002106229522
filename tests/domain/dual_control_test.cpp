// Goal: dual control that one person cannot walk around, decided in the domain: a token minted
// for another operator under dual control waits for a second admin (never the minter); raising
// a withdrawal limit under dual control waits for a second admin while lowering one applies at
// once; withdrawals each under the per-request limit reach a second operator once the user's
// or the operator's 24-hour total does; the new optional fields keep older events' bytes; every
// change to a control is announced.
// Method: given/when/then on decide/evolve and the rolling totals, no I/O.

#include <gtest/gtest.h>

#include "domain/admin.hpp"
#include "domain/control.hpp"
#include "domain/settings.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::domain {
namespace {

constexpr std::int64_t now = 1'764'000'000'000'000;
const std::string hash = std::string(64, 'a');

amount usdt(std::uint64_t whole) { return amount(asset::usdt, pow10_u128(18) * whole); }

template <class Decide, class State, class Command>
errc error_of(Decide decide, const State& s, const Command& c) {
  auto r = decide(s, c, now);
  return r ? errc::internal : r.code();
}

token::state minted(const token::create& c) {
  token::state s("k3J9xQ2mZ8aB");
  auto events = token::decide(s, c, now);
  EXPECT_TRUE(events.has_value()) << events.error().message;
  for (const auto& e : *events) token::evolve(s, e);
  return s;
}

TEST(TokenDualControl, ATokenForAnotherOperatorWaitsForAnotherAdmin) {
  token::create c{role::operator_, hash, {}, 50, 100, "night shift", "op:alice", "carol", true};
  token::state s = minted(c);
  EXPECT_TRUE(s.is_pending);
  EXPECT_EQ(token::identity(s.terms), "op:carol");
  EXPECT_EQ(error_of(token::decide, s, token::command{token::approve{"op:alice"}}), errc::approval_same_operator)
      << "the minter cannot let their own token in";
  auto approved = token::decide(s, token::approve{"op:bob"}, now);
  ASSERT_TRUE(approved.has_value());
  ASSERT_EQ(approved->size(), 1u);
  token::evolve(s, (*approved)[0]);
  EXPECT_FALSE(s.is_pending);
  EXPECT_TRUE(token::decide(s, token::approve{"op:bob"}, now)->empty()) << "approving twice changes nothing";
}

TEST(TokenDualControl, ATokenThatWaitsForNothingCannotBeApproved) {
  token::state s = minted(token::create{role::admin, hash, {}, 50, 100, "", "telepayd", "owner", false});
  EXPECT_EQ(error_of(token::decide, s, token::command{token::approve{"op:bob"}}), errc::approval_state_invalid);
  EXPECT_EQ(error_of(token::decide, token::state("k3J9xQ2mZ8aB"), token::command{token::approve{"op:bob"}}),
            errc::token_not_found);
}

TEST(TokenDualControl, ATokenFromBeforeOperatorsIsAnOperatorOfItsOwn) {
  token::created legacy;
  legacy.id = "k3J9xQ2mZ8aB";
  EXPECT_EQ(token::identity(legacy), "op:token.k3J9xQ2mZ8aB");
  legacy.operator_name = "alice";
  EXPECT_EQ(token::identity(legacy), "op:alice");
}

TEST(SettingsDualControl, RaisingAWithdrawalLimitWaitsForASecondAdmin) {
  settings::state s;
  auto asked = settings::decide(s, settings::set{"withdrawal_approval_usdt", "5000", "op:alice", true}, now);
  ASSERT_TRUE(asked.has_value()) << asked.error().message;
  ASSERT_EQ(asked->size(), 1u);
  ASSERT_TRUE(std::holds_alternative<settings::change_requested>((*asked)[0]));
  settings::evolve(s, (*asked)[0]);
  EXPECT_EQ(s.withdrawal_approval_usdt, usdt(1000)) << "nothing changes before the approval";
  EXPECT_EQ(error_of(settings::decide, s,
                     settings::command{settings::approve{"withdrawal_approval_usdt", "5000", "op:alice"}}),
            errc::approval_same_operator);
  EXPECT_EQ(error_of(settings::decide, s,
                     settings::command{settings::approve{"withdrawal_approval_usdt", "6000", "op:bob"}}),
            errc::approval_state_invalid)
      << "an approval names the value it approves";
  auto approved = settings::decide(s, settings::approve{"withdrawal_approval_usdt", "5000.0", "op:bob"}, now);
  ASSERT_TRUE(approved.has_value()) << approved.error().message;
  ASSERT_EQ(approved->size(), 1u);
  const auto& changed = std::get<settings::changed>((*approved)[0]);
  EXPECT_EQ(changed.by, "op:alice");
  EXPECT_EQ(changed.approved_by, "op:bob");
  settings::evolve(s, (*approved)[0]);
  EXPECT_EQ(s.withdrawal_approval_usdt, usdt(5000));
  EXPECT_TRUE(s.pending.empty());
}

TEST(SettingsDualControl, LoweringALimitOrChangingAnythingElseAppliesAtOnce) {
  settings::state s;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"withdrawal_approval_usdt", "500"}, {"withdrawal_user_daily_usdt", "100"}, {"platform_fee_bps", "2000"}}) {
    auto r = settings::decide(s, settings::set{key, value, "op:alice", true}, now);
    ASSERT_TRUE(r.has_value()) << key;
    ASSERT_EQ(r->size(), 1u) << key;
    EXPECT_TRUE(std::holds_alternative<settings::changed>((*r)[0])) << key << " strengthens or is no control";
    settings::evolve(s, (*r)[0]);
  }
  EXPECT_TRUE(*settings::weakens(s, "withdrawal_operator_daily_usdt", "20000"));
  EXPECT_FALSE(*settings::weakens(s, "withdrawal_operator_daily_usdt", "5000"));
  EXPECT_FALSE(*settings::weakens(s, "referral_rate_bps", "9000"));
  auto alone = settings::decide(s, settings::set{"withdrawal_approval_usdt", "900", "op:alice", false}, now);
  EXPECT_TRUE(std::holds_alternative<settings::changed>((*alone)[0])) << "without dual control it applies";
}

TEST(WithdrawalLimits, RequestsUnderThePerRequestLimitReachASecondOperatorOnceTheirSumDoes) {
  withdrawal::rolling_totals totals;
  const amount user_daily = usdt(2000);
  const amount operator_daily = usdt(10000);
  const user_id user(43);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(totals.reason_for(user, "op:alice", usdt(999).units(), now + i, user_daily, operator_daily), "");
    totals.add({"w" + std::to_string(i), user, "op:alice", usdt(999).units(), now + i});
  }
  const std::string third = totals.reason_for(user, "op:alice", usdt(999).units(), now + 2, user_daily, operator_daily);
  EXPECT_NE(third.find("within 24 hours"), std::string::npos) << third;
  EXPECT_EQ(totals.reason_for(user, "op:alice", usdt(999).units(), now + withdrawal::rolling_totals::window_us + 1,
                              user_daily, operator_daily),
            "")
      << "a day later the window has moved on";
  totals.remove("w0");
  EXPECT_EQ(totals.reason_for(user, "op:alice", usdt(999).units(), now + 2, user_daily, operator_daily), "")
      << "a rejected or failed withdrawal no longer counts";
}

TEST(WithdrawalLimits, AnOperatorsDailyTotalCountsEveryUser) {
  withdrawal::rolling_totals totals;
  for (int i = 0; i < 10; ++i) {
    totals.add({"w" + std::to_string(i), user_id(100 + i), "op:alice", usdt(999).units(), now});
  }
  EXPECT_NE(totals.reason_for(user_id(200), "op:alice", usdt(999).units(), now, usdt(2000), usdt(10000)), "");
  EXPECT_EQ(totals.reason_for(user_id(200), "op:bob", usdt(999).units(), now, usdt(2000), usdt(10000)), "");
  EXPECT_EQ(totals.reason_for(user_id(200), "telegram:200", usdt(999).units(), now, usdt(2000), usdt(10000)), "")
      << "a user's own withdrawals count for the user only";
}

TEST(WithdrawalLimits, AnApprovalReasonMakesAnySizeWaitForASecondOperator) {
  withdrawal::state s("w-1");
  auto r = withdrawal::decide(
      s, withdrawal::request{user_id(43), usdt(10), "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229", "op:alice", usdt(1000),
                             "user 43 would withdraw 2010 USDT within 24 hours"},
      now);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& requested = std::get<withdrawal::requested>((*r)[0]);
  EXPECT_TRUE(requested.needs_approval);
  withdrawal::evolve(s, (*r)[0]);
  EXPECT_EQ(s.status, withdrawal::status_kind::awaiting_approval);
  EXPECT_EQ(error_of(withdrawal::decide, s, withdrawal::command{withdrawal::approve{"op:alice"}}),
            errc::approval_same_operator);
}

TEST(DualControlCodec, OptionalFieldsRoundTripAndOlderEventsKeepTheirBytes) {
  const std::string with_operator =
      R"({"allowed_cidrs":[],"burst":100,"by":"op:alice","id":"k3J9xQ2mZ8aB","label":"","operator":"carol",)"
      R"("pending":true,"rate_per_second":50,"role":"operator","secret_sha256":")" + hash + "\"}";
  auto decoded = decode_event<token::event>("token.created", 1, with_operator);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(std::get<token::created>(*decoded).operator_name, "carol");
  EXPECT_EQ(encode_event(*decoded).payload, with_operator);
  const std::string approved_change = R"({"approved_by":"op:bob","by":"op:alice","key":"withdrawal_approval_usdt","value":"5000"})";
  auto change = decode_event<settings::event>("settings.changed", 1, approved_change);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(encode_event(*change).payload, approved_change);
}

TEST(ControlAnnouncements, WriteTokensAndWithdrawalLimitsAreAnnouncedOthersAreNot) {
  const auto token_event = [](const token::event& e) { return encode_event(e); };
  token::created write;
  write.id = "k3J9xQ2mZ8aB";
  write.access = role::operator_;
  write.secret_sha256 = hash;
  write.by = "op:alice";
  write.operator_name = "carol";
  auto e = token_event(write);
  auto said = control::announcement("token-k3J9xQ2mZ8aB", e.type, e.version, e.payload);
  ASSERT_TRUE(said.has_value());
  EXPECT_NE(said->find("op:carol"), std::string::npos);
  EXPECT_EQ(said->find(hash), std::string::npos) << "never a secret's hash";
  write.access = role::auditor;
  e = token_event(write);
  EXPECT_FALSE(control::announcement("token-k3J9xQ2mZ8aB", e.type, e.version, e.payload).has_value());
  auto raised = encode_event(settings::event{settings::changed{"withdrawal_user_daily_usdt", "5000", "op:alice", ""}});
  EXPECT_TRUE(control::announcement("settings", raised.type, raised.version, raised.payload).has_value());
  auto fee = encode_event(settings::event{settings::changed{"platform_fee_bps", "900", "op:alice", ""}});
  EXPECT_FALSE(control::announcement("settings", fee.type, fee.version, fee.payload).has_value());
}

}  // namespace
}  // namespace telepay::domain
