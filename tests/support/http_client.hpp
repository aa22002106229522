#pragma once
// A tiny blocking HTTP/1.1 client over loopback for integration tests (no Beast: it keeps test
// builds fast and is independent of the server's own HTTP code).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace telepay::testing {

struct http_reply {
  int status = 0;  // 0 if the connection failed or closed without an answer
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_case_name) const;
};

/// Sends raw bytes on a new connection and returns every reply read until the peer closes or
/// `expected_replies` replies arrived.
std::vector<http_reply> http_exchange(std::uint16_t port, const std::string& raw,
                                      std::size_t expected_replies = 1, int timeout_ms = 5000);

/// One request with Content-Length and Connection: close.
http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace telepay::testing
