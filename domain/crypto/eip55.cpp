#include "domain/crypto/eip55.hpp"

#include "domain/base/json.hpp"
#include "domain/crypto/keccak.hpp"

namespace telepay::domain {
namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

error bad_address(std::string_view address, std::string_view why) {
  return make_error(errc::payout_address_invalid,
                    "address '" + utf8_prefix(address, 64) + "' " + std::string(why));
}

}  // namespace

result<std::string> eip55_checksum(std::string_view address) {
  if (address.size() != 42 || address[0] != '0' || address[1] != 'x') {
    return bad_address(address, "must be 0x followed by 40 hex digits");
  }
  std::string hex;
  hex.reserve(40);
  for (char c : address.substr(2)) {
    if (!is_hex(c)) {
      return bad_address(address, "contains a non-hex digit");
    }
    hex.push_back(lower(c));
  }
  const keccak_digest digest = keccak256(hex);
  std::string out = "0x";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const std::uint8_t byte = digest[i / 2];
    const unsigned nibble = i % 2 == 0 ? byte >> 4 : byte & 0x0f;
    const char c = hex[i];
    out.push_back(c >= 'a' && c <= 'f' && nibble >= 8 ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

result<std::string> parse_evm_address(std::string_view address) {
  auto checksummed = eip55_checksum(address);
  if (!checksummed) {
    return checksummed;
  }
  const std::string_view digits = address.substr(2);
  bool has_lower = false;
  bool has_upper = false;
  for (char c : digits) {
    has_lower = has_lower || (c >= 'a' && c <= 'f');
    has_upper = has_upper || (c >= 'A' && c <= 'F');
  }
  if (has_lower && has_upper && std::string_view(*checksummed).substr(2) != digits) {
    return bad_address(address, "fails its EIP-55 checksum (expected " + *checksummed + ")");
  }
  return checksummed;
}

}  // namespace telepay::domain
