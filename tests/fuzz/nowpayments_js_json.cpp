// Fuzzes the JSON reader and the JavaScript re-serializations NOWPayments signatures depend on
// (gateways/nowpayments/js_json.hpp).
//
// Properties beyond "no crash": what js_stringify prints parses back and prints the same again
// (JSON.stringify output is valid JSON, and re-printing is idempotent); the sorted printings
// parse back too; js_number of a parsed number reads back as the same double.
//
// fuzz-dict: json

#include <cmath>
#include <cstdlib>

#include "gateways/nowpayments/js_json.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::nowpayments;

namespace {

/// The first number in the document, if any (breadth-first, bounded).
const js_value* first_number(const js_value& root) {
  std::vector<const js_value*> queue{&root};
  for (std::size_t at = 0; at < queue.size() && at < 512; ++at) {
    const js_value* v = queue[at];
    if (v->type == js_value::kind::number) return v;
    for (const auto& item : v->items) queue.push_back(&item);
    for (const auto& [name, member] : v->members) queue.push_back(&member);
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto value = parse_js_json(fuzz::as_text(data, size));
  if (!value) return 0;
  const std::string printed = js_stringify(*value);
  auto again = parse_js_json(printed);
  TELEPAY_FUZZ_CHECK(again.has_value(), printed + ": " + (again ? "" : again.error().message));
  TELEPAY_FUZZ_CHECK(js_stringify(*again) == printed, printed);
  for (const std::string& sorted : {stringify_sorted_recursive(*value), stringify_sorted_legacy(*value)}) {
    auto back = parse_js_json(sorted);
    TELEPAY_FUZZ_CHECK(back.has_value(), sorted);
  }
  if (const js_value* n = first_number(*value)) {
    const std::string shortest = js_number(n->number);
    const double back = std::strtod(shortest.c_str(), nullptr);
    TELEPAY_FUZZ_CHECK(back == n->number || (n->number == 0 && back == 0), shortest + " from " + n->text);
  }
  return 0;
}
