#include "gateways/http/auth.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "domain/base/assert.hpp"
#include "domain/base/bytes.hpp"

namespace telepay::gateways::http {
namespace {

constexpr std::size_t id_chars = 12;
constexpr std::size_t secret_chars = 43;  // 32 bytes, base64url without padding

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) {
    out.push_back(alphabet[(buffer << (6 - bits)) & 63]);
  }
  return out;
}

std::string random_text(std::size_t bytes, std::size_t chars) {
  std::vector<unsigned char> raw(bytes);
  LEDGER_ASSERT(RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1,
                "the OS random generator failed");
  return base64url(raw.data(), raw.size()).substr(0, chars);
}

bool in_block(const unsigned char* address, const unsigned char* network, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((address[i] & mask) != (network[i] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

new_token generate_token() {
  new_token out;
  // Ids avoid '-' and '_' so the token splits unambiguously.
  do {
    out.id = random_text(12, id_chars);
  } while (out.id.find_first_of("-_") != std::string::npos);
  const std::string secret = random_text(32, secret_chars);
  out.text = "tp_" + out.id + "_" + secret;
  out.secret_sha256 = sha256_hex(secret);
  return out;
}

std::string generate_webhook_id() {
  unsigned char raw[8];
  LEDGER_ASSERT(RAND_bytes(raw, sizeof raw) == 1, "the OS random generator failed");
  return "wh_" + to_hex(std::span<const std::uint8_t>(raw, sizeof raw));
}

std::optional<token_parts> parse_token(std::string_view text) {
  if (text.size() != 3 + id_chars + 1 + secret_chars || text.substr(0, 3) != "tp_" ||
      text[3 + id_chars] != '_') {
    return std::nullopt;
  }
  return token_parts{std::string(text.substr(3, id_chars)),
                     std::string(text.substr(3 + id_chars + 1))};
}

std::string sha256_hex(std::string_view data) {
  // Fetched once: an implicit fetch per call (EVP_sha256()) costs more than the hash itself.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  LEDGER_ASSERT(sha256 != nullptr, "OpenSSL has no SHA-256");
  unsigned char digest[32];
  unsigned int size = 0;
  LEDGER_ASSERT(EVP_Digest(data.data(), data.size(), digest, &size, sha256, nullptr) == 1,
                "SHA-256 failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(digits[digest[i] >> 4]);
    out.push_back(digits[digest[i] & 15]);
  }
  return out;
}

bool digests_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool address_allowed(std::string_view address, const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) {
    return true;
  }
  std::string text(address);
  // "::ffff:1.2.3.4" (an IPv4 peer on a dual-stack socket) is checked as 1.2.3.4.
  if (text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos) {
    text = text.substr(7);
  }
  unsigned char peer4[4];
  unsigned char peer6[16];
  const bool is4 = inet_pton(AF_INET, text.c_str(), peer4) == 1;
  const bool is6 = !is4 && inet_pton(AF_INET6, text.c_str(), peer6) == 1;
  for (const std::string& cidr : cidrs) {
    const auto slash = cidr.find('/');
    if (slash == std::string::npos) {
      continue;
    }
    const std::string network = cidr.substr(0, slash);
    // The prefix length is read strictly: a block that is not 1-3 decimal digits (or past the
    // address's length) matches nothing; read loosely it matched everything ("/x", "/-0"), or
    // read past the address.
    int bits = -1;
    const char* first = cidr.data() + slash + 1;
    const char* last = cidr.data() + cidr.size();
    const bool digits = first != last && last - first <= 3 &&
                        std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; });
    const auto [end, ec] = digits ? std::from_chars(first, last, bits) : std::from_chars_result{first, std::errc::invalid_argument};
    if (!digits || ec != std::errc() || end != last || bits < 0) {
      continue;
    }
    unsigned char net4[4];
    unsigned char net6[16];
    if (is4 && bits <= 32 && inet_pton(AF_INET, network.c_str(), net4) == 1 && in_block(peer4, net4, bits)) {
      return true;
    }
    if (is6 && bits <= 128 && inet_pton(AF_INET6, network.c_str(), net6) == 1 && in_block(peer6, net6, bits)) {
      return true;
    }
  }
  return false;
}

std::optional<std::uint32_t> rate_limiter::take(const std::string& id, std::uint32_t rate,
                                                std::uint32_t burst) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= buckets_max && !buckets_.contains(id)) {
    // Keyed by client address, the map would grow with every address seen: forget the buckets
    // that have been idle long enough to be full again (forgetting one equals a full bucket).
    const auto idle = std::chrono::duration<double>(static_cast<double>(burst) / std::max<double>(rate, 1e-9));
    std::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.refilled >= idle; });
    if (buckets_.size() >= buckets_max) {
      return 1;  // every tracked client is active: refuse newcomers until some go quiet
    }
  }
  auto [it, fresh] = buckets_.try_emplace(id, bucket{static_cast<double>(burst), now});
  bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(static_cast<double>(burst), b.tokens + elapsed * rate);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / std::max<double>(rate, 1e-9);
  return static_cast<std::uint32_t>(std::ceil(wait));
}

}  // namespace telepay::gateways::http
