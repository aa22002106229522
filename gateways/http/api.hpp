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

#include "domain/admin.hpp"
#include "gateways/http/auth.hpp"
#include "gateways/http/router.hpp"

namespace telepay::actors {
class ledger_client;
class ledger_reads;
}  // namespace telepay::actors

namespace telepay::gateways::http {

struct api_hooks {
  /// The /health body (JSON), from the server's wiring.
  std::function<std::string()> health;
  /// Prometheus text the wiring adds to /metrics (event store, actors, projections).
  std::function<std::string()> metrics;
  /// The OpenAPI document served at /openapi.json.
  std::string openapi;
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

  /// Adds a GET route behind the same authentication (token, allowlist, rate limit, role) whose
  /// handler answers asynchronously.
  using read_handler = std::function<void(const request&, responder)>;
  void add_read(router& r, std::string pattern, domain::role need, read_handler fn);

  /// The API's own Prometheus text: requests by route and status, refusals by reason.
  std::string metrics_text() const;

 private:
  void install_writes(router& r);

  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace telepay::gateways::http
