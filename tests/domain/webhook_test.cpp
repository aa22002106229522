// Goal: the pure part of outbound webhooks: which URLs an operator may register, which log
// events become which webhook types, what the endpoint entity accepts, and the payload's bytes.

#include <gtest/gtest.h>

#include "domain/webhook.hpp"

namespace telepay::domain {
namespace {

TEST(WebhookUrl, HttpsAnywhereHttpOnlyToLoopback) {
  for (const char* ok : {"https://hooks.example.com/telepay", "https://hooks.example.com", "https://h.example:8443/a/b",
                         "http://127.0.0.1:9000/hook", "http://localhost/x", "http://[::1]:80/y"}) {
    EXPECT_TRUE(webhook::check_url(ok)) << ok;
  }
  for (const char* bad : {"", "ftp://x.example/", "http://hooks.example.com/", "http://10.0.0.1/", "https://",
                          "https://user:pw@x.example/", "https://x.example/a?b=1", "https://x.example/#f",
                          "https://x.example:0/", "https://x.example:70000/", "https://x.example:/", "https://x y/",
                          "https://[fe80::1]/", "https://x.example/\x01", "https://ex\xc3\xa9.example/"}) {
    EXPECT_FALSE(webhook::check_url(bad)) << bad;
  }
  EXPECT_FALSE(webhook::check_url("https://x.example/" + std::string(webhook::url_max, 'a')));
}

TEST(WebhookTypes, EachMappedLogEventAndNothingElse) {
  EXPECT_EQ(webhook::type_of("process-payment-77", "process.completed"), "payment.settled");
  EXPECT_EQ(webhook::type_of("process-purchase-p1", "process.completed"), "purchase.completed");
  EXPECT_EQ(webhook::type_of("process-refund-p1", "process.completed"), "purchase.refunded");
  EXPECT_EQ(webhook::type_of("process-deposit-d1", "process.completed"), "deposit.credited");
  EXPECT_EQ(webhook::type_of("subscription-5-9", "subscription.activated"), "subscription.activated");
  EXPECT_EQ(webhook::type_of("subscription-5-9", "subscription.expired"), "subscription.expired");
  EXPECT_EQ(webhook::type_of("withdrawal-w1", "withdrawal.completed"), "withdrawal.sent");
  EXPECT_EQ(webhook::type_of("withdrawal-w1", "withdrawal.failed"), "withdrawal.failed");
  EXPECT_EQ(webhook::type_of("payout-9", "payout.confirmed"), "payout.sent");
  EXPECT_FALSE(webhook::type_of("process-payment-77", "process.failed"));
  EXPECT_FALSE(webhook::type_of("process-other-1", "process.completed"));
  EXPECT_FALSE(webhook::type_of("wallet-5-USDT", "wallet.credited"));
  EXPECT_FALSE(webhook::may_map("wallet.credited"));
  for (const auto type : webhook::event_types()) EXPECT_TRUE(webhook::is_event_type(type));
  EXPECT_FALSE(webhook::is_event_type("wallet.credited"));
}

TEST(WebhookEntity, RegisterDisableRewindAndTheirRefusals) {
  webhook::state s;
  const webhook::register_endpoint reg{"wh_1a", "https://x.example/h", {"payment.settled"}, 0, "op:ann"};
  auto made = webhook::decide(s, reg, 0);
  ASSERT_TRUE(made) << made.error().message;
  for (const auto& e : *made) webhook::evolve(s, e);
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_TRUE(s.endpoints.at("wh_1a").enabled);

  EXPECT_EQ(webhook::decide(s, reg, 0).code(), errc::webhook_state_invalid) << "the id is taken";
  auto bad = reg;
  bad.id = "wh_2";
  bad.types = {"payment.settled", "payment.settled"};
  EXPECT_EQ(webhook::decide(s, bad, 0).code(), errc::invalid_argument) << "a type twice";
  bad.types = {"wallet.credited"};
  EXPECT_EQ(webhook::decide(s, bad, 0).code(), errc::invalid_argument) << "an unknown type";
  bad.types = {};
  EXPECT_EQ(webhook::decide(s, bad, 0).code(), errc::invalid_argument) << "no type";
  bad = reg;
  bad.id = "WH_X";
  EXPECT_EQ(webhook::decide(s, bad, 0).code(), errc::invalid_argument) << "a bad id";
  bad = reg;
  bad.id = "wh_3";
  bad.url = "http://hooks.example.com/";
  EXPECT_EQ(webhook::decide(s, bad, 0).code(), errc::invalid_argument) << "plain http off loopback";

  EXPECT_EQ(webhook::decide(s, webhook::rewind{"wh_1a", 0, "op:ann"}, 0).code(), errc::invalid_argument);
  EXPECT_EQ(webhook::decide(s, webhook::rewind{"wh_zz", 5, "op:ann"}, 0).code(), errc::webhook_not_found);
  auto rewound = webhook::decide(s, webhook::rewind{"wh_1a", 5, "op:ann"}, 0);
  ASSERT_TRUE(rewound);
  for (const auto& e : *rewound) webhook::evolve(s, e);
  EXPECT_EQ(s.endpoints.at("wh_1a").from_seq, 5u);
  EXPECT_EQ(s.endpoints.at("wh_1a").generation, 1u);

  EXPECT_EQ(webhook::decide(s, webhook::disable{"wh_1a", "", "op:ann"}, 0).code(), errc::invalid_argument);
  auto off = webhook::decide(s, webhook::disable{"wh_1a", "retired", "op:ann"}, 0);
  ASSERT_TRUE(off);
  for (const auto& e : *off) webhook::evolve(s, e);
  EXPECT_FALSE(s.endpoints.at("wh_1a").enabled);
  EXPECT_EQ(webhook::decide(s, webhook::disable{"wh_1a", "again", "op:ann"}, 0).code(), errc::webhook_state_invalid);
  EXPECT_EQ(webhook::decide(s, webhook::rewind{"wh_1a", 5, "op:ann"}, 0).code(), errc::webhook_state_invalid);
}

TEST(WebhookEntity, AtMostThirtyTwoEnabled) {
  webhook::state s;
  for (std::size_t i = 0; i < webhook::endpoints_max; ++i) {
    auto made = webhook::decide(
        s, webhook::register_endpoint{"wh_" + std::to_string(i), "https://x.example/", {"payout.sent"}, 0, "op:a"}, 0);
    ASSERT_TRUE(made);
    for (const auto& e : *made) webhook::evolve(s, e);
  }
  const webhook::register_endpoint one_more{"wh_more", "https://x.example/", {"payout.sent"}, 0, "op:a"};
  EXPECT_EQ(webhook::decide(s, one_more, 0).code(), errc::webhook_state_invalid);
  auto off = webhook::decide(s, webhook::disable{"wh_0", "make room", "op:a"}, 0);
  ASSERT_TRUE(off);
  for (const auto& e : *off) webhook::evolve(s, e);
  EXPECT_TRUE(webhook::decide(s, one_more, 0));
}

TEST(WebhookPayload, KnownBytes) {
  const std::string data = webhook::process_data("process-purchase-p-1", "purchase", R"({"buyer":5})", "completed");
  EXPECT_EQ(data, R"({"id":"p-1","intent":{"buyer":5},"kind":"purchase","outcome":"completed"})");
  EXPECT_EQ(webhook::payload(42, 1'700'000'000'000'000, "process-purchase-p-1", "process.completed",
                             "purchase.completed", data),
            R"({"created_at":"2023-11-14T22:13:20.000000Z","data":)" + data +
                R"(,"id":"evt_42","seq":42,"source":"process.completed","stream":"process-purchase-p-1",)"
                R"("type":"purchase.completed"})");
}

}  // namespace
}  // namespace telepay::domain
