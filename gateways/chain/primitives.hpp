#pragma once
/// EVM value types: 20-byte addresses, 256-bit words (uint256) and the hex forms JSON-RPC uses.
/// Pure; no I/O.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "domain/base/u128.hpp"

namespace telepay::gateways::chain {

/// A 20-byte account or contract address.
struct address {
  std::array<std::uint8_t, 20> bytes{};
  friend bool operator==(const address&, const address&) = default;
  friend auto operator<=>(const address&, const address&) = default;
};

/// Accepts "0x" + 40 hex digits: EIP-55 mixed case with a correct checksum, or all lower / all
/// upper case. Errors: payout_address_invalid naming the problem.
result<address> parse_address(std::string_view text);
/// "0x" + 40 hex digits in any case, without checking a checksum: for what a node sends
/// (lower case, checksum meaningless), where computing one would cost a Keccak per log.
/// Errors: invalid_argument.
result<address> parse_address_unchecked(std::string_view text);
/// The EIP-55 checksummed text ("0x7F31ab...").
std::string to_checksummed(const address& a);
/// "0x" + 40 lower-case hex digits (the form topics and RPC filters use).
std::string to_lower_hex(const address& a);

/// An unsigned 256-bit integer (EVM word), held as two u128 halves.
struct u256 {
  u128 high = 0;
  u128 low = 0;
  friend bool operator==(const u256&, const u256&) = default;
  friend auto operator<=>(const u256&, const u256&) = default;
  static u256 of(u128 v) { return u256{0, v}; }
  /// The value when it fits 128 bits; amount_overflow otherwise.
  result<u128> narrow() const;
};

/// The 32-byte big-endian word.
std::array<std::uint8_t, 32> to_word(const u256& v);
u256 from_word(const std::uint8_t* word32);

/// Minimal big-endian bytes (no leading zero byte; zero is the empty string), as RLP wants.
std::string minimal_bytes(const u256& v);
inline std::string minimal_bytes(u128 v) { return minimal_bytes(u256::of(v)); }

/// JSON-RPC quantities: "0x" + 1..64 hex digits ("0x0" for zero). Leading zeros are accepted
/// on input (some nodes send them) but never produced. Errors: invalid_argument.
result<u256> parse_quantity(std::string_view text);
/// As parse_quantity, and the value must fit 64 bits.
result<std::uint64_t> parse_quantity_u64(std::string_view text);
std::string to_quantity(const u256& v);
inline std::string to_quantity(std::uint64_t v) { return to_quantity(u256::of(v)); }

/// JSON-RPC data: "0x" + an even number of hex digits, any case. Errors: invalid_argument.
result<std::string> parse_data(std::string_view text);
/// "0x" + lower-case hex of `bytes`.
std::string to_data(std::string_view bytes);
/// A 32-byte hash given as "0x" + 64 hex digits.
result<hash256> parse_hash(std::string_view text);
std::string to_data(const hash256& h);

/// Decimal digits of a u256 (for logs and errors).
std::string to_decimal(const u256& v);

}  // namespace telepay::gateways::chain
