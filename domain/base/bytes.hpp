#pragma once
/// Big-endian integer encoding and hex, for keys, records and hashes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace telepay {

using hash256 = std::array<std::uint8_t, 32>;

inline void put_be16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

inline void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

inline void put_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

/// REQUIRES: `in` holds at least 2/4/8 bytes.
inline std::uint16_t get_be16(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

inline std::uint32_t get_be32(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

inline std::uint64_t get_be64(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

/// The 8-byte big-endian key of a sequence number (sorts numerically under bytewise order).
inline std::string be64_key(std::uint64_t v) {
  std::string out;
  out.reserve(8);
  put_be64(out, v);
  return out;
}

/// Lower-case hex of arbitrary bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);
inline std::string to_hex(std::string_view bytes) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

/// Parses hex (either case, no prefix, even length). nullopt on any bad character or odd length.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

/// Parses exactly 64 hex characters into a 32-byte hash.
std::optional<hash256> hash_from_hex(std::string_view text);

}  // namespace telepay
