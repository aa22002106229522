#include "gateways/nowpayments/codec.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "domain/base/assert.hpp"
#include "domain/base/json.hpp"
#include "domain/money/decimal.hpp"

namespace telepay::gateways::nowpayments {
namespace {

constexpr std::size_t mac_bytes = 64;
using mac = std::array<unsigned char, mac_bytes>;

mac hmac_sha512(std::string_view key, std::string_view message) {
  mac out{};
  unsigned int size = 0;
  const unsigned char* done =
      HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &size);
  LEDGER_ASSERT(done != nullptr && size == mac_bytes, "HMAC-SHA512 failed");
  return out;
}

std::string to_hex(const mac& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::optional<mac> from_hex(std::string_view text) {
  if (text.size() != mac_bytes * 2) {
    return std::nullopt;
  }
  mac out{};
  for (std::size_t i = 0; i < mac_bytes; ++i) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = text[i * 2 + static_cast<std::size_t>(k)];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out[i] = static_cast<unsigned char>(v);
  }
  return out;
}

std::string canonical(const js_value& body, signature_variant v) {
  return v == signature_variant::recursive ? stringify_sorted_recursive(body)
                                           : stringify_sorted_legacy(body);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

error bad_field(std::string_view name, std::string_view why) {
  return make_error(errc::payment_invalid, std::string(name) + " " + std::string(why));
}

bool is_null_or_absent(const js_value* v) { return v == nullptr || v->type == js_value::kind::null; }

/// An id sent as a JSON number or a string of digits.
result<std::uint64_t> read_id(const js_value& body, std::string_view name, bool required) {
  const js_value* v = body.find(name);
  if (is_null_or_absent(v)) {
    if (required) return bad_field(name, "is missing");
    return std::uint64_t{0};
  }
  if (v->type != js_value::kind::number && v->type != js_value::kind::string) {
    return bad_field(name, "must be a number or a string of digits");
  }
  const std::string& text = v->text;
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return bad_field(name, "must be a whole number");
  }
  const std::uint64_t id = std::stoull(text);
  if (id == 0 && required) return bad_field(name, "must not be 0");
  return id;
}

result<std::string> read_text(const js_value& body, std::string_view name, bool required,
                              std::size_t max = 200) {
  const js_value* v = body.find(name);
  if (is_null_or_absent(v)) {
    if (required) return bad_field(name, "is missing");
    return std::string();
  }
  if (v->type != js_value::kind::string && v->type != js_value::kind::number) {
    return bad_field(name, "must be a string");
  }
  if (v->text.size() > max) return bad_field(name, "is too long");
  return v->text;
}

/// An amount sent as a JSON number or a numeric string, as exact decimal text.
result<std::string> read_decimal(const js_value& body, std::string_view name) {
  const js_value* v = body.find(name);
  if (is_null_or_absent(v)) return std::string();
  if (v->type != js_value::kind::number && v->type != js_value::kind::string) {
    return bad_field(name, "must be a number");
  }
  auto parsed = domain::parse_decimal(v->text);
  if (!parsed) return bad_field(name, "is not a non-negative decimal: " + parsed.error().message);
  return domain::format_decimal(*parsed);
}

}  // namespace

std::string_view variant_name(signature_variant v) {
  return v == signature_variant::recursive ? "recursive" : "legacy";
}

std::string hmac_sha512_hex(std::string_view key, std::string_view message) {
  return to_hex(hmac_sha512(key, message));
}

std::string sign(const js_value& body, std::string_view secret, signature_variant v) {
  return hmac_sha512_hex(secret, canonical(body, v));
}

result<signature_variant> verify_signature(const js_value& body, std::string_view header,
                                           std::string_view secret) {
  if (header.empty()) {
    return make_error(errc::signature_missing, "the x-nowpayments-sig header is missing");
  }
  const auto presented = from_hex(header);
  if (!presented) {
    return make_error(errc::signature_invalid, "x-nowpayments-sig is not 128 hex digits");
  }
  // Both MACs are computed and compared every time, so timing says nothing about which
  // variant (if any) is close.
  const mac recursive = hmac_sha512(secret, canonical(body, signature_variant::recursive));
  const mac legacy = hmac_sha512(secret, canonical(body, signature_variant::legacy));
  const bool recursive_ok = CRYPTO_memcmp(recursive.data(), presented->data(), mac_bytes) == 0;
  const bool legacy_ok = CRYPTO_memcmp(legacy.data(), presented->data(), mac_bytes) == 0;
  if (recursive_ok) return signature_variant::recursive;
  if (legacy_ok) return signature_variant::legacy;
  return make_error(errc::signature_invalid, "x-nowpayments-sig does not match the body");
}

result<payment_report> read_payment(const js_value& body) {
  if (body.type != js_value::kind::object) {
    return make_error(errc::payment_invalid, "a payment must be a JSON object");
  }
  payment_report out;
  TELEPAY_TRY(id, read_id(body, "payment_id", true));
  out.payment_id = id;
  TELEPAY_TRY(parent, read_id(body, "parent_payment_id", false));
  out.parent_payment_id = parent;
  TELEPAY_TRY(invoice, read_id(body, "invoice_id", false));
  out.invoice_id = invoice == 0 ? std::string() : std::to_string(invoice);
  TELEPAY_TRY(status, read_text(body, "payment_status", true, 32));
  out.status = lower(status);
  TELEPAY_TRY(order, read_text(body, "order_id", false, 64));
  out.order_id = order;
  TELEPAY_TRY(price, read_decimal(body, "price_amount"));
  out.price_amount = price;
  TELEPAY_TRY(price_currency, read_text(body, "price_currency", false, 16));
  out.price_currency = lower(price_currency);
  TELEPAY_TRY(pay, read_decimal(body, "pay_amount"));
  out.pay_amount = pay;
  TELEPAY_TRY(pay_currency, read_text(body, "pay_currency", false, 32));
  out.pay_currency = lower(pay_currency);
  TELEPAY_TRY(paid, read_decimal(body, "actually_paid"));
  out.actually_paid = paid;
  TELEPAY_TRY(paid_fiat, read_decimal(body, "actually_paid_at_fiat"));
  out.actually_paid_at_fiat = paid_fiat;
  TELEPAY_TRY(outcome, read_decimal(body, "outcome_amount"));
  out.outcome_amount = outcome;
  TELEPAY_TRY(outcome_currency, read_text(body, "outcome_currency", false, 32));
  out.outcome_currency = lower(outcome_currency);
  TELEPAY_TRY(updated, read_text(body, "updated_at", false, 40));
  out.updated_at = updated;
  return out;
}

std::string invoice_request_body(const invoice_request& r) {
  std::string out = "{\"price_amount\":" + r.price_amount + ",\"price_currency\":";
  append_json_string(out, r.price_currency);
  out += ",\"order_id\":";
  append_json_string(out, r.order_id);
  out += ",\"order_description\":";
  append_json_string(out, r.order_description);
  out += ",\"ipn_callback_url\":";
  append_json_string(out, r.ipn_callback_url);
  if (!r.success_url.empty()) {
    out += ",\"success_url\":";
    append_json_string(out, r.success_url);
  }
  if (!r.cancel_url.empty()) {
    out += ",\"cancel_url\":";
    append_json_string(out, r.cancel_url);
  }
  out += "}";
  return out;
}

bool valid_api_key(std::string_view key) {
  if (key.empty() || key.size() > api_key_bytes_max) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string answer_excerpt(std::string_view body, std::size_t max_bytes) {
  std::string out(utf8_prefix(body, max_bytes));
  if (is_valid_utf8(out)) return out;
  // Not UTF-8 (a Latin-1 error page, binary): keep the ASCII, mark the rest.
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

result<invoice_created> read_invoice_created(std::string_view body) {
  auto parsed = parse_js_json(body);
  if (!parsed || parsed->type != js_value::kind::object) {
    return make_error(errc::upstream_failed, "NOWPayments answered POST /v1/invoice with non-JSON");
  }
  invoice_created out;
  auto id = read_id(*parsed, "id", true);
  if (!id) {
    return make_error(errc::upstream_failed, "NOWPayments invoice answer: " + id.error().message);
  }
  out.id = std::to_string(*id);
  const js_value* url = parsed->find("invoice_url");
  if (url == nullptr || url->type != js_value::kind::string || url->text.empty()) {
    return make_error(errc::upstream_failed, "NOWPayments invoice answer has no invoice_url");
  }
  out.invoice_url = url->text;
  if (const js_value* order = parsed->find("order_id"); order && order->type == js_value::kind::string) {
    out.order_id = order->text;
  }
  return out;
}

result<domain::invoice::report> to_report(const payment_report& p, std::string source) {
  TELEPAY_TRY(state, domain::invoice::parse_status(p.status));
  domain::invoice::report r;
  r.payment_id = p.payment_id;
  r.parent_payment_id = p.parent_payment_id;
  r.state = state;
  r.source = std::move(source);
  r.price_amount = p.price_amount;
  r.price_currency = p.price_currency;
  r.pay_amount = p.pay_amount;
  r.pay_currency = p.pay_currency;
  r.actually_paid = p.actually_paid;
  r.outcome_amount = p.outcome_amount;
  r.outcome_currency = p.outcome_currency;
  return r;
}

}  // namespace telepay::gateways::nowpayments
