// Goal: the chain gateway's crypto and codecs reproduce an independent implementation byte for
// byte: Keccak-256 around the rate boundary, EIP-55, secp256k1 keys to addresses, RLP, signed
// ERC-20 transfers (legacy EIP-155 and EIP-1559, chain ids 56/97/1337), BIP32 watch-only
// derivation, plus the public EIP-155 example and the reference's BSC payout. Malformed input
// (RLP, transactions, xpubs, keys, quantities) is refused with an error, never a crash.
// Method: pure functions over tests/vectors/*.json (made with ethers 6; never regenerated
// from this code).

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "domain/crypto/keccak.hpp"
#include "gateways/chain/abi.hpp"
#include "gateways/chain/bip32.hpp"
#include "gateways/chain/rlp.hpp"
#include "gateways/chain/transaction.hpp"

namespace telepay::gateways::chain {
namespace {

simdjson::padded_string load(const std::string& name) {
  std::ifstream in(std::string(TELEPAY_TEST_DATA_DIR) + "/vectors/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return simdjson::padded_string(buffer.str());
}

std::string str(simdjson::dom::element e, const char* key) { return std::string(e[key].get_string().value()); }

std::string bytes_of(std::string_view hex) { return parse_data(hex).value(); }

u128 dec(const std::string& text) { return parse_u128(text).value(); }

TEST(ChainVectors, Keccak256AroundTheRateBoundary) {
  simdjson::dom::parser parser;
  auto doc = load("keccak256.json");
  int n = 0;
  for (auto v : parser.parse(doc).get_array()) {
    const auto digest = domain::keccak256(bytes_of(str(v, "input_hex")));
    EXPECT_EQ(to_data(digest), str(v, "keccak256")) << str(v, "input_hex");
    ++n;
  }
  EXPECT_GE(n, 8);
}

TEST(ChainVectors, Eip55AddressesRoundTrip) {
  simdjson::dom::parser parser;
  auto doc = load("eip55.json");
  int n = 0;
  for (auto v : parser.parse(doc).get_array()) {
    auto a = parse_address(str(v, "lower"));
    ASSERT_TRUE(a.has_value()) << str(v, "lower");
    EXPECT_EQ(to_checksummed(*a), str(v, "checksummed"));
    EXPECT_TRUE(parse_address(str(v, "checksummed")).has_value());
    ++n;
  }
  EXPECT_GE(n, 10);
  // The EIP's own examples, and a mixed-case typo refused.
  for (const char* text : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = parse_address(text);
    ASSERT_TRUE(a.has_value()) << text;
    EXPECT_EQ(to_checksummed(*a), text);
  }
  EXPECT_EQ(parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").code(), errc::payout_address_invalid);
  EXPECT_EQ(parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA").code(), errc::payout_address_invalid);
}

TEST(ChainVectors, PrivateKeysGiveTheirPublicKeysAndAddresses) {
  simdjson::dom::parser parser;
  auto doc = load("keys.json");
  int n = 0;
  for (auto v : parser.parse(doc).get_array()) {
    auto key = secret_key::parse(str(v, "private_key"));
    ASSERT_TRUE(key.has_value());
    const public_key pub = public_key_of(*key);
    EXPECT_EQ("0x" + to_hex(std::span<const std::uint8_t>(pub)), str(v, "public_key_uncompressed"));
    EXPECT_EQ(to_checksummed(address_of(*key)), str(v, "address"));
    ++n;
  }
  EXPECT_GE(n, 6);
}

/// Builds the RLP of a vector value (a hex string or a nested array) by parts.
std::string encode_value(simdjson::dom::element e, int depth = 0) {
  EXPECT_LT(depth, 8);
  if (e.is_string()) return rlp::encode_bytes(bytes_of(e.get_string().value()));
  std::string payload;
  for (auto item : e.get_array()) payload += encode_value(item, depth + 1);
  return rlp::encode_list(payload);
}

TEST(ChainVectors, RlpEncodesAndDecodesEveryVector) {
  simdjson::dom::parser parser;
  auto doc = load("rlp.json");
  int n = 0;
  for (auto v : parser.parse(doc).get_array()) {
    const std::string expected = str(v, "rlp");
    EXPECT_EQ(to_data(encode_value(v["value"].value())), expected);
    auto decoded = rlp::decode(bytes_of(expected));
    ASSERT_TRUE(decoded.has_value()) << expected;
    EXPECT_EQ(decoded->is_list(), v["value"].value().is_array());
    ++n;
  }
  EXPECT_GE(n, 9);
  // Long forms: a 56-byte string and a list over 55 bytes get a length of length.
  EXPECT_EQ(to_data(rlp::encode_bytes(std::string(56, 'a'))).substr(0, 6), "0xb838");
  EXPECT_EQ(to_data(rlp::encode_list(std::string(60, '\x01'))).substr(0, 6), "0xf83c");
  EXPECT_EQ(to_data(rlp::encode_uint(u128{0})), "0x80");
  EXPECT_EQ(to_data(rlp::encode_uint(u128{148})), "0x8194");
}

TEST(ChainVectors, RlpRefusesMalformedInput) {
  for (const char* bad : {"0x", "0x81", "0x8100", "0xb800", "0xb83801", "0xc1", "0xc20181", "0xc28100", "0x8180ff",
                          "0xf800", "0xb90000"}) {
    auto r = rlp::decode(bytes_of(bad));
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_EQ(r.code(), errc::invalid_argument);
    }
  }
  std::string deep(40, '\xc1');
  deep.push_back('\x80');
  EXPECT_FALSE(rlp::decode(deep).has_value());
}

TEST(ChainVectors, SignedErc20TransfersMatchByteForByte) {
  simdjson::dom::parser parser;
  auto doc = load("transactions.json");
  int legacy = 0;
  int typed = 0;
  for (auto v : parser.parse(doc).get_array()) {
    auto key = secret_key::parse(str(v, "private_key"));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(to_checksummed(address_of(*key)), str(v, "from"));
    const address token = parse_address(str(v, "to")).value();
    const address recipient = parse_address(str(v, "erc20_recipient")).value();
    const std::string data = abi::transfer_call(recipient, u256::of(dec(str(v, "erc20_amount"))));
    EXPECT_EQ(to_data(data), str(v, "data"));
    const std::uint64_t chain_id = std::stoull(str(v, "chain_id"));
    const auto nonce = v["nonce"].get_uint64().value();
    const auto gas = std::stoull(str(v, "gas_limit"));
    unsigned_tx tx;
    if (v["type"].get_int64().value() == 0) {
      tx = legacy_tx{chain_id, nonce, dec(str(v, "gas_price")), gas, token, dec(str(v, "value")), data};
      ++legacy;
    } else {
      tx = eip1559_tx{chain_id, nonce, dec(str(v, "max_priority_fee_per_gas")), dec(str(v, "max_fee_per_gas")),
                      gas, token, dec(str(v, "value")), data};
      ++typed;
    }
    EXPECT_EQ(to_data(signing_hash(tx)), str(v, "unsigned_hash"));
    const signed_tx s = sign(tx, *key);
    EXPECT_EQ(to_data(s.raw), str(v, "raw_signed"));
    EXPECT_EQ(to_data(s.hash), str(v, "tx_hash"));
    EXPECT_EQ(to_data(s.sig.r), str(v, "r"));
    EXPECT_EQ(to_data(s.sig.s), str(v, "s"));
    EXPECT_EQ(s.sig.recovery_id, v["y_parity"].get_int64().value());
    // Read back: the same fields and the signer recovered from the signature.
    auto back = decode_signed(s.raw);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(to_checksummed(back->from), str(v, "from"));
    EXPECT_EQ(back->hash, s.hash);
    EXPECT_EQ(nonce_of(back->tx), nonce);
    EXPECT_EQ(encode_signed(back->tx, back->sig), s.raw);
    auto args = abi::decode_transfer_call(data);
    ASSERT_TRUE(args.has_value());
    EXPECT_EQ(args->to, recipient);
  }
  EXPECT_GE(legacy, 2);
  EXPECT_GE(typed, 2);
}

TEST(ChainVectors, TheEip155ExampleAndTheBscPayout) {
  std::string hex46;
  for (int i = 0; i < 32; ++i) hex46 += "46";
  const secret_key k46 = secret_key::parse(hex46).value();
  const address to35 = parse_address("0x3535353535353535353535353535353535353535").value();
  legacy_tx example{1, 9, u128{20'000'000'000}, 21000, to35, pow10_u128(18), ""};
  EXPECT_EQ(to_data(signing_payload(example)),
            "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080");
  EXPECT_EQ(to_data(signing_hash(example)), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  const signed_tx s = sign(example, k46);
  EXPECT_EQ(to_data(s.raw),
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd9"
            "39bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b"
            "297fb1966a3b6d83");
  EXPECT_EQ(to_checksummed(address_of(k46)), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  EXPECT_EQ(to_data(s.hash), "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
  // Chain id 56: v = 148 needs two RLP bytes (0x81 0x94).
  example.chain_id = 56;
  EXPECT_EQ(to_data(sign(example, k46).raw),
            "0xf86d098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000808194a007764d8e7d"
            "4ce45afb36cb2f5bec741f96eee3b8f23304e4d35b0f389912e7f7a047c14849f32c33c269dec152d168ddeca152fec8ceeb73"
            "69177ff3a06dc72c48");
  // The reference's type-2 USDT payout on BSC.
  const address usdt = parse_address("0x55d398326f99059fF775485246999027B3197955").value();
  eip1559_tx payout{56, 9, u128{1'000'000'000}, u128{3'000'000'000}, 60000, usdt, 0,
                    abi::transfer_call(to35, u256::of(25 * pow10_u128(18)))};
  const signed_tx p = sign(payout, k46);
  EXPECT_EQ(to_data(p.raw),
            "0x02f8af3809843b9aca0084b2d05e0082ea609455d398326f99059ff775485246999027b319795580b844a9059cbb00000000"
            "000000000000000035353535353535353535353535353535353535350000000000000000000000000000000000000000000000"
            "015af1d78b58c40000c001a062e83b5a12b33b703f2fc86bccc70f9bf2da5a6f6a0ff609bf206769a06f1f49a049f633d32844"
            "f7fd7ad4de36c2ef713703c5101d60ba1f7841eef91b57b5b912");
  EXPECT_EQ(to_data(p.hash), "0x20744999ce7f0d81b948772b688f416b72c5b9390a73f350414e25c45ee7e94f");
}

TEST(ChainVectors, Bip32WatchOnlyChildrenMatch) {
  simdjson::dom::parser parser;
  auto doc = load("bip32.json");
  auto root = parser.parse(doc).value();
  auto account = parse_xpub(str(root, "account_xpub"));
  ASSERT_TRUE(account.has_value()) << account.error().message;
  EXPECT_EQ(account->depth, 4);
  int n = 0;
  for (auto c : root["children"].get_array()) {
    const auto index = static_cast<std::uint32_t>(c["index"].get_int64().value());
    auto child = derive_child(*account, index);
    ASSERT_TRUE(child.has_value());
    EXPECT_EQ(to_checksummed(address_of(*child)), str(c, "address")) << index;
    ++n;
  }
  EXPECT_EQ(n, 8);
  // Deposit addresses: two levels below the account, deterministic per user id.
  EXPECT_EQ(deposit_path_of(5).high, 0u);
  EXPECT_EQ(deposit_path_of(5).low, 5u);
  EXPECT_EQ(deposit_path_of(7'000'000'000).high, 3u);
  EXPECT_EQ(deposit_path_of(7'000'000'000).low, std::uint64_t{7'000'000'000} - 3 * (std::uint64_t{1} << 31));
  auto a = deposit_address(*account, 5);
  auto branch = derive_child(*account, 0).value();
  EXPECT_EQ(a.value(), address_of(derive_child(branch, 5).value()));
  EXPECT_NE(deposit_address(*account, 6).value(), a.value());
  EXPECT_EQ(deposit_address(*account, 0).code(), errc::user_id_invalid);
}

TEST(ChainVectors, MalformedKeysXpubsAndTransactionsAreRefused) {
  EXPECT_FALSE(secret_key::parse("").has_value());
  EXPECT_FALSE(secret_key::parse(std::string(64, '0')).has_value());  // zero
  EXPECT_FALSE(secret_key::parse(std::string(64, 'f')).has_value());  // above the order
  EXPECT_FALSE(secret_key::parse(std::string(63, '1')).has_value());
  EXPECT_TRUE(secret_key::parse("  0x" + std::string(64, '1') + "\n").has_value());
  auto refused = secret_key::parse("0xzz" + std::string(62, '1'));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message.find("zz"), std::string::npos);  // never echoes key material

  const std::string xpub =
      "xpub6F6pNxoNoTs7PYpRxv3PqWtYUaVyVpjRjvzkbpNKmg8hHAEBCpqWj2Aoy31TpY4Pw7CJA5U3mHEHszHrEAi9QG6tgfGVcFeexBacF1D2SVC";
  std::string flipped = xpub;
  flipped[20] = flipped[20] == 'a' ? 'b' : 'a';
  EXPECT_EQ(parse_xpub(flipped).code(), errc::invalid_argument);
  EXPECT_EQ(parse_xpub("xpub0OIl").code(), errc::invalid_argument);
  EXPECT_EQ(parse_xpub(xpub.substr(0, 100)).code(), errc::invalid_argument);
  // An xprv (BIP32 test vector 1's master private key) is refused by name.
  auto xprv = parse_xpub(
      "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi");
  ASSERT_FALSE(xprv.has_value());
  EXPECT_NE(xprv.error().message.find("xprv"), std::string::npos);
  EXPECT_EQ(derive_child(parse_xpub(xpub).value(), 0x80000000u).code(), errc::invalid_argument);

  for (const char* raw : {"0x", "0x01", "0x03c0", "0xc0", "0x02c0", "0xf86c0985", "0xc9808080808080808080"}) {
    EXPECT_FALSE(decode_signed(bytes_of(raw)).has_value()) << raw;
  }
}

TEST(ChainPrimitives, QuantitiesAndWordsAreExact) {
  EXPECT_EQ(to_quantity(std::uint64_t{0}), "0x0");
  EXPECT_EQ(to_quantity(std::uint64_t{255}), "0xff");
  EXPECT_EQ(parse_quantity_u64("0x1b4").value(), 436u);
  EXPECT_EQ(parse_quantity_u64("0x00ff").value(), 255u);  // leading zeros tolerated on input
  for (const char* bad : {"", "0x", "1b4", "0xg1", "0x" "11111111111111111111111111111111111111111111111111111111111111111"}) {
    EXPECT_FALSE(parse_quantity(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_quantity_u64("0x10000000000000000").has_value());
  const u256 max = parse_quantity("0x" + std::string(64, 'f')).value();
  EXPECT_EQ(to_decimal(max), "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_EQ(max.narrow().code(), errc::amount_overflow);
  EXPECT_EQ(from_word(to_word(max).data()), max);
  EXPECT_EQ(u256::of(42).narrow().value(), u128{42});
  EXPECT_EQ(to_data(abi::transfer_topic()), "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  EXPECT_EQ(to_data(abi::decimals_call()), "0x313ce567");
  EXPECT_EQ(to_data(abi::balance_of_call(address{})).substr(0, 10), "0x70a08231");
  EXPECT_FALSE(abi::decode_uint(std::string(31, '\0')).has_value());
}

}  // namespace
}  // namespace telepay::gateways::chain
