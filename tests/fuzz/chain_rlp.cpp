// Fuzzes RLP decoding (gateways/chain/rlp.hpp) and the signed-transaction decoder built on it
// (gateways/chain/transaction.hpp, decode_signed: fields, sizes, sender recovery).
//
// Property beyond "no crash": RLP decoding is strict (canonical forms only), so re-encoding a
// decoded item gives back exactly the input bytes.

#include <vector>

#include "gateways/chain/rlp.hpp"
#include "gateways/chain/transaction.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::chain;

namespace {

/// Re-encodes an item; `depth` is bounded by rlp::decode_depth_max, so the recursion is too.
std::string encode(const rlp::item& it, std::size_t depth) {
  TELEPAY_FUZZ_CHECK(depth <= rlp::decode_depth_max + 1, "decoded deeper than decode_depth_max");
  if (!it.is_list()) return rlp::encode_bytes(it.bytes());
  std::string payload;
  for (const rlp::item& child : it.items()) payload += encode(child, depth + 1);
  return rlp::encode_list(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw = fuzz::as_text(data, size);
  if (auto item = rlp::decode(raw)) {
    const std::string again = encode(*item, 0);
    TELEPAY_FUZZ_CHECK(again == raw, "RLP decode accepted a non-canonical encoding");
  }
  if (auto tx = decode_signed(raw)) {
    (void)nonce_of(tx->tx);
    (void)fee_cap_of(tx->tx);
    (void)signing_hash(tx->tx);
  }
  return 0;
}
