// Goal: every read route decodes its query by one table: a parameter the route does not take, a
// parameter given twice, a malformed %-escape, text that is not UTF-8 or holds control
// characters, an integer out of range (a page limit of 0, 5000 or "abc") are each refused naming
// the parameter, instead of being ignored or silently replaced by a default; the table and
// docs/openapi.json describe the same routes and the same parameters.
// Method: the pure decoder on hand-built requests; the OpenAPI document from docs/.

#include <gtest/gtest.h>

#include <set>

#include <simdjson.h>

#include "gateways/http/read_routes.hpp"
#include "tests/support/openapi.hpp"

namespace telepay::gateways::http {
namespace {

request get(std::string_view pattern, std::string query, std::string param = "42") {
  request req;
  req.method = "GET";
  req.path = std::string(pattern);
  req.query = std::move(query);
  const read_route* route = find_read_route(pattern);
  if (route != nullptr && route->path != path_kind::none) {
    req.path_params.emplace_back(std::string(route->path_name), std::move(param));
  }
  return req;
}

result<read_args> decode(std::string_view pattern, std::string query, std::string param = "42") {
  const read_route* route = find_read_route(pattern);
  if (route == nullptr) return make_error(errc::internal, "no route " + std::string(pattern));
  return decode_read(*route, get(pattern, std::move(query), std::move(param)));
}

std::string refusal(std::string_view pattern, std::string query, std::string param = "42") {
  auto r = decode(pattern, std::move(query), std::move(param));
  if (r) return "(accepted)";
  EXPECT_EQ(r.code(), errc::invalid_argument);
  return r.error().message;
}

TEST(ReadRoutes, APageIsDecodedWithItsFilters) {
  auto r = decode("/v1/chain/deposits", "user_id=42&status=confirmed&cursor=c%3A1&limit=1000");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->cursor, "c:1");
  EXPECT_EQ(r->limit, 1000u);
  EXPECT_EQ(r->integer("user_id", 0), 42);
  EXPECT_EQ(r->text("status"), "confirmed");
  auto plain = decode("/v1/users", "");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->limit, 100u) << "the default page";
  auto spaced = decode("/v1/wallets", "owner=a+b%20c&&");
  ASSERT_TRUE(spaced.has_value()) << spaced.error().message;
  EXPECT_EQ(spaced->text("owner"), "a b c");
}

TEST(ReadRoutes, ALimitOutOfRangeIsRefusedNotReplacedByTheDefault) {
  // Before the table, limit=abc and limit=0 silently read 100 rows and limit=5000 read 1000.
  for (const char* bad : {"limit=abc", "limit=0", "limit=5000", "limit=-1", "limit=", "limit=1e3"}) {
    EXPECT_NE(refusal("/v1/users", bad).find("limit must be an integer 1..1000"), std::string::npos) << bad;
  }
  EXPECT_NE(refusal("/v1/events", "limit=10000").find("limit"), std::string::npos);
  EXPECT_NE(refusal("/v1/referrals/leaderboard", "offset=-3").find("offset"), std::string::npos);
}

TEST(ReadRoutes, AParameterTheRouteDoesNotTakeIsRefusedByName) {
  EXPECT_NE(refusal("/v1/withdrawals", "user=42").find("query parameter user is not taken by /v1/withdrawals"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/users/{id}", "at=5").find("at is not taken"), std::string::npos);
  EXPECT_NE(refusal("/v1/users", "%ff=1").find("name"), std::string::npos);
}

TEST(ReadRoutes, AParameterGivenTwiceIsRefused) {
  EXPECT_NE(refusal("/v1/invoices", "status=waiting&status=finished").find("status is given twice"), std::string::npos);
  EXPECT_NE(refusal("/v1/users", "limit=5&limit=6").find("limit is given twice"), std::string::npos);
}

TEST(ReadRoutes, MalformedEscapesBadTextAndBadIntegersAreRefused) {
  EXPECT_NE(refusal("/v1/wallets", "owner=%4").find("malformed %-escape"), std::string::npos);
  EXPECT_NE(refusal("/v1/wallets", "owner=%zz1").find("malformed %-escape"), std::string::npos);
  EXPECT_NE(refusal("/v1/wallets", "owner=%ff%fe").find("owner must be at most 256 bytes of UTF-8"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/wallets", "owner=a%0Ab").find("control characters"), std::string::npos);
  EXPECT_NE(refusal("/v1/wallets", "owner=" + std::string(257, 'x')).find("256 bytes"), std::string::npos);
  EXPECT_NE(refusal("/v1/invoices", "user_id=99999999999999999999").find("user_id must be an integer"),
            std::string::npos);
  EXPECT_NE(refusal("/v1/subscriptions", "within_days=3651").find("within_days"), std::string::npos);
  EXPECT_NE(refusal("/v1/subscriptions", "status=paused").find("status is one of active, expiring, expired"),
            std::string::npos);
}

// Issue 13: status=bogus answered 200 with an empty page on seven endpoints (and 400 on one).
// Every status (and kind) filter now names its values.
TEST(ReadRoutes, AnUnknownFilterValueIsRefusedOnEveryEndpoint) {
  for (const char* route : {"/v1/payouts", "/v1/processes", "/v1/manual-deposits", "/v1/invoices", "/v1/withdrawals",
                            "/v1/chain/deposits", "/v1/subscriptions"}) {
    EXPECT_NE(refusal(route, "status=bogus").find("status is one of"), std::string::npos) << route;
  }
  EXPECT_NE(refusal("/v1/processes", "kind=bogus").find("kind is one of"), std::string::npos);
  EXPECT_NE(refusal("/v1/wallets", "kind=bogus").find("kind is one of user, channel, system"), std::string::npos);
  EXPECT_TRUE(decode("/v1/withdrawals", "status=cancelled").has_value());
  EXPECT_TRUE(decode("/v1/invoices", "status=review").has_value());
  EXPECT_TRUE(decode("/v1/processes", "kind=payment&status=failed").has_value());
}

TEST(ReadRoutes, PathParametersAreChecked) {
  EXPECT_NE(refusal("/v1/users/{id}", "", "12x").find("path {id} must be an integer"), std::string::npos);
  EXPECT_NE(refusal("/v1/invoices/{order_id}", "", "a b").find("path {order_id}"), std::string::npos);
  auto ok = decode("/v1/invoices/{order_id}", "", "tg-sub-7");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->key, "tg-sub-7");
}

TEST(ReadRoutes, AtIsASeqOrAUtcTime) {
  auto seq = decode("/v1/users/{id}/balances", "at=17");
  ASSERT_TRUE(seq.has_value());
  EXPECT_EQ(seq->at_seq, 17u);
  EXPECT_FALSE(seq->at_time_us);
  auto when = decode("/v1/users/{id}/balances", "at=2026-11-25T10:00:00Z");
  ASSERT_TRUE(when.has_value());
  EXPECT_FALSE(when->at_seq);
  EXPECT_TRUE(when->at_time_us);
  EXPECT_NE(refusal("/v1/users/{id}/balances", "at=0").find("positive"), std::string::npos);
  EXPECT_NE(refusal("/v1/users/{id}/balances", "at=yesterday").find("UTC time"), std::string::npos);
}

TEST(ReadRoutes, SinceAndUntilAreUtcTimesInOrder) {
  for (const char* route : {"/v1/audit-log", "/v1/processes", "/v1/invoices", "/v1/events"}) {
    auto range = decode(route, "since=2026-11-25T10:00:00Z&until=2026-11-25T10:00:01Z");
    ASSERT_TRUE(range.has_value()) << route;
    EXPECT_EQ(range->integer("until", 0) - range->integer("since", 0), 1'000'000) << route;
    EXPECT_NE(refusal(route, "since=yesterday").find("since must be a UTC time"), std::string::npos) << route;
    EXPECT_NE(refusal(route, "until=17").find("until must be a UTC time"), std::string::npos) << route;
    EXPECT_NE(refusal(route, "since=2026-11-25T10:00:00Z&until=2026-11-25T10:00:00Z").find("until must be after since"),
              std::string::npos)
        << route;
  }
  EXPECT_NE(refusal("/v1/users", "since=2026-11-25T10:00:00Z").find("is not taken"), std::string::npos);
  EXPECT_TRUE(decode("/v1/payouts", "status=failed_final").has_value()) << "a status the read model writes";
  EXPECT_TRUE(decode("/v1/coupons", "status=exhausted").has_value());
  EXPECT_NE(refusal("/v1/coupons", "status=bogus").find("status is one of"), std::string::npos);
}

TEST(ReadRoutes, TheTableAndTheOpenApiDocumentDescribeTheSameReads) {
  const std::string text = testing::openapi_text();
  ASSERT_FALSE(text.empty()) << "docs/openapi.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(simdjson::padded_string(text));
  // Unauthenticated routes (api.cpp add_public) take nothing and are not in the table.
  const std::set<std::string> elsewhere = {"/health", "/openapi.json"};
  std::set<std::string> documented;
  for (auto [path, item] : doc["paths"].get_object()) {
    simdjson::dom::element operation;
    if (item["get"].get(operation) != simdjson::SUCCESS) continue;
    const std::string pattern(path);
    documented.insert(pattern);
    if (elsewhere.contains(pattern)) continue;
    const read_route* route = find_read_route(pattern);
    ASSERT_NE(route, nullptr) << pattern << " is documented but not in read_routes()";
    std::set<std::string> doc_params;
    simdjson::dom::array params;
    if (operation["parameters"].get(params) == simdjson::SUCCESS) {
      for (auto p : params) {
        std::string_view in;
        if (p["in"].get(in) != simdjson::SUCCESS || in != "query") continue;
        doc_params.insert(std::string(std::string_view(p["name"])));
      }
    }
    std::set<std::string> table_params;
    if (route->paged) {
      table_params.insert("cursor");
      table_params.insert("limit");
    }
    for (const query_field& f : route->fields) table_params.insert(std::string(f.name));
    EXPECT_EQ(doc_params, table_params) << pattern;
  }
  for (const read_route& route : read_routes()) {
    EXPECT_TRUE(documented.contains(std::string(route.pattern))) << route.pattern << " is served but not documented";
  }
}

}  // namespace
}  // namespace telepay::gateways::http
