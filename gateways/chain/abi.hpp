#pragma once
/// The few ERC-20 calls and events the gateway needs, ABI-encoded by hand (Solidity ABI spec:
/// a 4-byte selector = keccak256(signature)[0..4], then 32-byte words).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"

namespace telepay::gateways::chain::abi {

using selector = std::array<std::uint8_t, 4>;

/// keccak256(signature)[0..4], e.g. "transfer(address,uint256)" -> a9059cbb.
selector selector_of(std::string_view signature);
/// keccak256 of an event signature: the log's topic 0.
hash256 event_topic(std::string_view signature);

/// topic0 of Transfer(address,address,uint256).
const hash256& transfer_topic();

/// Calldata of transfer(to, amount): a9059cbb, the address word, the amount word.
std::string transfer_call(const address& to, const u256& amount);
/// Calldata of balanceOf(owner).
std::string balance_of_call(const address& owner);
/// Calldata of decimals().
std::string decimals_call();

/// An address as a 32-byte word / topic (12 zero bytes, then the address).
hash256 address_word(const address& a);
/// The address in a word; invalid_argument when the 12 high bytes are not zero.
result<address> word_address(const hash256& word);

/// A return value holding one uint256 (balanceOf, decimals): exactly 32 bytes.
result<u256> decode_uint(std::string_view return_data);

/// What transfer(address,uint256) calldata says; invalid_argument when it is not that call.
struct transfer_args {
  address to;
  u256 amount;
};
result<transfer_args> decode_transfer_call(std::string_view calldata);

}  // namespace telepay::gateways::chain::abi
