#include "gateways/webhooks/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "domain/base/assert.hpp"
#include "domain/base/bytes.hpp"

namespace telepay::gateways::webhooks {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* done =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), mac, &length);
  LEDGER_ASSERT(done != nullptr && length == 32, "HMAC-SHA256 failed");
  return to_hex(std::span<const std::uint8_t>(mac, length));
}

std::string secret_for(std::string_view server_key, std::string_view id) {
  return "whsec_" + hmac_sha256_hex(server_key, "telepay webhook secret " + std::string(id));
}

std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).push_back('.');
  signed_text.append(body);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

}  // namespace telepay::gateways::webhooks
