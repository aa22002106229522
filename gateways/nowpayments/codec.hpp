#pragma once
/// NOWPayments wire formats, as pure functions: IPN signatures (both signing variants in
/// circulation), the payment object that IPNs and GET /v1/payment/{id} share, and the
/// POST /v1/invoice request and response. Protocol facts: docs/NOWPAYMENTS.md.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "domain/invoice.hpp"
#include "gateways/nowpayments/js_json.hpp"

namespace telepay::gateways::nowpayments {

/// Which re-serialization a signature matched: the documented recursive sortObject, or the
/// older JSON.stringify(body, Object.keys(body).sort()) that empties nested objects.
enum class signature_variant : std::uint8_t { recursive = 1, legacy = 2 };
std::string_view variant_name(signature_variant v);  // "recursive" | "legacy"

/// Lower-case hex HMAC-SHA512.
std::string hmac_sha512_hex(std::string_view key, std::string_view message);

/// The x-nowpayments-sig value NOWPayments would send for `body` signed the given way.
std::string sign(const js_value& body, std::string_view secret, signature_variant v);

/// Checks `header` (hex, either case) against both variants in constant time and says which
/// matched, preferring the recursive one. Errors: signature_missing (no header),
/// signature_invalid (not 128 hex digits, or no variant matches).
result<signature_variant> verify_signature(const js_value& body, std::string_view header,
                                           std::string_view secret);

/// A payment as NOWPayments reports it. Ids arrive as JSON numbers or strings; amounts as
/// numbers or strings, kept as exact decimal text ("" when null or absent).
struct payment_report {
  std::uint64_t payment_id = 0;
  std::uint64_t parent_payment_id = 0;  // 0: not a repeated deposit
  std::string invoice_id;               // "" when null
  std::string status;                   // lower case, as sent
  std::string order_id;                 // "" when null
  std::string price_amount;
  std::string price_currency;           // lower case
  std::string pay_amount;
  std::string pay_currency;
  std::string actually_paid;
  std::string actually_paid_at_fiat;
  std::string outcome_amount;
  std::string outcome_currency;
  std::string updated_at;               // as sent (ISO text or epoch milliseconds)
};

/// Reads the fields the ledger uses. Errors: payment_invalid naming the field.
result<payment_report> read_payment(const js_value& body);

/// The payment as the ledger records it; `source`: "ipn:recursive", "ipn:legacy" or "poll".
/// Errors: payment_invalid (a status NOWPayments does not document).
result<domain::invoice::report> to_report(const payment_report& p, std::string source);

/// POST /v1/invoice.
struct invoice_request {
  std::string price_amount;  // exact decimal text, e.g. "9.99"
  std::string price_currency = "usd";
  std::string order_id;
  std::string order_description;
  std::string ipn_callback_url;
  std::string success_url;
  std::string cancel_url;
};
std::string invoice_request_body(const invoice_request& r);

struct invoice_created {
  std::string id;           // NOWPayments' invoice id (number or string on the wire)
  std::string invoice_url;  // the hosted payment page
  std::string order_id;
};
/// Errors: upstream_failed when the answer lacks an id or URL.
result<invoice_created> read_invoice_created(std::string_view body);

/// Whether `key` may be sent as the x-api-key header value: 1-256 bytes of printable ASCII
/// (no CR/LF, which would split the header, and no other control bytes).
inline constexpr std::size_t api_key_bytes_max = 256;
bool valid_api_key(std::string_view key);

/// At most `max_bytes` of a provider's answer, for an error message that may be recorded (the
/// admin log of POST /v1/admin/invoices, a bot reply): cut on a character boundary, and each
/// byte of an answer that is not UTF-8 shown as '?', so the message stays valid UTF-8.
std::string answer_excerpt(std::string_view body, std::size_t max_bytes);

}  // namespace telepay::gateways::nowpayments
