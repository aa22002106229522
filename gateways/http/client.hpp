#pragma once
/// An HTTP/1.1 client for the gateways that call out (NOWPayments now; Telegram and the chain's
/// JSON-RPC later): plain HTTP or TLS with the certificate chain and the host name verified
/// (system CA store, or a CA file), SNI, a deadline on every step, and a retry policy that
/// retries only what is safe to retry. Beast stays inside client.cpp.
///
/// Thread safety: one request at a time per client object; use one per thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::gateways::http {

/// Where a base URL points: "https://api.nowpayments.io/v1" -> tls, host, "443", "/v1".
struct endpoint {
  bool tls = true;
  std::string host;
  std::string port;
  std::string base_path;  // no trailing '/'
};
/// Errors: invalid_argument (not http:// or https://, no host, bad port).
result<endpoint> parse_url(std::string_view url);

struct client_request {
  std::string method = "GET";
  std::string path;  // appended to the endpoint's base path: "/invoice"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct client_response {
  unsigned status = 0;
  std::string body;
};

struct client_options {
  /// PEM file of trusted CAs; empty: the system store.
  std::string ca_file;
  /// Deadline of each step (resolve, connect, TLS handshake, write, read). Default: 10 s.
  std::chrono::milliseconds timeout{10'000};
  /// Largest response body accepted. Default: 8 MiB.
  std::size_t body_limit = 8u << 20;
};

class client {
 public:
  /// Errors: invalid_argument (bad URL), upstream_unavailable (the CA file does not load).
  static result<std::unique_ptr<client>> create(std::string_view base_url, client_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// One attempt on a fresh connection. Any HTTP status is a response; failing to get one
  /// (DNS, refused, TLS verification, timeout, malformed answer) is upstream_unavailable
  /// naming the step.
  result<client_response> send(const client_request& request);

  const endpoint& target() const;

 private:
  struct impl;
  explicit client(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// Retries with exponential backoff what may succeed later: no response at all, 429 and 5xx.
/// Never a 4xx other than 429 (the request is wrong; repeating it cannot help).
struct retry_policy {
  int attempts = 4;
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{4'000};
};
bool is_retryable(const result<client_response>& outcome);
/// `sleep` defaults to std::this_thread::sleep_for; the last outcome is returned.
result<client_response> send_with_retries(client& c, const client_request& request,
                                          const retry_policy& policy,
                                          const std::function<void(std::chrono::milliseconds)>& sleep = {});

}  // namespace telepay::gateways::http
