#pragma once
/// API tokens: "tp_" + 12-character id + "_" + 43-character secret (32 random bytes,
/// base64url). Only the SHA-256 of the secret is stored; a presented secret is hashed and
/// compared in constant time. Also the per-token checks of a request: IP allowlist (CIDR) and a
/// token-bucket rate limit.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::gateways::http {

struct token_parts {
  std::string id;
  std::string secret;
};

/// A fresh token (id and secret from the OS's CSPRNG) and its secret's SHA-256 in hex.
struct new_token {
  std::string id;
  std::string text;  // what the client presents: tp_<id>_<secret>
  std::string secret_sha256;
};
new_token generate_token();

/// A fresh webhook endpoint id: "wh_" and 16 lower-case hex digits from the OS's CSPRNG.
std::string generate_webhook_id();

/// Splits "tp_<id>_<secret>"; nullopt for anything else.
std::optional<token_parts> parse_token(std::string_view text);

/// SHA-256 of `secret` in lower-case hex.
std::string sha256_hex(std::string_view data);

/// Constant-time comparison of two equal-length hex digests (false if lengths differ).
bool digests_equal(std::string_view a, std::string_view b);

/// Whether `address` (IPv4 or IPv6 text) is inside one of the CIDR blocks. An empty list allows
/// every address.
bool address_allowed(std::string_view address, const std::vector<std::string>& cidrs);

/// Token buckets per token id. Thread-safe.
class rate_limiter {
 public:
  /// Takes one token from `id`'s bucket (refilled at `rate` per second up to `burst`); when the
  /// bucket is empty, returns the seconds until one is available (for Retry-After).
  std::optional<std::uint32_t> take(const std::string& id, std::uint32_t rate, std::uint32_t burst);

  /// Buckets kept at most; idle ones are forgotten first.
  static constexpr std::size_t buckets_max = 100'000;

 private:
  struct bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace telepay::gateways::http
