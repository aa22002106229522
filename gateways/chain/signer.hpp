#pragma once
/// secp256k1 keys and recoverable ECDSA signatures (libsecp256k1: RFC 6979 deterministic
/// nonces, low-S), and the Ethereum address of a public key.
///
/// Thread safety: every function may be called from any thread (one shared, randomized,
/// read-only context).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"

namespace telepay::gateways::chain {

/// A private key. Never printed or logged; its bytes are wiped when it is destroyed.
class secret_key {
 public:
  /// "0x" + 64 hex digits or 64 hex digits (surrounding whitespace ignored). Errors
  /// (invalid_argument, never echoing the input): wrong form, zero, or not below the curve order.
  static result<secret_key> parse(std::string_view hex);
  /// Reads the key from a file holding the hex form (a hot-wallet key file).
  static result<secret_key> from_file(const std::string& path);

  secret_key(const secret_key& other) = default;
  secret_key& operator=(const secret_key& other) = default;
  ~secret_key();

  const std::array<std::uint8_t, 32>& bytes() const { return bytes_; }

 private:
  secret_key() = default;
  std::array<std::uint8_t, 32> bytes_{};
};

/// The 65-byte uncompressed public key (0x04 || X || Y).
using public_key = std::array<std::uint8_t, 65>;

public_key public_key_of(const secret_key& key);
/// keccak256(X || Y)[12..32].
address address_of(const public_key& key);
inline address address_of(const secret_key& key) { return address_of(public_key_of(key)); }

/// A recoverable signature: r, s (low-S) and the recovery id (0 or 1; the y parity of R).
struct signature {
  hash256 r{};
  hash256 s{};
  std::uint8_t recovery_id = 0;
  friend bool operator==(const signature&, const signature&) = default;
};

/// Signs a 32-byte digest deterministically (RFC 6979).
signature sign_digest(const secret_key& key, const hash256& digest);
/// The address whose key made `sig` over `digest`; invalid_argument when it does not recover.
result<address> recover_signer(const hash256& digest, const signature& sig);

}  // namespace telepay::gateways::chain
