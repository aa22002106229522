// Fuzzes the BIP32 xpub parser (gateways/chain/bip32.hpp, parse_xpub: Base58Check, version,
// lengths, the point on the curve) that reads the configured account key, and the public
// derivation from whatever it accepts.
//
// Input: byte 0 even: the rest is the text given to parse_xpub. Odd: the rest is the payload,
// which the harness Base58Check-encodes first (a correct checksum), so that mutations reach the
// version, depth, length and curve-point checks behind the checksum.
//
// Properties beyond "no crash": a hardened index is refused; the deposit address of a user is
// deterministic.

#include <openssl/sha.h>

#include <algorithm>
#include <vector>

#include "gateways/chain/bip32.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::chain;

namespace {

/// Base58Check of `payload` (Bitcoin alphabet; checksum: the first 4 bytes of SHA-256(SHA-256)).
std::string base58check(std::string_view payload) {
  std::vector<unsigned char> bytes(payload.begin(), payload.end());
  unsigned char once[SHA256_DIGEST_LENGTH];
  unsigned char twice[SHA256_DIGEST_LENGTH];
  SHA256(bytes.data(), bytes.size(), once);
  SHA256(once, sizeof once, twice);
  bytes.insert(bytes.end(), twice, twice + 4);
  static constexpr char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  std::vector<unsigned char> digits;  // base 58, least significant first
  for (const unsigned char byte : bytes) {
    unsigned carry = byte;
    for (unsigned char& d : digits) {
      carry += static_cast<unsigned>(d) << 8;
      d = static_cast<unsigned char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<unsigned char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out;
  for (const unsigned char byte : bytes) {
    if (byte != 0) break;
    out.push_back('1');
  }
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const bool encode = (in.byte() & 1) != 0;
  const std::string_view rest = in.rest();
  if (encode && rest.size() > 200) return 0;  // an xpub payload is 78 bytes
  const std::string text = encode ? base58check(rest) : std::string(rest);
  auto key = parse_xpub(text);
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
