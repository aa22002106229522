// Goal: outbound webhook signatures are the documented HMAC-SHA256 over "<t>.<body>" and the
// per-endpoint secret the documented derivation (known answers computed with Python's hmac).

#include <gtest/gtest.h>

#include "gateways/webhooks/signing.hpp"

namespace telepay::gateways::webhooks {
namespace {

TEST(WebhookSigning, KnownAnswers) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string secret = secret_for(key, "wh_abc");
  EXPECT_EQ(secret, "whsec_c838a7c246605da37c31ea35cd3813b1accd53d731a4b78b8e685a953417e691");
  EXPECT_EQ(signature_header(secret, 1'700'000'000, R"({"a":1})"),
            "t=1700000000,v1=6b8bfff455cea7855441fb7a1801299301cb355dbc69d908bab72ee9f3840cc0");
  EXPECT_NE(secret_for(key, "wh_abd"), secret) << "each endpoint has its own secret";
  EXPECT_NE(signature_header(secret, 1'700'000'001, R"({"a":1})"), signature_header(secret, 1'700'000'000, R"({"a":1})"))
      << "the timestamp is inside the MAC";
}

}  // namespace
}  // namespace telepay::gateways::webhooks
