// Keccak-f[1600] with the sponge parameters of Keccak-256 (rate 136, capacity 64 bytes).
// Reference: FIPS 202 section 3 (the permutation) and the Keccak team's original padding.

#include "domain/crypto/keccak.hpp"

#include <cstring>

namespace telepay::domain {
namespace {

constexpr std::size_t rate_bytes = 136;

constexpr std::uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation offsets and the lane permutation (rho and pi steps), in the order of the pi walk.
constexpr unsigned rho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                              27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr unsigned pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                             15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr std::uint64_t rotl(std::uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

void keccak_f1600(std::uint64_t state[25]) {
  for (std::uint64_t round_constant : round_constants) {
    std::uint64_t c[5];
    for (unsigned x = 0; x < 5; ++x) {
      c[x] = state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20];
    }
    for (unsigned x = 0; x < 5; ++x) {
      const std::uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (unsigned y = 0; y < 25; y += 5) {
        state[y + x] ^= d;
      }
    }
    std::uint64_t carried = state[1];
    for (unsigned i = 0; i < 24; ++i) {
      const unsigned j = pi[i];
      const std::uint64_t next = state[j];
      state[j] = rotl(carried, rho[i]);
      carried = next;
    }
    for (unsigned y = 0; y < 25; y += 5) {
      std::uint64_t row[5];
      for (unsigned x = 0; x < 5; ++x) {
        row[x] = state[y + x];
      }
      for (unsigned x = 0; x < 5; ++x) {
        state[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
      }
    }
    state[0] ^= round_constant;
  }
}

void absorb_block(std::uint64_t state[25], const std::uint8_t* block) {
  for (std::size_t i = 0; i < rate_bytes / 8; ++i) {
    std::uint64_t lane = 0;
    for (unsigned b = 0; b < 8; ++b) {
      lane |= static_cast<std::uint64_t>(block[i * 8 + b]) << (8 * b);  // little-endian lanes
    }
    state[i] ^= lane;
  }
  keccak_f1600(state);
}

}  // namespace

keccak_digest keccak256(std::string_view data) {
  std::uint64_t state[25] = {};
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t remaining = data.size();
  while (remaining >= rate_bytes) {
    absorb_block(state, bytes);
    bytes += rate_bytes;
    remaining -= rate_bytes;
  }
  std::uint8_t last[rate_bytes] = {};
  if (remaining > 0) {
    std::memcpy(last, bytes, remaining);
  }
  last[remaining] ^= 0x01;
  last[rate_bytes - 1] ^= 0x80;
  absorb_block(state, last);
  keccak_digest out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(state[i / 8] >> (8 * (i % 8)));
  }
  return out;
}

}  // namespace telepay::domain
