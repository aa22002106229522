// Fuzzes the BIP32 xpub parser (gateways/chain/bip32.hpp, parse_xpub: Base58Check, version,
// lengths, the point on the curve) that reads the configured account key, and the public
// derivation from whatever it accepts.
//
// Property beyond "no crash": an accepted key derives child 0 (or reports the 2^-127 invalid
// tweak as an error) and a deposit address for a user, deterministically.

#include "gateways/chain/bip32.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::chain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto key = parse_xpub(fuzz::as_text(data, size));
  if (!key) return 0;
  if (auto child = derive_child(*key, 0)) {
    (void)address_of(*child);
  }
  TELEPAY_FUZZ_CHECK(!derive_child(*key, 0x8000'0000u).has_value(), "a hardened index must be refused");
  auto first = deposit_address(*key, 42);
  auto second = deposit_address(*key, 42);
  TELEPAY_FUZZ_CHECK(first.has_value() == second.has_value() && (!first || *first == *second),
                     "deposit_address is not deterministic");
  return 0;
}
