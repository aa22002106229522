#pragma once
/// How outbound webhooks are signed (docs/WEBHOOKS.md), pure and tested against known answers:
///
///   Telepay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
///
/// as Stripe signs its webhooks and BTCPay its (body-only) ones: the timestamp is inside the MAC,
/// so a receiver can refuse replays older than its tolerance. Each endpoint's secret is derived
/// from the server's signing key and the endpoint id, so it is never stored in the log:
///   secret = "whsec_" + hex(HMAC-SHA256(key, "telepay webhook secret " + id)).

#include <cstdint>
#include <string>
#include <string_view>

namespace telepay::gateways::webhooks {

/// Lower-case hex HMAC-SHA256.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// The signing secret of endpoint `id` under the server's key.
std::string secret_for(std::string_view server_key, std::string_view id);

/// The Telepay-Signature header value for `body` sent at `unix_seconds`.
std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

}  // namespace telepay::gateways::webhooks
