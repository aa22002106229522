// Fuzzes every decoder of the operator API's write routes, driven by the route table
// (gateways/http/write_routes.hpp), so a route added to the table is fuzzed with no change here.
//
// Input: byte 0 picks the route (modulo the table size); up to the first '\n' is the value of
// every `{name}` path parameter; the rest is the request body. The decoder must answer a command
// or an error for anything, as the router would hand it (any bytes: the router does not filter).
//
// TELEPAY_FUZZ_LIST_ROUTES=1 prints the table's patterns in order and exits (tools/fuzz seeds
// uses it to write the seed corpus from the OpenAPI examples).
//
// fuzz-dict: json

#include <cstdio>

#include "gateways/http/write_routes.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::gateways::http;

/// A time inside the supported range (2027-01-15), as the server's clock would give.
constexpr std::int64_t now_us = 1'800'000'000'000'000;

/// The request the router would build for `pattern` with every parameter set to `value`.
request request_for(std::string_view pattern, std::string_view value, std::string_view body) {
  request req;
  req.method = "POST";
  req.body = std::string(body);
  std::size_t at = 0;
  while (at < pattern.size()) {
    const auto open = pattern.find('{', at);
    if (open == std::string_view::npos) {
      req.path.append(pattern.substr(at));
      break;
    }
    const auto close = pattern.find('}', open);
    if (close == std::string_view::npos) {
      req.path.append(pattern.substr(at));
      break;
    }
    req.path.append(pattern.substr(at, open - at));
    req.path.append(value);
    req.path_params.emplace_back(std::string(pattern.substr(open + 1, close - open - 1)), std::string(value));
    at = close + 1;
  }
  req.target = req.path;
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (fuzz::env_set("TELEPAY_FUZZ_LIST_ROUTES")) {
    for (const write_route& route : write_routes()) {
      std::printf("%.*s\n", static_cast<int>(route.pattern.size()), route.pattern.data());
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto routes = write_routes();
  if (size == 0 || routes.empty()) return 0;
  fuzz::reader in(fuzz::as_text(data, size));
  const write_route& route = routes[in.byte() % routes.size()];
  const std::string_view param = in.line();
  const request req = request_for(route.pattern, param, in.rest());
  const writer who{"fuzztoken001"};
  // A command or a refusal are both fine; only a crash, a sanitizer report or a hang is a finding.
  (void)route.decode(req, who, now_us);
  return 0;
}
