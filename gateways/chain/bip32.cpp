#include "gateways/chain/bip32.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include <algorithm>
#include <vector>

#include "gateways/chain/signer.hpp"

namespace telepay::gateways::chain {
namespace {

constexpr std::string_view base58_alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::uint32_t xpub_version = 0x0488B21E;
constexpr std::uint32_t xprv_version = 0x0488ADE4;
constexpr std::size_t serialized_bytes = 78;
constexpr std::uint32_t hardened = 0x80000000u;

const secp256k1_context* context() {
  static const secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return ctx;
}

error bad_xpub(std::string why) { return make_error(errc::invalid_argument, "xpub: " + std::move(why)); }

/// Base58 to bytes (leading '1's are zero bytes). nullopt on a character outside the alphabet.
std::optional<std::vector<std::uint8_t>> base58_decode(std::string_view text) {
  std::vector<std::uint8_t> number;  // big-endian, grows as digits are folded in
  for (char c : text) {
    const auto digit = base58_alphabet.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    unsigned carry = static_cast<unsigned>(digit);
    for (auto it = number.rbegin(); it != number.rend(); ++it) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      number.insert(number.begin(), static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  const auto zeros = static_cast<std::size_t>(
      std::find_if(text.begin(), text.end(), [](char c) { return c != '1'; }) - text.begin());
  number.insert(number.begin(), zeros, 0);
  return number;
}

std::array<std::uint8_t, 32> sha256(const std::uint8_t* data, std::size_t size) {
  std::array<std::uint8_t, 32> out{};
  SHA256(data, size, out.data());
  return out;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

result<extended_public_key> parse_xpub(std::string_view text) {
  if (text.size() > 120) return bad_xpub("too long");
  auto bytes = base58_decode(text);
  if (!bytes) return bad_xpub("not Base58");
  if (bytes->size() != serialized_bytes + 4) return bad_xpub("wrong length");
  const auto first = sha256(bytes->data(), serialized_bytes);
  const auto check = sha256(first.data(), first.size());
  if (!std::equal(check.begin(), check.begin() + 4, bytes->begin() + serialized_bytes)) {
    return bad_xpub("checksum mismatch");
  }
  const std::uint8_t* p = bytes->data();
  const std::uint32_t version = be32(p);
  if (version == xprv_version) return bad_xpub("this is a private key (xprv); give the account xpub");
  if (version != xpub_version) return bad_xpub("not a mainnet xpub version");
  extended_public_key k;
  k.depth = p[4];
  k.parent_fingerprint = be32(p + 5);
  k.child_number = be32(p + 9);
  std::copy(p + 13, p + 45, k.chain_code.begin());
  std::copy(p + 45, p + 78, k.key.begin());
  secp256k1_pubkey point;
  if (secp256k1_ec_pubkey_parse(context(), &point, k.key.data(), k.key.size()) != 1 ||
      (k.key[0] != 0x02 && k.key[0] != 0x03)) {
    return bad_xpub("key is not a compressed point on secp256k1");
  }
  return k;
}

result<extended_public_key> derive_child(const extended_public_key& parent, std::uint32_t index) {
  if (index >= hardened) return bad_xpub("hardened index " + std::to_string(index) + " needs the private key");
  std::array<std::uint8_t, 37> data{};
  std::copy(parent.key.begin(), parent.key.end(), data.begin());
  for (int i = 0; i < 4; ++i) data[static_cast<std::size_t>(33 + i)] = static_cast<std::uint8_t>(index >> (24 - 8 * i));
  std::array<std::uint8_t, 64> mac{};
  unsigned mac_size = 0;
  HMAC(EVP_sha512(), parent.chain_code.data(), static_cast<int>(parent.chain_code.size()), data.data(), data.size(),
       mac.data(), &mac_size);
  LEDGER_ASSERT(mac_size == 64, "HMAC-SHA512 gave ", mac_size, " bytes");
  secp256k1_pubkey point;
  LEDGER_ASSERT(secp256k1_ec_pubkey_parse(context(), &point, parent.key.data(), parent.key.size()) == 1,
                "a parsed xpub holds an invalid point");
  if (secp256k1_ec_pubkey_tweak_add(context(), &point, mac.data()) != 1) {
    return bad_xpub("index " + std::to_string(index) + " gives an invalid child; use the next index");
  }
  extended_public_key child;
  child.depth = static_cast<std::uint8_t>(parent.depth + 1);
  const auto id = sha256(parent.key.data(), parent.key.size());
  std::array<std::uint8_t, 20> hash160{};
  unsigned hash_size = 0;
  EVP_Digest(id.data(), id.size(), hash160.data(), &hash_size, EVP_ripemd160(), nullptr);
  child.parent_fingerprint = hash_size == 20 ? be32(hash160.data()) : 0;  // informational only
  child.child_number = index;
  std::copy(mac.begin() + 32, mac.end(), child.chain_code.begin());
  std::size_t length = child.key.size();
  secp256k1_ec_pubkey_serialize(context(), child.key.data(), &length, &point, SECP256K1_EC_COMPRESSED);
  return child;
}

address address_of(const extended_public_key& key) {
  secp256k1_pubkey point;
  LEDGER_ASSERT(secp256k1_ec_pubkey_parse(context(), &point, key.key.data(), key.key.size()) == 1,
                "extended key holds an invalid point");
  public_key full{};
  std::size_t length = full.size();
  secp256k1_ec_pubkey_serialize(context(), full.data(), &length, &point, SECP256K1_EC_UNCOMPRESSED);
  return address_of(full);
}

deposit_path deposit_path_of(std::int64_t user_id) {
  const auto id = static_cast<std::uint64_t>(user_id);
  return deposit_path{static_cast<std::uint32_t>(id >> 31), static_cast<std::uint32_t>(id & (hardened - 1))};
}

result<address> deposit_address(const extended_public_key& account, std::int64_t user_id) {
  if (user_id <= 0 || static_cast<std::uint64_t>(user_id) >= (std::uint64_t{1} << 62)) {
    return make_error(errc::user_id_invalid, "user id " + std::to_string(user_id) + " has no deposit address");
  }
  const deposit_path path = deposit_path_of(user_id);
  TELEPAY_TRY(branch, derive_child(account, path.high));
  TELEPAY_TRY(leaf, derive_child(branch, path.low));
  return address_of(leaf);
}

}  // namespace telepay::gateways::chain
