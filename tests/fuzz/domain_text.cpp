// Fuzzes the small text codecs of domain/base and domain/ids that external text reaches: UTC
// timestamps, hex, stream names, referral codes, client tokens, and the JSON string writer that
// every recorded event goes through.
//
// Properties beyond "no crash": a parsed time prints and parses back; hex round-trips; a parsed
// wallet stream prints back to the same key; append_json_string always gives valid UTF-8 that
// parses back as a JSON string (an event payload that could not be read back would sit in an
// immutable log forever); utf8_prefix stays within its bound and, for UTF-8 input, stays UTF-8.

#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/codec/json.hpp"
#include "domain/ids.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::domain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  if (auto micros = parse_utc_micros(text)) {
    const std::string printed = format_utc_micros(*micros);
    auto again = parse_utc_micros(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *micros, printed);
  }

  if (auto bytes = from_hex(text)) {
    const std::string printed = to_hex(std::span<const std::uint8_t>(*bytes));
    auto again = from_hex(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *bytes, printed);
  }
  (void)hash_from_hex(text);

  if (auto key = parse_wallet_stream(text)) {
    const std::string printed = key->stream();
    auto again = parse_wallet_stream(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *key, printed);
  }
  (void)parse_referral_code(text);
  (void)parse_system_account(text);
  (void)make_transfer_id(text);
  (void)is_token(text, 128);
  (void)is_printable_ascii_token(text);

  std::string escaped = "{\"k\":";
  append_json_string(escaped, text);
  escaped += "}";
  TELEPAY_FUZZ_CHECK(is_valid_utf8(escaped), "append_json_string wrote invalid UTF-8");
  auto document = json_document::parse(escaped);
  TELEPAY_FUZZ_CHECK(document.has_value(), document ? std::string() : document.error().message);
  auto back = document->root().str("k");
  TELEPAY_FUZZ_CHECK(back.has_value(), "the escaped string does not read back");
  if (is_valid_utf8(text)) {
    TELEPAY_FUZZ_CHECK(*back == text, "valid UTF-8 must be written unchanged");
  }

  const std::size_t bound = size == 0 ? 0 : data[0] % 80;
  const std::string prefix = utf8_prefix(text, bound);
  TELEPAY_FUZZ_CHECK(prefix.size() <= bound, prefix);
  if (is_valid_utf8(text)) {
    TELEPAY_FUZZ_CHECK(is_valid_utf8(prefix), prefix);
  }
  return 0;
}
