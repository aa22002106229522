#pragma once
// The contract test: every answer telepayd gives an integration test is checked against
// docs/openapi.json, so the document and the server cannot drift apart. The document is the
// schema: a path, method or status it does not list is a violation, and a JSON body must match
// the response's schema (the subset of OpenAPI 3.0 the document uses: $ref, type, nullable,
// enum, properties, required, additionalProperties, items, allOf, anyOf, oneOf).
//
// testing::http_request checks each reply from a port registered here (daemon_process
// registers telepayd's port when it comes up, and forgets it when it stops). A violation is a
// test failure; with TELEPAY_OPENAPI_REPORT=<file> in the environment, violations are appended
// to that file instead (a survey of the whole suite, one line each).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace telepay::testing {

/// What is wrong with one answer, one line per problem; empty when it keeps the contract.
/// `document`: the OpenAPI document's text.
std::vector<std::string> openapi_violations(std::string_view document, std::string_view method,
                                            std::string_view target, int status, std::string_view content_type,
                                            std::string_view body);

/// Replies from `port` are checked from now on (until forget_contract_port).
void check_contract_on_port(std::uint16_t port);
void forget_contract_port(std::uint16_t port);

/// Checks one reply if its port is registered: a test failure per violation (or a report line).
void check_contract(std::uint16_t port, std::string_view method, std::string_view target, int status,
                    std::string_view content_type, std::string_view body);

}  // namespace telepay::testing
