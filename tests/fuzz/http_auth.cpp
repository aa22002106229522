// Fuzzes what the operator API reads from a request before any route runs
// (gateways/http/auth.hpp, compiled in from auth.cpp): the bearer token a client presents and
// the CIDR allowlist check of its address.
//
// Input: line 1 is the Authorization value after "Bearer " and also the client address; every
// further line is one CIDR block of the token's allowlist.
//
// Properties beyond "no crash": a token that parses prints back as "tp_<id>_<secret>" (so the
// id looked up is exactly what was sent); an empty allowlist allows every address;
// digests_equal of a text with itself is true.

#include <vector>

#include "gateways/http/auth.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::http;

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
  (void)address_allowed(first, cidrs);
  TELEPAY_FUZZ_CHECK(address_allowed(first, {}), "an empty allowlist allows every address");
  TELEPAY_FUZZ_CHECK(digests_equal(first, first), first);
  if (!cidrs.empty()) {
    (void)digests_equal(first, cidrs.front());
  }
  return 0;
}
