#pragma once
/// Outbound webhook delivery (docs/WEBHOOKS.md): the deliverer actors::webhook_feed calls for
/// each event an endpoint wants, in log order. One delivery is a POST of the event's JSON,
/// signed (signing.hpp), on a fresh connection bounded by `timeout`; any 2xx accepts it;
/// anything else (no answer, 3xx, 4xx, 5xx) is retried with exponential backoff from
/// `first_retry` up to `max_retry` between tries, for as long as it takes (the endpoint's later
/// events wait: order is kept) until it is accepted, the endpoint is disabled or rewound, or the
/// server stops. Every attempt is kept in memory (the last `attempts_kept` per endpoint) for
/// GET /v1/webhook-endpoints/{id}/deliveries; what was delivered is durable in the feed's position.
///
/// Thread safety: deliver() runs on each endpoint's own thread; the reads take a lock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/webhook_feed.hpp"
#include "domain/webhook.hpp"

namespace telepay::gateways::webhooks {

struct options {
  /// The server's signing key (at least 32 bytes): every endpoint's secret derives from it.
  std::string signing_key;
  /// PEM file of trusted CAs for https endpoints; empty: the system store.
  std::string ca_file;
  /// Bound of each step of one attempt (connect, TLS, write, read).
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds first_retry{1'000};
  std::chrono::milliseconds max_retry{300'000};
  std::size_t attempts_kept = 100;
  /// Warnings: an endpoint starts failing or recovers (ids and hosts only, never a secret or path).
  std::function<void(const std::string&)> log;
};

struct attempt {
  std::uint64_t n = 0;  // per endpoint, from 1, in the order made
  std::uint64_t seq = 0;
  std::string type;
  std::uint32_t try_number = 0;  // 1 for the first try of this event
  std::int64_t at_us = 0;
  std::uint32_t http_status = 0;  // 0: no answer
  std::string error;              // empty when delivered
  std::int64_t duration_ms = 0;
  bool delivered = false;
};

struct endpoint_stats {
  std::uint64_t attempts = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint32_t consecutive_failures = 0;
  std::int64_t failing_since_us = 0;  // 0: the last attempt was accepted (or none was made)
  std::int64_t last_delivered_at_us = 0;
  std::string last_error;
};

class service {
 public:
  /// Errors: invalid_argument (a signing key shorter than 32 bytes).
  static result<std::unique_ptr<service>> create(options o);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  std::string secret_for(std::string_view id) const;

  /// The deliverer for actors::webhook_feed.
  bool deliver(const domain::webhook::endpoint& e, const domain::webhook::delivery& d,
               const std::atomic<bool>& cancelled);

  endpoint_stats stats(std::string_view id) const;
  /// Attempts newest first with n below `before` (0: from the newest), at most `limit`; `more`
  /// tells whether older ones are kept.
  std::vector<attempt> attempts(std::string_view id, std::uint64_t before, std::size_t limit, bool& more) const;
  /// The newest attempt's n (0: none).
  std::uint64_t newest_attempt(std::string_view id) const;

  /// JSON of one endpoint for the API (no secret): what is registered, where delivery stands
  /// (`head`: the log's head seq, for the lag) and how the last attempts went.
  std::string endpoint_json(const actors::webhook_endpoint_view& view, std::uint64_t head) const;
  static std::string attempt_json(const attempt& a);
  /// Prometheus text for every endpoint.
  std::string metrics_text(const std::vector<actors::webhook_endpoint_view>& views, std::uint64_t head) const;

 private:
  struct endpoint_state;
  explicit service(options o) : options_(std::move(o)) {}
  std::shared_ptr<endpoint_state> state_of(const std::string& id);
  void note(const std::shared_ptr<endpoint_state>& s, attempt a);

  options options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<endpoint_state>, std::less<>> endpoints_;
};

}  // namespace telepay::gateways::webhooks
