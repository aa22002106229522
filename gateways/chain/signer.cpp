#include "gateways/chain/signer.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "domain/crypto/keccak.hpp"

namespace telepay::gateways::chain {
namespace {

/// The process-wide context: created once, randomized against side channels, then only read.
const secp256k1_context* context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    LEDGER_ASSERT(c != nullptr, "secp256k1_context_create failed");
    std::array<unsigned char, 32> seed{};
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) == 1) {
      LEDGER_ASSERT(secp256k1_context_randomize(c, seed.data()) == 1, "secp256k1_context_randomize failed");
    }
    OPENSSL_cleanse(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

result<secret_key> secret_key::parse(std::string_view hex) {
  while (!hex.empty() && is_space(hex.front())) hex.remove_prefix(1);
  while (!hex.empty() && is_space(hex.back())) hex.remove_suffix(1);
  if (hex.size() == 66 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  const error refused = make_error(errc::invalid_argument, "private key must be 32 bytes of hex (0x + 64 digits)");
  if (hex.size() != 64) return refused;
  auto bytes = from_hex(hex);
  if (!bytes) return refused;
  secret_key key;
  std::copy(bytes->begin(), bytes->end(), key.bytes_.begin());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (secp256k1_ec_seckey_verify(context(), key.bytes_.data()) != 1) {
    return make_error(errc::invalid_argument, "private key is zero or not below the curve order");
  }
  return key;
}

result<secret_key> secret_key::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::invalid_argument, "cannot read the key file " + path);
  // A key is 64 hex digits (and perhaps 0x and a newline): read a little more than that at
  // most, so a wrong path to a large file is refused instead of read whole.
  constexpr std::size_t key_file_bytes_max = 1024;
  std::string text(key_file_bytes_max + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > key_file_bytes_max) {
    OPENSSL_cleanse(text.data(), text.size());
    return make_error(errc::invalid_argument, "key file " + path + " is larger than a key (over 1024 bytes)");
  }
  auto key = parse(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key) return make_error(errc::invalid_argument, "key file " + path + ": " + key.error().message);
  return key;
}

secret_key::~secret_key() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

public_key public_key_of(const secret_key& key) {
  secp256k1_pubkey pub;
  LEDGER_ASSERT(secp256k1_ec_pubkey_create(context(), &pub, key.bytes().data()) == 1, "pubkey_create failed");
  public_key out{};
  std::size_t length = out.size();
  secp256k1_ec_pubkey_serialize(context(), out.data(), &length, &pub, SECP256K1_EC_UNCOMPRESSED);
  LEDGER_ASSERT(length == 65, "uncompressed public key is not 65 bytes");
  return out;
}

address address_of(const public_key& key) {
  const auto digest =
      domain::keccak256(std::string_view(reinterpret_cast<const char*>(key.data()) + 1, 64));
  address a;
  std::copy(digest.begin() + 12, digest.end(), a.bytes.begin());
  return a;
}

signature sign_digest(const secret_key& key, const hash256& digest) {
  secp256k1_ecdsa_recoverable_signature sig;
  LEDGER_ASSERT(secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), key.bytes().data(), nullptr,
                                                 nullptr) == 1,
                "secp256k1 signing failed");
  std::array<std::uint8_t, 64> compact{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact.data(), &recid, &sig);
  LEDGER_ASSERT(recid == 0 || recid == 1, "unexpected recovery id ", recid);
  signature out;
  std::copy(compact.begin(), compact.begin() + 32, out.r.begin());
  std::copy(compact.begin() + 32, compact.end(), out.s.begin());
  out.recovery_id = static_cast<std::uint8_t>(recid);
  return out;
}

result<address> recover_signer(const hash256& digest, const signature& sig) {
  std::array<std::uint8_t, 64> compact{};
  std::copy(sig.r.begin(), sig.r.end(), compact.begin());
  std::copy(sig.s.begin(), sig.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_recoverable_signature parsed;
  secp256k1_pubkey pub;
  if (sig.recovery_id > 3 ||
      secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, compact.data(), sig.recovery_id) != 1 ||
      secp256k1_ecdsa_recover(context(), &pub, &parsed, digest.data()) != 1) {
    return make_error(errc::invalid_argument, "signature does not recover a public key");
  }
  public_key out{};
  std::size_t length = out.size();
  secp256k1_ec_pubkey_serialize(context(), out.data(), &length, &pub, SECP256K1_EC_UNCOMPRESSED);
  return address_of(out);
}

}  // namespace telepay::gateways::chain
