// Fuzzes what an IPN webhook body meets on the server (gateways/nowpayments/codec.hpp, as
// service::handle_ipn runs it): the JSON reader, both signature variants, the payment reader;
// and the other NOWPayments answers the gateway decodes (a created invoice, error excerpts).
//
// Input: line 1 is the x-nowpayments-sig header; the rest is the body. The payment reader runs
// whatever the signature says (a forged IPN must not be able to crash it either).
//
// Properties beyond "no crash": a body signed with the secret verifies (each variant: the
// recursive one is preferred when both print the same) and does not verify under another
// secret; answer_excerpt stays within its bound and valid UTF-8.
//
// fuzz-dict: json

#include "domain/base/json.hpp"
#include "gateways/nowpayments/codec.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::nowpayments;

namespace {
constexpr std::string_view secret = "ipn_secret_shared";  // tests/vectors/nowpayments_ipn.json
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const std::string_view header = in.line();
  const std::string_view raw = in.rest();

  (void)read_invoice_created(raw);
  const std::size_t bound = size == 0 ? 0 : data[0] % 300;
  const std::string excerpt = answer_excerpt(raw, bound);
  TELEPAY_FUZZ_CHECK(excerpt.size() <= bound && is_valid_utf8(excerpt), excerpt);
  (void)valid_api_key(header);

  auto body = parse_js_json(raw);
  if (!body || body->type != js_value::kind::object) return 0;
  (void)verify_signature(*body, header, secret);
  for (const signature_variant v : {signature_variant::recursive, signature_variant::legacy}) {
    const std::string sig = sign(*body, secret, v);
    auto verdict = verify_signature(*body, sig, secret);
    TELEPAY_FUZZ_CHECK(verdict.has_value(), sig);
    TELEPAY_FUZZ_CHECK(*verdict == v || *verdict == signature_variant::recursive, variant_name(*verdict));
    TELEPAY_FUZZ_CHECK(!verify_signature(*body, sig, "another_secret").has_value(), sig);
  }
  if (auto payment = read_payment(*body)) {
    (void)payment->order_id.size();
  }
  return 0;
}
