#pragma once
/// Recursive Length Prefix, the byte encoding of Ethereum transactions (Yellow Paper, appendix
/// B). Encoding is by parts: a list is the encoding of its concatenated, already encoded items.
/// Decoding is strict (canonical forms only) and bounded in depth.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"

namespace telepay::gateways::chain::rlp {

/// A byte string: one byte below 0x80 as itself, otherwise a length prefix and the bytes.
std::string encode_bytes(std::string_view bytes);
/// An unsigned integer as its minimal big-endian bytes (zero is the empty string, 0x80).
std::string encode_uint(const u256& value);
inline std::string encode_uint(u128 value) { return encode_uint(u256::of(value)); }
/// A list whose items were encoded and concatenated into `payload`.
std::string encode_list(std::string_view payload);

/// A decoded item: a byte string or a list of items.
struct item {
  std::variant<std::string, std::vector<item>> value;
  bool is_list() const { return value.index() == 1; }
  const std::string& bytes() const { return std::get<0>(value); }
  const std::vector<item>& items() const { return std::get<1>(value); }
};

/// Lists nested deeper than this are refused (transactions need 3 levels).
inline constexpr std::size_t decode_depth_max = 16;

/// Decodes exactly one item spanning all of `encoded`. Errors (invalid_argument): truncated
/// input, trailing bytes, non-canonical lengths (a single byte below 0x80 with a prefix, a
/// long form for a short payload, leading zeros in a length), too deep.
result<item> decode(std::string_view encoded);

}  // namespace telepay::gateways::chain::rlp
