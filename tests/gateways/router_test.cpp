// Goal: the router sends each method and path to its handler, extracts `{name}` parameters,
// answers 404 for unknown paths and 405 (with Allow) for known paths with another method.
// Method: call the router directly with hand-built requests; no network.

#include <gtest/gtest.h>

#include "gateways/http/router.hpp"

namespace telepay::gateways::http {
namespace {

request make(std::string method, std::string path) {
  request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.target = req.path;
  return req;
}

response call(const router& r, const request& req) {
  response out;
  r(req, [&](response res) { out = std::move(res); });
  return out;
}

TEST(HttpRouter, RoutesByMethodAndPathWithParameters) {
  router r;
  r.add("GET", "/health", [](const request&, responder reply) {
    response res;
    res.body = "healthy";
    reply(res);
  });
  r.add("GET", "/v1/users/{id}/balances", [](const request& req, responder reply) {
    response res;
    res.body = "user " + std::string(req.param("id"));
    reply(res);
  });
  r.add("POST", "/v1/users/{id}/balances", [](const request&, responder reply) {
    response res;
    res.status = 201;
    reply(res);
  });
  EXPECT_EQ(call(r, make("GET", "/health")).body, "healthy");
  EXPECT_EQ(call(r, make("GET", "/v1/users/42/balances")).body, "user 42");
  EXPECT_EQ(call(r, make("GET", "/v1/users/42/balances/")).body, "user 42");
  EXPECT_EQ(call(r, make("POST", "/v1/users/7/balances")).status, 201u);

  const response missing = call(r, make("GET", "/v1/users/42"));
  EXPECT_EQ(missing.status, 404u);
  EXPECT_NE(missing.body.find("not_found"), std::string::npos);

  const response wrong = call(r, make("DELETE", "/v1/users/42/balances"));
  EXPECT_EQ(wrong.status, 405u);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].second, "GET, POST");
}

TEST(HttpRouter, ErrorBodiesAreEscapedJson) {
  const response res = error_response(400, "bad_request", "field \"x\" is wrong\n");
  EXPECT_EQ(res.body, R"({"error":"bad_request","message":"field \"x\" is wrong\n"})");
}

}  // namespace
}  // namespace telepay::gateways::http
