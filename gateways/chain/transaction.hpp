#pragma once
/// Ethereum transactions the payout sender signs: legacy with EIP-155 replay protection
/// (type 0) and EIP-1559 (type 2, empty access list). Pure: the same inputs always give the
/// same bytes (RFC 6979 signatures), which is what lets a restart re-broadcast the exact bytes
/// it recorded.

#include <cstdint>
#include <string>
#include <variant>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"
#include "gateways/chain/signer.hpp"

namespace telepay::gateways::chain {

struct legacy_tx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  u128 gas_price = 0;
  std::uint64_t gas_limit = 0;
  address to;
  u128 value = 0;
  std::string data;  // bytes
};

struct eip1559_tx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  u128 max_priority_fee_per_gas = 0;
  u128 max_fee_per_gas = 0;
  std::uint64_t gas_limit = 0;
  address to;
  u128 value = 0;
  std::string data;  // bytes
};

using unsigned_tx = std::variant<legacy_tx, eip1559_tx>;

/// The bytes whose keccak256 is signed: rlp([nonce, gasPrice, gas, to, value, data, chainId,
/// 0, 0]) for legacy; 0x02 || rlp([chainId, nonce, tip, maxFee, gas, to, value, data, []]).
std::string signing_payload(const unsigned_tx& tx);
hash256 signing_hash(const unsigned_tx& tx);

struct signed_tx {
  std::string raw;  // the bytes eth_sendRawTransaction takes
  hash256 hash{};   // keccak256(raw): the transaction hash
  signature sig;
};

/// Signs `tx`. Legacy: v = chainId * 2 + 35 + recovery id (EIP-155); type 2: y parity.
signed_tx sign(const unsigned_tx& tx, const secret_key& key);
/// Encodes a signed transaction from its parts (used by sign, and by tests with given r, s).
std::string encode_signed(const unsigned_tx& tx, const signature& sig);

/// A signed transaction read back from its raw bytes: the fields and the sender recovered from
/// the signature. Errors (invalid_argument): not a legacy EIP-155 or type-2 transaction, wrong
/// field count or sizes, a signature that does not recover.
struct decoded_tx {
  unsigned_tx tx;
  signature sig;
  address from;
  hash256 hash{};
};
result<decoded_tx> decode_signed(std::string_view raw);

/// The nonce and fee fields shared by both types, for the sender's bookkeeping.
std::uint64_t nonce_of(const unsigned_tx& tx);
/// The highest price per gas the transaction may pay (gasPrice, or maxFeePerGas).
u128 fee_cap_of(const unsigned_tx& tx);

}  // namespace telepay::gateways::chain
