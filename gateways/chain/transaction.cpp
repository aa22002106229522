#include "gateways/chain/transaction.hpp"

#include <algorithm>

#include "domain/crypto/keccak.hpp"
#include "gateways/chain/rlp.hpp"

namespace telepay::gateways::chain {
namespace {

std::string addr_bytes(const address& a) {
  return std::string(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
}

std::string scalar(const hash256& h) {
  return rlp::encode_uint(from_word(h.data()));  // r and s are integers: no leading zeros
}

std::string legacy_fields(const legacy_tx& t) {
  return rlp::encode_uint(t.nonce) + rlp::encode_uint(t.gas_price) + rlp::encode_uint(t.gas_limit) +
         rlp::encode_bytes(addr_bytes(t.to)) + rlp::encode_uint(t.value) + rlp::encode_bytes(t.data);
}

std::string eip1559_fields(const eip1559_tx& t) {
  return rlp::encode_uint(t.chain_id) + rlp::encode_uint(t.nonce) + rlp::encode_uint(t.max_priority_fee_per_gas) +
         rlp::encode_uint(t.max_fee_per_gas) + rlp::encode_uint(t.gas_limit) + rlp::encode_bytes(addr_bytes(t.to)) +
         rlp::encode_uint(t.value) + rlp::encode_bytes(t.data) + rlp::encode_list("");
}

hash256 keccak(std::string_view bytes) { return domain::keccak256(bytes); }

error bad_tx(std::string why) { return make_error(errc::invalid_argument, "transaction: " + std::move(why)); }

/// An RLP integer field: at most `bytes_max` bytes, no leading zero.
result<u256> read_uint(const rlp::item& it, std::size_t bytes_max, const char* name) {
  if (it.is_list() || it.bytes().size() > bytes_max || (!it.bytes().empty() && it.bytes()[0] == 0)) {
    return bad_tx(std::string("field ") + name + " is not a canonical integer");
  }
  std::array<std::uint8_t, 32> word{};
  std::copy(it.bytes().begin(), it.bytes().end(), word.begin() + static_cast<std::ptrdiff_t>(32 - it.bytes().size()));
  return from_word(word.data());
}

result<address> read_address(const rlp::item& it) {
  if (it.is_list() || it.bytes().size() != 20) return bad_tx("field to is not a 20-byte address");
  address a;
  std::copy(it.bytes().begin(), it.bytes().end(), a.bytes.begin());
  return a;
}

result<std::string> read_bytes(const rlp::item& it, const char* name) {
  if (it.is_list()) return bad_tx(std::string("field ") + name + " is a list");
  return it.bytes();
}

result<hash256> read_scalar(const rlp::item& it, const char* name) {
  TELEPAY_TRY(v, read_uint(it, 32, name));
  return to_word(v);
}

std::uint64_t low64(const u256& v) { return static_cast<std::uint64_t>(v.low); }

}  // namespace

std::string signing_payload(const unsigned_tx& tx) {
  if (const auto* t = std::get_if<legacy_tx>(&tx)) {
    return rlp::encode_list(legacy_fields(*t) + rlp::encode_uint(t->chain_id) + rlp::encode_uint(0) +
                            rlp::encode_uint(0));
  }
  return std::string(1, '\x02') + rlp::encode_list(eip1559_fields(std::get<eip1559_tx>(tx)));
}

hash256 signing_hash(const unsigned_tx& tx) { return keccak(signing_payload(tx)); }

std::string encode_signed(const unsigned_tx& tx, const signature& sig) {
  if (const auto* t = std::get_if<legacy_tx>(&tx)) {
    const u128 v = u128{t->chain_id} * 2 + 35 + sig.recovery_id;
    return rlp::encode_list(legacy_fields(*t) + rlp::encode_uint(v) + scalar(sig.r) + scalar(sig.s));
  }
  return std::string(1, '\x02') + rlp::encode_list(eip1559_fields(std::get<eip1559_tx>(tx)) +
                                                   rlp::encode_uint(u128{sig.recovery_id}) + scalar(sig.r) +
                                                   scalar(sig.s));
}

signed_tx sign(const unsigned_tx& tx, const secret_key& key) {
  signed_tx out;
  out.sig = sign_digest(key, signing_hash(tx));
  out.raw = encode_signed(tx, out.sig);
  out.hash = keccak(out.raw);
  return out;
}

result<decoded_tx> decode_signed(std::string_view raw) {
  if (raw.empty()) return bad_tx("empty");
  const bool typed = static_cast<unsigned char>(raw[0]) < 0x80;
  if (typed && raw[0] != 0x02) return bad_tx("unsupported type " + std::to_string(static_cast<int>(raw[0])));
  TELEPAY_TRY(top, rlp::decode(typed ? raw.substr(1) : raw));
  if (!top.is_list()) return bad_tx("not a list");
  const auto& f = top.items();
  decoded_tx out;
  out.hash = keccak(raw);
  if (!typed) {
    if (f.size() != 9) return bad_tx("a legacy transaction has 9 fields, not " + std::to_string(f.size()));
    legacy_tx t;
    TELEPAY_TRY(nonce, read_uint(f[0], 8, "nonce"));
    TELEPAY_TRY(price, read_uint(f[1], 16, "gasPrice"));
    TELEPAY_TRY(gas, read_uint(f[2], 8, "gas"));
    TELEPAY_TRY(to, read_address(f[3]));
    TELEPAY_TRY(value, read_uint(f[4], 16, "value"));
    TELEPAY_TRY(data, read_bytes(f[5], "data"));
    TELEPAY_TRY(v, read_uint(f[6], 16, "v"));
    if (v.low < 37) return bad_tx("v without EIP-155 replay protection");
    t.nonce = low64(nonce);
    t.gas_price = price.low;
    t.gas_limit = low64(gas);
    t.to = to;
    t.value = value.low;
    t.data = std::move(data);
    t.chain_id = static_cast<std::uint64_t>((v.low - 35) / 2);
    out.sig.recovery_id = static_cast<std::uint8_t>((v.low - 35) % 2);
    out.tx = std::move(t);
    TELEPAY_TRY(r, read_scalar(f[7], "r"));
    TELEPAY_TRY(s, read_scalar(f[8], "s"));
    out.sig.r = r;
    out.sig.s = s;
  } else {
    if (f.size() != 12) return bad_tx("a type-2 transaction has 12 fields, not " + std::to_string(f.size()));
    eip1559_tx t;
    TELEPAY_TRY(chain_id, read_uint(f[0], 8, "chainId"));
    TELEPAY_TRY(nonce, read_uint(f[1], 8, "nonce"));
    TELEPAY_TRY(tip, read_uint(f[2], 16, "maxPriorityFeePerGas"));
    TELEPAY_TRY(cap, read_uint(f[3], 16, "maxFeePerGas"));
    TELEPAY_TRY(gas, read_uint(f[4], 8, "gas"));
    TELEPAY_TRY(to, read_address(f[5]));
    TELEPAY_TRY(value, read_uint(f[6], 16, "value"));
    TELEPAY_TRY(data, read_bytes(f[7], "data"));
    if (!f[8].is_list() || !f[8].items().empty()) return bad_tx("only an empty access list is supported");
    TELEPAY_TRY(parity, read_uint(f[9], 1, "yParity"));
    if (parity.low > 1) return bad_tx("yParity must be 0 or 1");
    t.chain_id = low64(chain_id);
    t.nonce = low64(nonce);
    t.max_priority_fee_per_gas = tip.low;
    t.max_fee_per_gas = cap.low;
    t.gas_limit = low64(gas);
    t.to = to;
    t.value = value.low;
    t.data = std::move(data);
    out.tx = std::move(t);
    out.sig.recovery_id = static_cast<std::uint8_t>(parity.low);
    TELEPAY_TRY(r, read_scalar(f[10], "r"));
    TELEPAY_TRY(s, read_scalar(f[11], "s"));
    out.sig.r = r;
    out.sig.s = s;
  }
  TELEPAY_TRY(from, recover_signer(signing_hash(out.tx), out.sig));
  out.from = from;
  return out;
}

std::uint64_t nonce_of(const unsigned_tx& tx) {
  return std::visit([](const auto& t) { return t.nonce; }, tx);
}

u128 fee_cap_of(const unsigned_tx& tx) {
  if (const auto* t = std::get_if<legacy_tx>(&tx)) return t->gas_price;
  return std::get<eip1559_tx>(tx).max_fee_per_gas;
}

}  // namespace telepay::gateways::chain
