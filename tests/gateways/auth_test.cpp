// Goal: the API's token and request checks: tokens parse only in their exact shape, secrets
// are compared by hash in constant time, CIDR allowlists match IPv4, IPv6 and IPv4-mapped peers
// exactly at the prefix boundary, and the token bucket allows the burst then the rate.
// Method: pure functions and a rate limiter with real time.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "gateways/http/auth.hpp"

namespace telepay::gateways::http {
namespace {

TEST(Tokens, GeneratedTokensParseAndHashTheirSecret) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const new_token t = generate_token();
    ASSERT_EQ(t.text.size(), 3u + 12 + 1 + 43);
    auto parts = parse_token(t.text);
    ASSERT_TRUE(parts.has_value()) << t.text;
    EXPECT_EQ(parts->id, t.id);
    EXPECT_EQ(sha256_hex(parts->secret), t.secret_sha256);
    EXPECT_TRUE(ids.insert(t.id).second);
  }
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Tokens, AnythingElseDoesNotParse) {
  const new_token t = generate_token();
  for (const std::string& bad : {std::string(), std::string("tp_"), t.text.substr(1), t.text + "x",
                                 "xx" + t.text.substr(2), t.text.substr(0, 15) + "-" + t.text.substr(16)}) {
    EXPECT_FALSE(parse_token(bad).has_value()) << bad;
  }
}

TEST(Tokens, DigestsCompareExactly) {
  const std::string a = sha256_hex("a");
  EXPECT_TRUE(digests_equal(a, a));
  EXPECT_FALSE(digests_equal(a, sha256_hex("b")));
  EXPECT_FALSE(digests_equal(a, a.substr(1)));
}

TEST(Allowlist, MatchesAtThePrefixBoundary) {
  EXPECT_TRUE(address_allowed("203.0.113.7", {}));
  // Found by the http_auth fuzz target: a prefix that is not a number allowed every address,
  // one past the address's length read past it (stored allowlists are not re-checked).
  EXPECT_FALSE(address_allowed("203.0.113.7", {"10.0.0.0/x"}));
  EXPECT_FALSE(address_allowed("203.0.113.7", {"10.0.0.0/"}));
  EXPECT_FALSE(address_allowed("203.0.113.7", {"10.0.0.0/-8"}));
  // Found by the long fuzz run: "-0" read as 0 made a block of every address.
  EXPECT_FALSE(address_allowed("::", {"::/-0"}));
  EXPECT_FALSE(address_allowed("203.0.113.7", {"0.0.0.0/-0"}));
  EXPECT_FALSE(address_allowed("203.0.113.7", {"0.0.0.0/+0"}));
  EXPECT_FALSE(address_allowed("10.0.0.0", {"10.0.0.0/40"}));
  EXPECT_FALSE(address_allowed("::", {"::/200"}));
  EXPECT_TRUE(address_allowed("10.1.2.3", {"10.0.0.0/8"}));
  EXPECT_FALSE(address_allowed("11.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(address_allowed("192.168.1.127", {"192.168.1.0/25"}));
  EXPECT_FALSE(address_allowed("192.168.1.128", {"192.168.1.0/25"}));
  EXPECT_TRUE(address_allowed("127.0.0.1", {"127.0.0.1/32"}));
  EXPECT_FALSE(address_allowed("127.0.0.2", {"127.0.0.1/32"}));
  EXPECT_TRUE(address_allowed("::ffff:10.0.0.9", {"10.0.0.0/8"}));
  EXPECT_TRUE(address_allowed("2001:db8::1", {"2001:db8::/32"}));
  EXPECT_FALSE(address_allowed("2001:db9::1", {"2001:db8::/32"}));
  EXPECT_FALSE(address_allowed("not an address", {"0.0.0.0/0"}));
  EXPECT_TRUE(address_allowed("8.8.8.8", {"0.0.0.0/0"}));
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  rate_limiter limiter;
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(limiter.take("t", 10, 5).has_value()) << i;
  }
  auto wait = limiter.take("t", 10, 5);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GE(*wait, 1u);
  EXPECT_FALSE(limiter.take("other", 10, 5).has_value());  // buckets are per token
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // ~2.5 tokens at 10/s
  EXPECT_FALSE(limiter.take("t", 10, 5).has_value());
  EXPECT_FALSE(limiter.take("t", 10, 5).has_value());
}

}  // namespace
}  // namespace telepay::gateways::http
