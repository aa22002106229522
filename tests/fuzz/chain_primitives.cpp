// Fuzzes the EVM value parsers (gateways/chain/primitives.hpp) that read addresses typed by
// operators and users (payout addresses, withdrawals) and the hex forms nodes send, and the
// ABI decoders (gateways/chain/abi.hpp) of return data and transfer calldata.
//
// Properties beyond "no crash": a checked address prints (EIP-55) and parses back to itself; an
// unchecked address prints as the lower-case input; quantities, data and hashes round-trip
// through their printed forms; decoded transfer calldata re-encodes to the same bytes.

#include <algorithm>
#include <cctype>

#include "gateways/chain/abi.hpp"
#include "gateways/chain/primitives.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::chain;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  if (auto a = parse_address(text)) {
    const std::string printed = to_checksummed(*a);
    auto again = parse_address(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *a, printed);
  }
  if (auto a = parse_address_unchecked(text)) {
    TELEPAY_FUZZ_CHECK(to_lower_hex(*a) == lower(text), to_lower_hex(*a));
  }
  if (auto q = parse_quantity(text)) {
    const std::string printed = to_quantity(*q);
    auto again = parse_quantity(printed);
    TELEPAY_FUZZ_CHECK(again.has_value() && *again == *q, printed);
    (void)to_decimal(*q);
    (void)minimal_bytes(*q);
    (void)q->narrow();
  }
  (void)parse_quantity_u64(text);
  if (auto d = parse_data(text)) {
    TELEPAY_FUZZ_CHECK(to_data(*d) == lower(text), to_data(*d));
  }
  if (auto h = parse_hash(text)) {
    TELEPAY_FUZZ_CHECK(to_data(*h) == lower(text), to_data(*h));
    (void)abi::word_address(*h);
  }
  (void)abi::decode_uint(text);
  if (auto call = abi::decode_transfer_call(text)) {
    TELEPAY_FUZZ_CHECK(abi::transfer_call(call->to, call->amount) == text, "transfer calldata does not round-trip");
  }
  return 0;
}
