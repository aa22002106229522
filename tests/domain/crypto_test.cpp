// Goal: Keccak-256 and EIP-55 reproduce an independent implementation byte for byte.
// Method: every vector in tests/vectors/{keccak256,eip55}.json (copied from the shared
// known-answer vectors, made with ethers 6), plus the examples in the EIP-55 text.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "domain/base/bytes.hpp"
#include "domain/codec/json.hpp"
#include "domain/crypto/eip55.hpp"
#include "domain/crypto/keccak.hpp"

namespace telepay::domain {
namespace {

std::string read_vectors(const std::string& name) {
  std::ifstream in(std::string(TELEPAY_TEST_DATA_DIR) + "/vectors/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string hex_of(const keccak_digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::uint8_t b : d) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string bytes_of(std::string_view hex) {
  std::string out;
  for (std::size_t i = 2; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(Keccak256, ReproducesEveryVector) {
  auto document = json_document::parse(read_vectors("keccak256.json"));
  ASSERT_TRUE(document.has_value());
  auto cases = document->root().elements();
  ASSERT_TRUE(cases.has_value());
  ASSERT_GE(cases->size(), 8u);
  for (const json_value& c : *cases) {
    const std::string input = *c.str("input_hex");
    EXPECT_EQ(hex_of(keccak256(bytes_of(input))), *c.str("keccak256")) << input;
  }
}

TEST(Keccak256, IsNotSha3) {
  EXPECT_EQ(hex_of(keccak256("")),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Eip55, ReproducesEveryVector) {
  auto document = json_document::parse(read_vectors("eip55.json"));
  ASSERT_TRUE(document.has_value());
  auto cases = document->root().elements();
  ASSERT_TRUE(cases.has_value());
  ASSERT_GE(cases->size(), 10u);
  for (const json_value& c : *cases) {
    EXPECT_EQ(*eip55_checksum(*c.str("lower")), *c.str("checksummed"));
    EXPECT_EQ(*parse_evm_address(*c.str("checksummed")), *c.str("checksummed"));
  }
}

TEST(Eip55, TheSpecificationExamples) {
  for (const char* a : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    EXPECT_EQ(*eip55_checksum(a), a);
  }
}

TEST(EvmAddress, RefusesBadChecksumsAndShapes) {
  // One letter's case flipped breaks the checksum.
  EXPECT_EQ(parse_evm_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").error().code,
            errc::payout_address_invalid);
  // All lower or all upper case carry no checksum and are accepted.
  EXPECT_EQ(*parse_evm_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  for (const char* bad : {"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                          "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
                          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd",
                          "0xGaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}) {
    EXPECT_FALSE(parse_evm_address(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace telepay::domain
