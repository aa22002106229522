// Fuzzes what an IPN webhook body meets on the server (gateways/nowpayments/codec.hpp, as
// service::handle_ipn runs it): the JSON reader, both signature variants, the payment reader,
// the report the ledger records (to_report) and the invoice's decision on it (domain/invoice);
// and the other NOWPayments answers the gateway decodes (a created invoice, error excerpts).
//
// Input: line 1 is the x-nowpayments-sig header; the rest is the body. The payment reader runs
// whatever the signature says (a forged IPN must not be able to crash it either).
//
// Properties beyond "no crash": a body signed with the secret verifies (each variant: the
// recursive one is preferred when both print the same) and does not verify under another
// secret; answer_excerpt stays within its bound and valid UTF-8; a report's status names the
// status sent; the same report recorded twice decides nothing the second time (nothing is
// credited twice); a settlement prints and reads back as itself.
//
// fuzz-dict: json

#include "domain/base/json.hpp"
#include "domain/invoice.hpp"
#include "domain/money/amount.hpp"
#include "gateways/nowpayments/codec.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::nowpayments;

namespace {
constexpr std::string_view secret = "ipn_secret_shared";  // tests/vectors/nowpayments_ipn.json

/// An invoice for a 30-day subscription at 9.99 USD, as the ledger creates one.
domain::invoice::state created_invoice() {
  using namespace telepay::domain;
  invoice::state s("order-1");
  invoice::terms t;
  t.buyer = user_id(7);
  t.channel = channel_id(-1001);
  t.tier = 1;
  t.days = 30;
  t.list_price = *parse_amount("9.99", asset::usd);
  t.price = t.list_price;
  t.credit = *parse_amount("9.99", asset::usdt);
  auto events = invoice::decide(s, invoice::create{t}, 1);
  TELEPAY_FUZZ_CHECK(events.has_value(), "the fixture invoice is created");
  for (const auto& e : *events) invoice::evolve(s, e);
  return s;
}

/// What the invoice entity does with a report: decide, apply, and the same report again.
void record_twice(const domain::invoice::report& report) {
  using namespace telepay::domain;
  static const invoice::state fresh = created_invoice();
  invoice::state s = fresh;
  auto first = invoice::decide(s, invoice::record{report}, 2);
  if (!first) return;
  for (const auto& e : *first) invoice::evolve(s, e);
  auto again = invoice::decide(s, invoice::record{report}, 3);
  TELEPAY_FUZZ_CHECK(!again || again->empty(), "a report recorded twice decides nothing the second time");
  if (auto settle = invoice::settlement_for(s, report.payment_id)) {
    const std::string json = settle->to_json();
    auto back = invoice::settlement::from_json(json);
    TELEPAY_FUZZ_CHECK(back.has_value() && *back == *settle, json);
  }
}
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
    if (auto report = to_report(*payment, "ipn:recursive")) {
      TELEPAY_FUZZ_CHECK(domain::invoice::status_name(report->state) == payment->status, payment->status);
      record_twice(*report);
    }
  }
  return 0;
}
