// Goal: nothing a client, a webhook or a node sends can make the domain write an event that
// does not decode, trap on an overflow, or narrow a stored number silently: echoes of external
// text in errors stay valid UTF-8, the writer repairs invalid UTF-8, the admin log and the
// notice outbox refuse it, a subscription cannot be extended past year 9999, 32-bit fields
// read back out of range are refused, and the auditor's wallet fold reports broken invariants.
// Method: given/when/then over pure decide/evolve and the codec, with inputs on both sides of
// each boundary (a multi-byte character cut by the echo limit, 2^32 - 1 and 2^32).

#include <gtest/gtest.h>

#include "domain/admin.hpp"
#include "domain/base/json.hpp"
#include "domain/conversation.hpp"
#include "domain/crypto/eip55.hpp"
#include "domain/money/decimal.hpp"
#include "domain/notice.hpp"
#include "domain/settings.hpp"
#include "domain/subscription.hpp"
#include "domain/user.hpp"
#include "domain/wallet.hpp"

namespace telepay::domain {
namespace {

// "e" with an acute accent, two bytes: placed so that every echo limit cuts it in half.
const std::string e_acute = "\xc3\xa9";

std::string cut_at(std::size_t limit) { return std::string(limit - 1, '1') + e_acute; }

template <class T>
std::string message_of(const result<T>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

TEST(HostileText, EchoesInErrorsAreCutOnACharacterBoundary) {
  const std::vector<std::string> messages{
      message_of(parse_amount(cut_at(64), asset::usdt)),
      message_of(parse_asset(cut_at(16))),
      message_of(parse_rate_e8(cut_at(32))),
      message_of(parse_decimal(cut_at(64) + "x")),
      message_of(parse_evm_address(cut_at(64))),
      message_of(parse_referral_code(cut_at(32))),
      message_of(settings::get(settings::state{}, cut_at(64))),
      message_of(result<int>(check_cidr(cut_at(64)).error())),
      message_of(conversation::decide(conversation::state(make_user_id(42).value()),
                                      conversation::receive{1, cut_at(32), "{}"}, 0)),
  };
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_TRUE(is_valid_utf8(m)) << m;
  }
}

TEST(HostileText, ABlockedDetailIsCutOnACharacterBoundary) {
  const conversation::state s(make_user_id(42).value());
  auto blocked = conversation::decide(s, conversation::mark_blocked{cut_at(300)}, 0);
  ASSERT_TRUE(blocked.has_value());
  ASSERT_EQ(blocked->size(), 1u);
  const auto& b = std::get<conversation::blocked>(blocked->front());
  EXPECT_EQ(b.detail, std::string(299, '1'));
  EXPECT_TRUE(is_valid_utf8(b.detail));
}

// The writer's repair: an event carrying invalid bytes still decodes (with U+FFFD), so a
// stream can never be poisoned by one payload.
TEST(HostileText, AnEventWithInvalidUtf8StillDecodes) {
  const user::event banned{user::banned{user_id(7), "bad \xff\xc0 reason", "op"}};
  const auto encoded = encode_event(banned);
  EXPECT_TRUE(is_valid_utf8(encoded.payload));
  auto decoded = decode_event<user::event>(encoded.type, encoded.version, encoded.payload);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(std::get<user::banned>(*decoded).reason, "bad \xef\xbf\xbd\xef\xbf\xbd reason");
}

admin_log::recorded entry(std::string path, std::string response) {
  admin_log::recorded r;
  r.token = "tok";
  r.method = "POST";
  r.path = std::move(path);
  r.idempotency_key = "k1";
  r.request_sha256 = std::string(64, 'a');
  r.status = 400;
  r.response = std::move(response);
  return r;
}

TEST(AdminLog, RefusesTextThatIsNotUtf8NamingTheField) {
  const admin_log::state s("tok");
  EXPECT_TRUE(admin_log::decide(s, admin_log::record{entry("/v1/admin/users/\xc3\xa9/unban", "{}")}, 0));
  auto path = admin_log::decide(s, admin_log::record{entry("/v1/admin/users/\xff/unban", "{}")}, 0);
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().code, errc::invalid_argument);
  EXPECT_NE(path.error().message.find("path"), std::string::npos) << path.error().message;
  auto response = admin_log::decide(s, admin_log::record{entry("/v1/x", "{\"error\":\"\xe2\x82\"}")}, 0);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, errc::invalid_argument);
  EXPECT_NE(response.error().message.find("response"), std::string::npos) << response.error().message;
}

TEST(NoticeOutbox, RefusesTextThatIsNotUtf8NamingTheField) {
  notice::state s(make_user_id(42).value());
  const auto text = [](std::string t) { return notice::item{notice::kind::message, 0, "", 0, std::move(t), {}, 0}; };
  const auto button = [](std::string t) {
    return notice::item{notice::kind::message, 0, "", 0, "pick", {{{std::move(t), "d", ""}}}, 0};
  };
  EXPECT_TRUE(notice::decide(s, notice::request{1, {text("caf" + e_acute)}, "bot"}, 0));
  for (const auto& [item, field] : {std::pair{text("A" + e_acute.substr(0, 1)), "notice text"},
                                    std::pair{button("\xff"), "button"}}) {
    auto refused = notice::decide(s, notice::request{1, {item}, "bot"}, 0);
    ASSERT_FALSE(refused.has_value()) << field;
    EXPECT_EQ(refused.error().code, errc::invalid_argument);
    EXPECT_NE(refused.error().message.find(field), std::string::npos) << refused.error().message;
  }
  auto requested = notice::decide(s, notice::request{1, {text("hello")}, "bot"}, 0);
  ASSERT_TRUE(requested.has_value());
  for (const auto& e : *requested) notice::evolve(s, e);
  auto detail = notice::decide(s, notice::deliver{1, false, "Forbidden: \xed\xa0\x80"}, 0);
  ASSERT_FALSE(detail.has_value());
  EXPECT_EQ(detail.error().code, errc::invalid_argument);
  EXPECT_NE(detail.error().message.find("detail"), std::string::npos) << detail.error().message;
}

TEST(Subscription, AnExpiryBeyondYear9999IsRefusedNotAnOverflow) {
  subscription::state s(user_id(1), channel_id(-5));
  s.expires_at_us = subscription::expires_at_us_max - 3650 * subscription::day_us;
  auto last = subscription::decide(s, subscription::activate{"p1", 1, 3650}, 0);
  ASSERT_TRUE(last.has_value()) << last.error().message;  // lands exactly on the bound
  for (const auto& e : *last) subscription::evolve(s, e);
  EXPECT_EQ(s.expires_at_us, subscription::expires_at_us_max);
  auto beyond = subscription::decide(s, subscription::activate{"p2", 1, 1}, 0);
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().code, errc::invalid_argument);
  // Even from a state no decide could produce, the sum is checked (no signed overflow).
  s.expires_at_us = INT64_MAX - 1;
  auto overflow = subscription::decide(s, subscription::activate{"p3", 1, 3650}, 0);
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().code, errc::invalid_argument);
}

TEST(EventCodec, ThirtyTwoBitFieldsOutOfRangeAreRefusedNotNarrowed) {
  const auto token_with_burst = [](std::string burst) {
    return R"({"allowed_cidrs":[],"burst":)" + burst +
           R"(,"by":"op","id":"abcdefghijkl","label":"","rate_per_second":5,"role":"auditor","secret_sha256":")" +
           std::string(64, 'a') + R"("})";
  };
  auto fits = decode_event<token::event>("token.created", 1, token_with_burst("4294967295"));
  ASSERT_TRUE(fits.has_value()) << fits.error().message;
  EXPECT_EQ(std::get<token::created>(*fits).burst, 4294967295u);
  auto wide = decode_event<token::event>("token.created", 1, token_with_burst("4294967296"));
  ASSERT_FALSE(wide.has_value());
  EXPECT_EQ(wide.error().code, errc::event_decode_failed);
  EXPECT_NE(wide.error().message.find("'burst'"), std::string::npos) << wide.error().message;
}

// ---- the auditor's checking fold ----

wallet::state user_wallet() { return wallet::state(wallet_key{wallet_owner::of(user_id(7)), asset::usdt}); }
amount usdt(std::string_view text) { return *parse_amount(text, asset::usdt); }

TEST(WalletCheckedFold, ReturnsTheViolationInsteadOfTrapping) {
  wallet::state s = user_wallet();
  ASSERT_TRUE(wallet::evolve_checked(s, wallet::credited{transfer_id("c"), usdt("5"), "deposit", "x"}));
  const wallet::state before = s;
  const std::vector<std::pair<wallet::event, std::string>> broken{
      {wallet::hold_posted{transfer_id("h"), usdt("1")}, "posting hold h, which is not pending"},
      {wallet::hold_voided{transfer_id("h"), usdt("1"), "r"}, "voiding hold h, which is not pending"},
      {wallet::credited{transfer_id("c2"), *parse_amount("1", asset::usd), "deposit", "x"}, "an event in USD"},
      {wallet::credited{transfer_id("c3"), amount(asset::usdt, ~u128{0}), "deposit", "x"}, "credits overflow"},
  };
  for (const auto& [event, why] : broken) {
    auto applied = wallet::evolve_checked(s, event);
    ASSERT_FALSE(applied.has_value()) << why;
    EXPECT_EQ(applied.error().code, errc::record_corrupt);
    EXPECT_NE(applied.error().message.find(why), std::string::npos) << applied.error().message;
    EXPECT_EQ(s, before);  // left unchanged
  }
  ASSERT_TRUE(wallet::evolve_checked(s, wallet::held{transfer_id("h"), usdt("2"), "x", 0}));
  auto twice = wallet::evolve_checked(s, wallet::held{transfer_id("h"), usdt("2"), "x", 0});
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message.find("recorded twice"), std::string::npos);
  auto other_amount = wallet::evolve_checked(s, wallet::hold_posted{transfer_id("h"), usdt("3")});
  ASSERT_FALSE(other_amount.has_value());
  EXPECT_NE(other_amount.error().message.find("with another amount"), std::string::npos);
  ASSERT_TRUE(wallet::evolve_checked(s, wallet::hold_posted{transfer_id("h"), usdt("2")}));
  EXPECT_EQ(s.debits_posted, usdt("2").units());
  EXPECT_TRUE(s.holds.empty());
}

}  // namespace
}  // namespace telepay::domain
