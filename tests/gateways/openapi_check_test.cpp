// Goal: the contract check that every integration test runs on telepayd's answers finds each
// kind of drift between the server and docs/openapi.json, and passes an answer that keeps it.
// Method: a small document written here, answers that break it one way each.

#include <gtest/gtest.h>

#include "tests/support/openapi.hpp"
#include "tests/support/openapi_check.hpp"

namespace telepay::testing {
namespace {

constexpr std::string_view document = R"({"openapi":"3.0.3","paths":{
  "/v1/things/{id}":{"get":{"responses":{
    "200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},
    "404":{"$ref":"#/components/responses/Error"}}}},
  "/v1/things/special":{"get":{"responses":{"200":{"content":{"text/plain":{}}}}}}},
 "components":{
  "responses":{"Error":{"description":"error","content":{"application/json":{"schema":{
    "type":"object","required":["error","message"],"properties":{"error":{"type":"string"},"message":{"type":"string"}}}}}}},
  "schemas":{"Thing":{"type":"object","additionalProperties":false,"required":["id","status"],"properties":{
    "id":{"type":"string"},"status":{"type":"string","enum":["open","closed"]},
    "amount":{"type":"string"},"next":{"type":"string","nullable":true},
    "items":{"type":"array","items":{"type":"integer"}}}}}}})";

std::vector<std::string> check(std::string_view method, std::string_view target, int status, std::string_view body,
                               std::string_view type = "application/json") {
  return openapi_violations(document, method, target, status, type, body);
}

TEST(OpenApiCheck, AnAnswerThatKeepsTheContractPasses) {
  EXPECT_TRUE(check("GET", "/v1/things/7?x=1", 200, R"({"id":"7","status":"open","next":null,"items":[1,2]})").empty());
  EXPECT_TRUE(check("GET", "/v1/things/7", 404, R"({"error":"not_found","message":"no thing 7"})").empty());
  EXPECT_TRUE(check("GET", "/v1/things/special", 200, "plain text", "text/plain").empty())
      << "a literal path wins over a template";
}

TEST(OpenApiCheck, EachKindOfDriftIsNamed) {
  auto first = [](const std::vector<std::string>& v) { return v.empty() ? std::string() : v.front(); };
  EXPECT_NE(first(check("GET", "/v1/other", 200, "{}")).find("no such path"), std::string::npos);
  EXPECT_TRUE(check("GET", "/v1/other", 404, R"({"error":"not_found","message":"no route"})").empty())
      << "a path nobody serves answers 404";
  EXPECT_NE(first(check("POST", "/v1/things/7", 200, "{}")).find("no POST"), std::string::npos);
  EXPECT_TRUE(check("POST", "/v1/things/7", 405, R"({"error":"method_not_allowed","message":"GET only"})").empty());
  EXPECT_TRUE(check("POST", "/v1/things/7", 413, R"({"error":"payload_too_large","message":"over 64 KiB"})").empty())
      << "an oversized body is refused before any route is looked up";
  EXPECT_NE(first(check("POST", "/v1/things/7", 400, "{}")).find("no POST"), std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 201, "{}")).find("no 201 answer"), std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, R"({"id":"7"})")).find("required field \"status\""),
            std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, R"({"id":7,"status":"open"})")).find("is an integer"),
            std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, R"({"id":"7","status":"gone"})")).find("not one of"),
            std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, R"({"id":"7","status":"open","key":"x"})"))
                .find("field \"key\" is not in the document"),
            std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, R"({"id":"7","status":"open","items":["a"]})")).find("/items/0"),
            std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 404, R"({"error":"x"})")).find("\"message\""), std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, "not json")).find("not JSON"), std::string::npos);
  EXPECT_NE(first(check("GET", "/v1/things/7", 200, "{}", "text/html")).find("says application/json"),
            std::string::npos);
}

TEST(OpenApiCheck, TheProjectsDocumentIsReadable) {
  // The document every integration test is held to parses and resolves its own references.
  const std::string text = openapi_text();
  ASSERT_FALSE(text.empty());
  auto problems = openapi_violations(text, "GET", "/v1/no-such-route", 200, "application/json", "{}");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("no such path"), std::string::npos);
}

}  // namespace
}  // namespace telepay::testing
