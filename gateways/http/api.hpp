#pragma once
/// The operator HTTP API on top of the router: authentication (bearer tokens with roles,
/// optional IP allowlists, per-token rate limits), read endpoints over every projection, the
/// event feed for auditors, admin commands with idempotency keys (each recorded as an event
/// with the token that sent it), /health, /metrics and /openapi.json.
///
/// Thread safety: handlers run on the server's io threads and answer from actor threads; all
/// shared state inside is locked.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "actors/attention.hpp"
#include "domain/admin.hpp"
#include "gateways/http/auth.hpp"
#include "gateways/http/router.hpp"

namespace telepay::actors {
class ledger_client;
class ledger_reads;
}  // namespace telepay::actors

namespace telepay::gateways::http {

/// The answer for a failed command: its HTTP status (one table for every errc), the code, and
/// the message; for 5xx a fixed message, the detail in response::log_detail.
response error_answer(const error& e);

struct chain_rescan;   // gateways/http/write_routes.hpp
struct invoice_order;  // gateways/http/write_routes.hpp
struct read_args;      // gateways/http/read_routes.hpp

struct api_hooks {
  /// The /health body (JSON), from the server's wiring.
  std::function<std::string()> health;
  /// Prometheus text the wiring adds to /metrics (event store, actors, projections).
  std::function<std::string()> metrics;
  /// The OpenAPI document served at /openapi.json.
  std::string openapi;
  /// Requests that present no valid token (401s, /health, /openapi.json, webhooks) share a
  /// token bucket per client address: refilled at this rate up to the burst, 429 when empty.
  /// Default: 100/s, burst 200.
  std::uint32_t anonymous_rate_per_second = 100;
  std::uint32_t anonymous_burst = 200;
  /// POST /v1/admin/chain/rescan, when the chain gateway runs (unset: 409 chain_not_configured).
  std::function<response(const chain_rescan&)> chain_rescan;
  /// Processes that stopped retrying: GET /v1/processes/attention lists them,
  /// POST /v1/admin/processes/{kind}/{id}/retry resumes one.
  std::shared_ptr<actors::attention_board> attention;
  /// POST /v1/admin/invoices, when NOWPayments is configured (unset: 503 not_configured).
  std::function<void(const invoice_order&, responder)> create_invoice;
  /// POST /v1/admin/users/{id}/deposit-address, when the chain gateway derives deposit
  /// addresses (unset: 409 chain_not_configured).
  std::function<void(domain::user_id, responder)> assign_deposit_address;
  /// Whether the Telegram gateway runs and so delivers broadcasts; when not, a new broadcast is
  /// refused (503 not_configured) before anything is recorded.
  bool broadcasts_delivered = false;
  /// An outbound webhook endpoint's signing secret, shown once when it is registered (unset: a
  /// registration is refused 503 not_configured, nothing recorded).
  std::function<std::string(std::string_view id)> webhook_secret;
};

class api {
 public:
  api(actors::ledger_client& client, const actors::ledger_reads& reads, api_hooks hooks);
  ~api();
  api(const api&) = delete;
  api& operator=(const api&) = delete;

  /// Adds every route to `r`.
  void install(router& r);

  /// Adds a write route guarded like the built-in ones: bearer token with at least `need`,
  /// Idempotency-Key (a retry gets the first answer), the answer recorded in the audit log.
  using write_handler = std::function<void(const request&, const std::string& token_id, responder)>;
  void add_write(router& r, std::string pattern, domain::role need, write_handler fn);

  /// Adds an unauthenticated route (a webhook) behind the per-address limit for anonymous
  /// requests; the handler checks its own signature or secret.
  void add_public(router& r, std::string method, std::string pattern, handler fn);

  /// Adds a GET route behind the same authentication (token, allowlist, rate limit, role) whose
  /// handler answers asynchronously, with the request decoded by its read-route row (the path
  /// parameter as read_args::id or ::key, the query's filters).
  using read_handler = std::function<void(const request&, const read_args&, responder)>;
  void add_read(router& r, std::string pattern, domain::role need, read_handler fn);

  /// The API's own Prometheus text: requests by route and status, refusals by reason.
  std::string metrics_text() const;

 private:
  void install_writes(router& r);

  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace telepay::gateways::http
