#pragma once
/// The HTTP/1.1 server of telepayd (Boost.Beast inside server.cpp only; this header is Beast-free
/// so the rest of the code base compiles fast).
///
/// Thread safety: start() and stop() from one thread. Handlers run on the io thread and must not
/// block; they answer through the responder, exactly once, from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::gateways::http {

struct request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::string query;   // after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  /// Set by the server for every request ("r" + hex); sent back as X-Request-Id and in the body
  /// of 5xx errors, and logged with server-side failures.
  std::string id;
  /// Filled by the router from `{name}` segments of the matched route (mutable so that routing
  /// needs no copy of the request).
  mutable std::vector<std::pair<std::string, std::string>> path_params;

  /// The first header with this (lower-case) name, or empty.
  std::string_view header(std::string_view lower_case_name) const;
  /// The path parameter of this name, or empty.
  std::string_view param(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// For admin writes: what the audit log keeps of the answer when the body must not be
  /// stored (a new token's secret). Empty: the body. Never sent.
  std::string recorded_body;
  /// For server-side failures: the detail kept out of the body (it can name files or carry
  /// library text), handed to server_options::on_server_error. Never sent.
  std::string log_detail;
};

/// A JSON body (already serialized) with this status.
response json_response(unsigned status, std::string body);
/// A JSON error body: {"error":"<code>","message":"<message>"}.
response error_response(unsigned status, std::string_view code, std::string_view message);

using responder = std::function<void(response)>;
using handler = std::function<void(const request&, responder)>;

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port (see server::port())
  /// Default: 1 (on 2 cores, one io thread beat two in the package proof).
  std::size_t io_threads = 1;
  /// Idle and per-request read/write timeout. Default: 30 s.
  std::chrono::seconds timeout{30};
  /// A handler that has not answered by then gets a 504 `deadline_exceeded` (with the request
  /// id; a write's outcome is then unknown: retry it with the same Idempotency-Key); its late
  /// answer is dropped. Default: 30 s.
  std::chrono::milliseconds request_deadline{30'000};
  /// Open connections from one address; more are closed at accept. Default: 128 (raise it
  /// behind a reverse proxy, where every client shares the proxy's address).
  std::size_t connections_per_address_max = 128;
  /// Called (on an io thread) for every 5xx answer with its request, e.g. to log the detail.
  std::function<void(const request&, const response&)> on_server_error;
};

class server {
 public:
  /// Binds, listens and starts the io threads. Errors (address in use, bad address) are results.
  static result<std::unique_ptr<server>> start(const server_options& options, handler on_request);

  virtual ~server() = default;
  virtual std::uint16_t port() const = 0;
  /// Stops accepting, closes connections and joins the io threads. Idempotent.
  virtual void stop() = 0;
  virtual std::uint64_t requests_served() const = 0;
  /// Connections closed at accept (over a cap) and handlers that missed their deadline.
  virtual std::uint64_t connections_refused() const = 0;
  virtual std::uint64_t deadlines_missed() const = 0;
};

}  // namespace telepay::gateways::http
