// Goal: every write route of the operator API is a row of one table with a pure decoder: the
// table and docs/openapi.json list the same POST routes (webhooks apart), and the invoice
// route, once decoded inside the NOWPayments gateway with its own rules, refuses each bad field
// by name like every other route.
// Method: the pure decoders on hand-built requests; the OpenAPI document from docs/.

#include <gtest/gtest.h>

#include <set>

#include <simdjson.h>

#include "gateways/http/write_routes.hpp"
#include "tests/support/openapi.hpp"

namespace telepay::gateways::http {
namespace {

const write_route* find(std::string_view pattern) {
  for (const write_route& r : write_routes()) {
    if (r.pattern == pattern) return &r;
  }
  return nullptr;
}

result<write_command> decode(std::string_view pattern, std::string body,
                             std::vector<std::pair<std::string, std::string>> params = {}) {
  const write_route* route = find(pattern);
  if (route == nullptr) return make_error(errc::internal, "no route");
  request req;
  req.method = "POST";
  req.path = std::string(pattern);
  req.body = std::move(body);
  req.path_params = std::move(params);
  return route->decode(req, writer{"tok1", "op:alice"}, 1'800'000'000'000'000);
}

std::string refusal(std::string_view pattern, std::string body) {
  auto r = decode(pattern, std::move(body));
  return r ? "(accepted)" : r.error().message;
}

TEST(WriteRoutes, AnInvoiceOrderIsDecodedWithEveryField) {
  auto r = decode("/v1/admin/invoices",
                  R"({"user_id":42,"channel_id":-1001,"tier":2,"coupon":"WELCOME","order_id":"o-1","description":"d"})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& order = std::get<invoice_order>(*r);
  EXPECT_EQ(order.request.tier, 2u);
  EXPECT_EQ(order.request.order_id, "o-1");
  EXPECT_EQ(order.request.coupon, "WELCOME");
  EXPECT_FALSE(order.previous_not_created);
  auto donation = decode("/v1/admin/invoices", R"({"user_id":42,"channel_id":-1001,"donation_usd":"25.00"})");
  ASSERT_TRUE(donation.has_value()) << donation.error().message;
  EXPECT_EQ(std::get<invoice_order>(*donation).request.tier, 0u);
  EXPECT_TRUE(std::get<invoice_order>(*donation).request.order_id.empty()) << "the gateway makes one";
  auto linked = decode("/v1/admin/invoices",
                       R"({"user_id":42,"channel_id":-1001,"tier":1,"order_id":"o-2","provider_invoice_id":"123",)"
                       R"("invoice_url":"https://nowpayments.io/payment/?iid=123"})");
  ASSERT_TRUE(linked.has_value()) << linked.error().message;
  EXPECT_EQ(std::get<invoice_order>(*linked).provider_invoice_id, "123");
}

TEST(WriteRoutes, AnInvoiceOrderRefusesEachBadFieldByName) {
  const std::string base = R"("user_id":42,"channel_id":-1001)";
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"coupon":7})").find("'coupon'"), std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"description":[]})").find("'description'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":4})").find("'tier'"), std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"donation_usd":"5"})").find("exactly one"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"donation_usd":"0.00"})").find("'donation_usd'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"donation_usd":9.99})").find("'donation_usd'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", R"({"user_id":"42","channel_id":-1001,"tier":1})").find("'user_id'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"order_id":"a b"})").find("'order_id'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"tier":2})").find("tier"), std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"provider_invoice_id":"12"})").find("together"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"previous_attempt":"maybe"})")
                .find("'previous_attempt'"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/admin/invoices", "{" + base + R"(,"tier":1,"coupon":"bad code!"})").find("'coupon'"),
            std::string::npos);
}

TEST(WriteRoutes, AProcessRetryNamesItsProcess) {
  auto r = decode("/v1/admin/processes/{kind}/{id}/retry", "", {{"kind", "transfer"}, {"id", "t-1"}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(std::get<process_retry>(*r).kind, "transfer");
  EXPECT_EQ(std::get<process_retry>(*r).id, "t-1");
  auto body = decode("/v1/admin/processes/{kind}/{id}/retry", R"({"x":1})", {{"kind", "transfer"}, {"id", "t-1"}});
  EXPECT_FALSE(body.has_value());
}

TEST(WriteRoutes, AWebhookRegistrationIsDecodedAndEachBadFieldNamed) {
  constexpr std::string_view route = "/v1/admin/webhook-endpoints";
  auto r = decode(route, R"({"url":"https://h.example/x","event_types":["payout.sent","deposit.credited"],"from_seq":7})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& w = std::get<webhook_register>(*r);
  EXPECT_EQ(w.endpoint.url, "https://h.example/x");
  EXPECT_EQ(w.endpoint.types, (std::vector<std::string>{"payout.sent", "deposit.credited"}));
  EXPECT_EQ(w.endpoint.from_seq, 7u);
  EXPECT_EQ(w.endpoint.by, "op:alice");
  EXPECT_TRUE(w.endpoint.id.empty()) << "the dispatcher makes the id";
  auto from_now = decode(route, R"({"url":"https://h.example/x","event_types":["payout.sent"]})");
  ASSERT_TRUE(from_now.has_value()) << from_now.error().message;
  EXPECT_EQ(std::get<webhook_register>(*from_now).endpoint.from_seq, 0u);
  EXPECT_NE(refusal(route, R"({"url":"http://h.example/x","event_types":["payout.sent"]})").find("https"),
            std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x"})").find("event_types"), std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":"payout.sent"})").find("event_types"),
            std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":[]})").find("event_types"), std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":[1]})").find("event_types"), std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":["wallet.credited"]})").find("wallet.credited"),
            std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":["payout.sent"],"from_seq":0})").find("from_seq"),
            std::string::npos);
  EXPECT_NE(refusal(route, R"({"url":"https://h.example/x","event_types":["payout.sent"],"secret":"x"})").find("secret"),
            std::string::npos);
  auto rewind = decode("/v1/admin/webhook-endpoints/{id}/rewind", R"({"from_seq":3})", {{"id", "wh_1"}});
  ASSERT_TRUE(rewind.has_value()) << rewind.error().message;
  EXPECT_EQ(std::get<domain::webhook::rewind>(std::get<actors::webhook_request>(*rewind).command).from_seq, 3u);
}

TEST(WriteRoutes, TheTableAndTheOpenApiDocumentListTheSameWrites) {
  const std::string text = testing::openapi_text();
  ASSERT_FALSE(text.empty()) << "docs/openapi.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(simdjson::padded_string(text));
  std::set<std::string> documented;
  for (auto [path, item] : doc["paths"].get_object()) {
    simdjson::dom::element operation;
    if (item["post"].get(operation) != simdjson::SUCCESS) continue;
    const std::string pattern(path);
    if (pattern.starts_with("/v1/webhooks/")) continue;  // authenticated by their senders' secrets
    documented.insert(pattern);
    EXPECT_NE(find(pattern), nullptr) << pattern << " is documented but not in write_routes()";
  }
  for (const write_route& route : write_routes()) {
    EXPECT_TRUE(documented.contains(std::string(route.pattern))) << route.pattern << " is served but not documented";
  }
}

}  // namespace
}  // namespace telepay::gateways::http
