#pragma once
/// Keccak-256 as Ethereum uses it (original Keccak padding 0x01, rate 136 bytes), which is not
/// NIST SHA3-256 (padding 0x06). OpenSSL 3.0 has no Keccak-256, hence this small sponge.

#include <array>
#include <cstdint>
#include <string_view>

namespace telepay::domain {

using keccak_digest = std::array<std::uint8_t, 32>;

/// Keccak-256 of `data` (bytes, not hex).
keccak_digest keccak256(std::string_view data);

}  // namespace telepay::domain
