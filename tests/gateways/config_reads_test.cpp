// Goal: what an operator sets can be read back, whole and exact: settings with their defaults,
// meanings and a change waiting for a second admin; a channel's tiers, strategy, threshold and
// a payout-address change waiting for approval; a coupon's terms and usage (issue 13, item 4).
// Method: entity states folded from their events, rendered, parsed back with simdjson.

#include <gtest/gtest.h>
#include <simdjson.h>

#include "gateways/http/config_reads.hpp"

namespace telepay::gateways::http {
namespace {

using namespace domain;

std::string text_at(const std::string& json, std::string_view pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return "<invalid JSON>";
  simdjson::dom::element value;
  if (doc.at_pointer(pointer).get(value) != simdjson::SUCCESS) return "<absent>";
  if (value.is_string()) return std::string(std::string_view(value));
  return simdjson::minify(value);
}

TEST(ConfigReads, SettingsShowValueDefaultMeaningAndWhatWaitsForASecondAdmin) {
  settings::state s;
  settings::evolve(s, settings::changed{"platform_fee_bps", "500", "op:alice"});
  settings::evolve(s, settings::change_requested{"withdrawal_approval_usdt", "50000", "op:alice"});
  const std::string body = settings_body(s);
  std::size_t n = 0;
  for (std::string_view key : settings::keys) {
    const std::string at = "/items/" + std::to_string(n++);
    EXPECT_EQ(text_at(body, at + "/key"), key);
    EXPECT_NE(text_at(body, at + "/description"), "") << key;
  }
  // keys are listed in order: hold_timeout_seconds, platform_fee_bps, ...
  EXPECT_EQ(text_at(body, "/items/1/value"), "500");
  EXPECT_EQ(text_at(body, "/items/1/default"), "1000");
  EXPECT_EQ(text_at(body, "/items/1/pending"), "<absent>");
  EXPECT_EQ(text_at(body, "/items/4/key"), "withdrawal_approval_usdt");
  EXPECT_EQ(text_at(body, "/items/4/value"), "1000") << "a weakening change applies only once approved";
  EXPECT_EQ(text_at(body, "/items/4/pending/value"), "50000");
  EXPECT_EQ(text_at(body, "/items/4/pending/by"), "op:alice");
}

TEST(ConfigReads, AChannelShowsItsTiersStrategyAndAPendingAddressChange) {
  const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  const std::string other = "0x52908400098527886E0F7030069857D2E4169EE7";
  channel::state c(channel_id(-100));
  EXPECT_EQ(channel_config_body(c).code(), errc::channel_not_found);
  channel::evolve(c, channel::registered{channel_id(-100), user_id(3), "Signals",
                                         {channel::tier{*parse_amount("9.99", asset::usd), 30},
                                          channel::tier{*parse_amount("24.5", asset::usd), 90}},
                                         true, channel::payout_strategy::threshold,
                                         *parse_amount("50", asset::usd), address});
  auto body = channel_config_body(c);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(text_at(*body, "/channel_id"), "-100");
  EXPECT_EQ(text_at(*body, "/owner_id"), "3");
  EXPECT_EQ(text_at(*body, "/tiers/1/tier"), "2");
  EXPECT_EQ(text_at(*body, "/tiers/1/price"), "24.5");
  EXPECT_EQ(text_at(*body, "/tiers/1/asset"), "USD");
  EXPECT_EQ(text_at(*body, "/tiers/1/days"), "90");
  EXPECT_EQ(text_at(*body, "/payout_strategy"), "threshold");
  EXPECT_EQ(text_at(*body, "/payout_threshold"), "50");
  EXPECT_EQ(text_at(*body, "/payout_address"), address);
  EXPECT_EQ(text_at(*body, "/payout_address_change"), "<absent>");
  channel::evolve(c, channel::payout_address_change_requested{other, "op:alice"});
  body = channel_config_body(c);
  EXPECT_EQ(text_at(*body, "/payout_address"), address) << "the old address pays until a second operator approves";
  EXPECT_EQ(text_at(*body, "/payout_address_change/address"), other);
  EXPECT_EQ(text_at(*body, "/payout_address_change/requested_by"), "op:alice");
}

TEST(ConfigReads, ACouponShowsItsTermsAndUsage) {
  coupon::state c("HALF");
  EXPECT_EQ(coupon_body(c).code(), errc::coupon_not_found);
  coupon::evolve(c, coupon::created{"HALF", coupon::kind::percent, 5000, amount(asset::usd, 0), 10,
                                    4'102'444'800'000'000, channel_id(-100), 2, "op:alice"});
  coupon::evolve(c, coupon::redeemed{user_id(7), "p-1", *parse_amount("5", asset::usd)});
  auto body = coupon_body(c);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(text_at(*body, "/code"), "HALF");
  EXPECT_EQ(text_at(*body, "/kind"), "percent");
  EXPECT_EQ(text_at(*body, "/percent_bps"), "5000");
  EXPECT_EQ(text_at(*body, "/usage_limit"), "10");
  EXPECT_EQ(text_at(*body, "/uses"), "1");
  EXPECT_EQ(text_at(*body, "/channel_id"), "-100");
  EXPECT_EQ(text_at(*body, "/tier"), "2");
  EXPECT_EQ(text_at(*body, "/expires_at"), "2100-01-01T00:00:00.000000Z");
  EXPECT_EQ(text_at(*body, "/disabled"), "false");
  coupon::evolve(c, coupon::disabled{"op:bob"});
  EXPECT_EQ(text_at(*coupon_body(c), "/disabled"), "true");
}

TEST(ConfigReads, ABroadcastShowsItsProgressAndWhoCancelledItAndWhy) {
  broadcast::state b("bc-1");
  EXPECT_EQ(broadcast_body(b).code(), errc::broadcast_not_found);
  broadcast::evolve(b, broadcast::started{"bc-1", "hello", "all", "token:op-1"});
  broadcast::evolve(b, broadcast::progressed{"0042", 40, 2});
  auto running = broadcast_body(b);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(text_at(*running, "/status"), "running");
  EXPECT_EQ(text_at(*running, "/queued"), "40");
  EXPECT_EQ(text_at(*running, "/skipped"), "2");
  EXPECT_EQ(text_at(*running, "/segment"), "all");
  EXPECT_EQ(text_at(*running, "/started_by"), "token:op-1");
  broadcast::evolve(b, broadcast::cancelled{"token:op-2", "wrong price", 40, 2});
  auto stopped = broadcast_body(b);
  EXPECT_EQ(text_at(*stopped, "/status"), "cancelled");
  EXPECT_EQ(text_at(*stopped, "/cancelled_by"), "token:op-2");
  EXPECT_EQ(text_at(*stopped, "/cancel_reason"), "wrong price");
}

}  // namespace
}  // namespace telepay::gateways::http
