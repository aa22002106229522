#pragma once
/// BIP32 public (watch-only) derivation: the server holds only an account xpub and derives
/// per-user deposit addresses from it; the private keys stay offline with whoever sweeps.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"

namespace telepay::gateways::chain {

/// An extended public key: a compressed point and its chain code.
struct extended_public_key {
  std::uint8_t depth = 0;
  std::uint32_t parent_fingerprint = 0;
  std::uint32_t child_number = 0;
  std::array<std::uint8_t, 32> chain_code{};
  std::array<std::uint8_t, 33> key{};  // compressed SEC1 point
  friend bool operator==(const extended_public_key&, const extended_public_key&) = default;
};

/// Parses a Base58Check "xpub..." (mainnet public version 0x0488B21E). Errors
/// (invalid_argument): bad Base58, bad checksum, wrong length or version (an xprv is refused:
/// the server must never hold the account's private key), a key that is not on the curve.
result<extended_public_key> parse_xpub(std::string_view text);

/// CKDpub: the non-hardened child `index` (< 2^31). Errors: invalid_argument for a hardened
/// index or, with probability below 2^-127, an index whose tweak is invalid (use the next).
result<extended_public_key> derive_child(const extended_public_key& parent, std::uint32_t index);

/// The Ethereum address of an extended key's point.
address address_of(const extended_public_key& key);

/// The deposit address of a user: the xpub's child `user_id / 2^31`, then that key's child
/// `user_id % 2^31` (path `{account}/{high}/{low}`), so every Telegram id (up to 2^62) has its
/// own address with no allocation state, and anyone holding the xpub can re-derive it.
struct deposit_path {
  std::uint32_t high = 0;
  std::uint32_t low = 0;
};
deposit_path deposit_path_of(std::int64_t user_id);
result<address> deposit_address(const extended_public_key& account, std::int64_t user_id);

}  // namespace telepay::gateways::chain
