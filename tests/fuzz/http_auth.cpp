// Fuzzes what the operator API reads from a request before any route runs
// (gateways/http/auth.hpp, compiled in from auth.cpp): the bearer token a client presents and
// the CIDR allowlist check of its address.
//
// Input: line 1 is the Authorization value after "Bearer " and also the client address; every
// further line is one CIDR block of the token's allowlist.
//
// Properties beyond "no crash": a token that parses prints back as "tp_<id>_<secret>" (so the
// id looked up is exactly what was sent); an empty allowlist allows every address; a list whose
// every block has no valid prefix length (digits only, 0..32 for IPv4, 0..128 for IPv6) contains
// no address, so it allows none (a stored block like "10.0.0.0/x" must not open the token to the
// world); digests_equal of a text with itself is true.

#include <charconv>
#include <vector>

#include "gateways/http/auth.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::http;

namespace {

/// Whether the block's prefix length is digits only and at most 128 (the widest it can be).
bool prefix_may_be_valid(std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view digits = cidr.substr(slash + 1);
  int bits = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
  return !digits.empty() && digits.front() != '-' && ec == std::errc() && end == digits.data() + digits.size() &&
         bits >= 0 && bits <= 128;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const std::string_view first = in.line();
  if (auto parts = parse_token(first)) {
    TELEPAY_FUZZ_CHECK("tp_" + parts->id + "_" + parts->secret == first, first);
  }
  std::vector<std::string> cidrs;
  while (!in.empty() && cidrs.size() < 64) {
    cidrs.emplace_back(in.line());
  }
  const bool allowed = address_allowed(first, cidrs);
  bool any_valid = false;
  for (const std::string& cidr : cidrs) any_valid = any_valid || prefix_may_be_valid(cidr);
  if (!cidrs.empty() && !any_valid) {
    TELEPAY_FUZZ_CHECK(!allowed, "a list of blocks without a valid prefix length allowed " + std::string(first));
  }
  TELEPAY_FUZZ_CHECK(address_allowed(first, {}), "an empty allowlist allows every address");
  TELEPAY_FUZZ_CHECK(digests_equal(first, first), first);
  if (!cidrs.empty()) {
    (void)digests_equal(first, cidrs.front());
  }
  return 0;
}
