#include "gateways/chain/primitives.hpp"

#include <algorithm>
#include <limits>

#include "domain/base/json.hpp"
#include "domain/crypto/eip55.hpp"

namespace telepay::gateways::chain {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char hex_digits[] = "0123456789abcdef";

error bad(std::string_view what, std::string_view text) {
  return make_error(errc::invalid_argument,
                    std::string(what) + " '" + utf8_prefix(text, 80) + "' is malformed");
}

}  // namespace

result<address> parse_address(std::string_view text) {
  auto checked = domain::parse_evm_address(text);
  if (!checked) {
    return checked.error();
  }
  address out;
  for (std::size_t i = 0; i < 20; ++i) {
    out.bytes[i] = static_cast<std::uint8_t>(hex_value(text[2 + 2 * i]) * 16 + hex_value(text[3 + 2 * i]));
  }
  return out;
}

result<address> parse_address_unchecked(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return bad("address", text);
  address out;
  for (std::size_t i = 0; i < 20; ++i) {
    const int high = hex_value(text[2 + 2 * i]);
    const int low = hex_value(text[3 + 2 * i]);
    if (high < 0 || low < 0) return bad("address", text);
    out.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return out;
}

std::string to_lower_hex(const address& a) {
  return "0x" + to_hex(std::span<const std::uint8_t>(a.bytes));
}

std::string to_checksummed(const address& a) {
  auto text = domain::eip55_checksum(to_lower_hex(a));
  LEDGER_ASSERT(text.has_value(), "eip55 of a well-formed address failed");
  return *std::move(text);
}

result<u128> u256::narrow() const {
  if (high != 0) {
    return make_error(errc::amount_overflow, "value " + to_decimal(*this) + " does not fit 128 bits");
  }
  return low;
}

std::array<std::uint8_t, 32> to_word(const u256& v) {
  std::array<std::uint8_t, 32> out{};
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(v.high >> (8 * i));
    out[static_cast<std::size_t>(31 - i)] = static_cast<std::uint8_t>(v.low >> (8 * i));
  }
  return out;
}

u256 from_word(const std::uint8_t* word32) {
  u256 v;
  for (int i = 0; i < 16; ++i) {
    v.high = (v.high << 8) | word32[i];
    v.low = (v.low << 8) | word32[16 + i];
  }
  return v;
}

std::string minimal_bytes(const u256& v) {
  const auto word = to_word(v);
  std::size_t first = 0;
  while (first < 32 && word[first] == 0) {
    ++first;
  }
  return std::string(reinterpret_cast<const char*>(word.data()) + first, 32 - first);
}

result<u256> parse_quantity(std::string_view text) {
  if (text.size() < 3 || text.size() > 66 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return bad("quantity", text);
  }
  u256 v;
  for (char c : text.substr(2)) {
    const int d = hex_value(c);
    if (d < 0) {
      return bad("quantity", text);
    }
    v.high = (v.high << 4) | (v.low >> 124);
    v.low = (v.low << 4) | static_cast<u128>(d);
  }
  return v;
}

result<std::uint64_t> parse_quantity_u64(std::string_view text) {
  TELEPAY_TRY(v, parse_quantity(text));
  if (v.high != 0 || v.low > std::numeric_limits<std::uint64_t>::max()) {
    return make_error(errc::invalid_argument, "quantity '" + utf8_prefix(text, 80) + "' exceeds 64 bits");
  }
  return static_cast<std::uint64_t>(v.low);
}

std::string to_quantity(const u256& v) {
  const std::string bytes = minimal_bytes(v);
  if (bytes.empty()) {
    return "0x0";
  }
  std::string hex = to_hex(bytes);
  const auto first = hex.find_first_not_of('0');
  return "0x" + hex.substr(first);
}

result<std::string> parse_data(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || text.size() % 2 != 0) {
    return bad("data", text);
  }
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) {
      return bad("data", text);
    }
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

std::string to_data(std::string_view bytes) { return "0x" + to_hex(bytes); }

result<hash256> parse_hash(std::string_view text) {
  if (text.size() != 66 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return bad("hash", text);
  }
  hash256 out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_value(text[2 + 2 * i]);
    const int low = hex_value(text[3 + 2 * i]);
    if (high < 0 || low < 0) return bad("hash", text);
    out[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return out;
}

std::string to_data(const hash256& h) { return "0x" + to_hex(std::span<const std::uint8_t>(h)); }

std::string to_decimal(const u256& v) {
  if (v.high == 0) {
    return u128_to_string(v.low);
  }
  // Repeated division by 10 over four 64-bit limbs (most significant first).
  std::array<std::uint64_t, 4> limbs{static_cast<std::uint64_t>(v.high >> 64), static_cast<std::uint64_t>(v.high),
                                     static_cast<std::uint64_t>(v.low >> 64), static_cast<std::uint64_t>(v.low)};
  std::string digits;
  while (std::any_of(limbs.begin(), limbs.end(), [](std::uint64_t l) { return l != 0; })) {
    u128 remainder = 0;
    for (auto& limb : limbs) {
      const u128 current = (remainder << 64) | limb;
      limb = static_cast<std::uint64_t>(current / 10);
      remainder = current % 10;
    }
    digits.push_back(static_cast<char>('0' + static_cast<int>(remainder)));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace telepay::gateways::chain
