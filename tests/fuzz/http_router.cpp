// Fuzzes the operator API's router (gateways/http/router.hpp, compiled in from router.cpp) with
// every write route of the table (gateways/http/write_routes.hpp) and the read patterns of
// docs/openapi.json, against any method and path a client can send.
//
// Input: byte 0 picks the method (GET, POST, PUT, DELETE, HEAD, or the next line as is); the
// rest is the path.
//
// Properties beyond "no crash": every request is answered exactly once (a handler, 404 or
// 405); a handler gets one path parameter per `{name}` of its pattern, none of them empty.

#include "gateways/http/router.hpp"
#include "gateways/http/write_routes.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::gateways::http;

// The GET routes of docs/openapi.json (the read routes are not a table yet: they are installed
// inline in gateways/http/api.cpp; see docs/FUZZING.md).
constexpr std::string_view read_patterns[] = {
    "/health", "/openapi.json", "/metrics", "/v1/users", "/v1/users/{id}", "/v1/users/{id}/balances",
    "/v1/wallets", "/v1/referrals/leaderboard", "/v1/referrals/{id}", "/v1/subscriptions", "/v1/channels",
    "/v1/channels/{id}", "/v1/payouts", "/v1/processes", "/v1/manual-deposits", "/v1/blacklist",
    "/v1/audit-log", "/v1/events", "/v1/invoices", "/v1/users/{id}/deposit-address", "/v1/chain/status",
    "/v1/chain/deposits", "/v1/withdrawals", "/v1/withdrawals/{id}", "/v1/channels/{id}/config",
    "/v1/settings", "/v1/tokens", "/v1/coupons", "/v1/coupons/{code}", "/v1/accounts/{owner}/balances",
    "/v1/accounts/{owner}/statement"};

// Routes added outside the table (telepayd's main.cpp): webhooks and invoices.
constexpr std::string_view other_posts[] = {"/v1/webhooks/nowpayments", "/v1/webhooks/telegram",
                                            "/v1/admin/invoices"};

std::size_t parameters_of(std::string_view pattern) {
  std::size_t n = 0;
  for (const char c : pattern) n += c == '{' ? 1 : 0;
  return n;
}

struct routes {
  router r;

  routes() {
    const auto add = [this](std::string method, std::string_view pattern) {
      const std::size_t expected = parameters_of(pattern);
      r.add(std::move(method), std::string(pattern), [expected](const request& req, responder reply) {
        TELEPAY_FUZZ_CHECK(req.path_params.size() == expected, req.path);
        for (const auto& [name, value] : req.path_params) {
          TELEPAY_FUZZ_CHECK(!name.empty() && !value.empty() && value.find('/') == std::string::npos, req.path);
        }
        reply(json_response(200, "{}"));
      });
    };
    for (const write_route& w : write_routes()) add("POST", w.pattern);
    for (const std::string_view p : read_patterns) add("GET", p);
    for (const std::string_view p : other_posts) add("POST", p);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static routes table;
  fuzz::reader in(fuzz::as_text(data, size));
  static constexpr std::string_view methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
  request req;
  const std::uint8_t pick = in.byte();
  req.method = pick < 250 ? std::string(methods[pick % 5]) : std::string(in.line());
  req.path = std::string(in.rest());
  req.target = req.path;
  int answers = 0;
  table.r(req, [&answers](response res) {
    ++answers;
    TELEPAY_FUZZ_CHECK(res.status == 200 || res.status == 404 || res.status == 405, res.body);
  });
  TELEPAY_FUZZ_CHECK(answers == 1, req.path);
  return 0;
}
