// Goal: JSON-RPC replies are decoded exactly or refused: quantities beyond 64/128 bits, wrong
// ids, error objects (kept with the node's code and message), missing fields, wrong types,
// truncated JSON and junk all become errors, never crashes or partial values. Requests are
// well-formed JSON with the filter shapes execution-apis defines. What the node controls is
// bounded: block numbers (at most 2^62, and a block asked for by number must be that block),
// gas estimates, fees and nonce jumps saturate or are refused instead of wrapping, and echoed
// node texts stay UTF-8. Transaction bodies (who holds a nonce) decode only when they name the
// block they came in, and the search for the block that used a nonce finds it, or nothing when
// the counts cannot be true.
// Method: pure functions over hand-written replies shaped like ganache's and geth's.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <limits>

#include "domain/base/json.hpp"
#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/nonce_search.hpp"
#include "gateways/chain/rpc_codec.hpp"

namespace telepay::gateways::chain::rpc {
namespace {

const std::string hash_a = "0x" + std::string(64, 'a');
const std::string hash_b = "0x" + std::string(64, 'b');

std::string reply(const std::string& result, int id = 7) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result + "}";
}

std::string log_json(const std::string& extra = "") {
  return R"({"address":"0x55d398326f99059ff775485246999027b3197955","topics":[")" +
         to_data(abi::transfer_topic()) + R"(","0x000000000000000000000000)" + std::string(40, '1') +
         R"(","0x000000000000000000000000)" + std::string(40, '2') +
         R"("],"data":"0x00000000000000000000000000000000000000000000000ad78ebc5ac6200000","blockNumber":"0x10",)"
         R"("blockHash":")" + hash_a + R"(","transactionHash":")" + hash_b +
         R"(","logIndex":"0x3","transactionIndex":"0x0","removed":false)" + extra + "}";
}

TEST(ChainRpcCodec, RequestsAreJson) {
  const std::string r = request(3, "eth_getLogs",
                                transfer_logs_filter(parse_address("0x55d398326f99059fF775485246999027B3197955").value(),
                                                     16, 31, {address{}}));
  simdjson::dom::parser parser;
  auto doc = parser.parse(r);
  ASSERT_EQ(doc.error(), simdjson::SUCCESS) << r;
  EXPECT_EQ(std::string(doc["params"].at(0)["fromBlock"].get_string().value()), "0x10");
  EXPECT_EQ(std::string(doc["params"].at(0)["toBlock"].get_string().value()), "0x1f");
  EXPECT_EQ(doc["params"].at(0)["topics"].get_array().size(), 3u);
  EXPECT_TRUE(doc["params"].at(0)["topics"].at(1).is_null());
}

TEST(ChainRpcCodec, DecodesQuantitiesBlocksLogsAndReceipts) {
  EXPECT_EQ(decode_quantity_u64(reply("\"0x38\""), 7).value(), 56u);
  const auto block = decode_block(reply(R"({"number":"0x10","hash":")" + hash_a + R"(","parentHash":")" + hash_b +
                                        R"(","timestamp":"0x6553f100","baseFeePerGas":"0x3b9aca00","transactions":[]})"),
                                  7);
  ASSERT_TRUE(block.has_value()) << block.error().message;
  ASSERT_TRUE(block->has_value());
  EXPECT_EQ((*block)->number, 16u);
  EXPECT_EQ(to_data((*block)->hash), hash_a);
  EXPECT_EQ((*block)->base_fee_per_gas, u128{1'000'000'000});
  EXPECT_FALSE(decode_block(reply("null"), 7).value().has_value());

  auto logs = decode_logs(reply("[" + log_json() + "," + log_json() + "]"), 7);
  ASSERT_TRUE(logs.has_value()) << logs.error().message;
  ASSERT_EQ(logs->size(), 2u);
  const log_entry& l = (*logs)[0];
  EXPECT_EQ(l.topics.size(), 3u);
  EXPECT_EQ(l.block_number, 16u);
  EXPECT_EQ(l.log_index, 3u);
  EXPECT_EQ(from_word(reinterpret_cast<const std::uint8_t*>(l.data.data())).low, 200 * pow10_u128(18));
  EXPECT_EQ(decode_logs(reply("[]"), 7).value().size(), 0u);

  auto mined = decode_receipt(reply(R"({"transactionHash":")" + hash_b + R"(","blockNumber":"0x11","blockHash":")" +
                                    hash_a + R"(","status":"0x1","gasUsed":"0xcf08","effectiveGasPrice":"0x4a817c800"})"),
                              7);
  ASSERT_TRUE(mined.has_value()) << mined.error().message;
  ASSERT_TRUE(mined->has_value());
  EXPECT_TRUE((*mined)->success);
  EXPECT_EQ((*mined)->gas_used, 0xcf08u);
  EXPECT_EQ((*mined)->effective_gas_price, u128{20'000'000'000});
  EXPECT_FALSE(decode_receipt(reply("null"), 7).value().has_value());

  EXPECT_EQ(decode_data(reply("\"0x0000000000000000000000000000000000000000000000000000000000000012\""), 7)->size(), 32u);
  EXPECT_EQ(to_data(decode_hash(reply("\"" + hash_b + "\""), 7).value()), hash_b);
  auto fees = decode_fee_history(
      reply(R"({"oldestBlock":"0x10","baseFeePerGas":["0x0","0x0"],"gasUsedRatio":[0.5],"reward":[["0x3b9aca00"]]})"), 7);
  ASSERT_TRUE(fees.has_value()) << fees.error().message;
  EXPECT_EQ(fees->reward.at(0).at(0), u128{1'000'000'000});
}

TEST(ChainRpcCodec, NodeErrorsKeepTheirCodeAndMessage) {
  auto r = decode_hash(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"nonce too low"}})", 7);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.code(), errc::chain_rpc_failed);
  EXPECT_NE(lower_message(r.error()).find("nonce too low"), std::string::npos);
  EXPECT_NE(r.error().message.find("-32000"), std::string::npos);
}

TEST(ChainRpcCodec, MalformedRepliesAreErrorsNeverCrashes) {
  const std::vector<std::string> bodies = {
      "",
      "not json",
      "{",
      "[]",
      R"({"jsonrpc":"2.0","id":8,"result":"0x1"})",                    // another request's id
      R"({"jsonrpc":"2.0","result":"0x1"})",                           // no id
      R"({"jsonrpc":"2.0","id":7})",                                   // no result
      reply("1"),                                                      // a number, not a quantity
      reply("\"0x\""),
      reply("\"12\""),
      reply("\"0x1" + std::string(64, '0') + "\""),                    // beyond 256 bits
      reply("{}"),
      reply("[{}]"),
      reply("[" + log_json(R"(,"extra":1)").substr(0, 60) + "]"),
      reply(R"({"number":"0x10","hash":"0x12","parentHash":")" + hash_b + R"(","timestamp":"0x1"})"),
      reply(R"({"transactionHash":")" + hash_b + R"(","blockNumber":"0x11","blockHash":")" + hash_a +
            R"(","status":"0x2","gasUsed":"0x1"})"),
      "\xff\xfe\x00",
  };
  for (const auto& body : bodies) {
    EXPECT_FALSE(decode_quantity_u64(body, 7).has_value()) << body;
    EXPECT_FALSE(decode_logs(body, 7).has_value()) << body;
    EXPECT_FALSE(decode_block(body, 7).has_value()) << body;
    EXPECT_FALSE(decode_hash(body, 7).has_value()) << body;
  }
  // Logs with a bad field anywhere are refused whole.
  std::string bad_topic = log_json();
  bad_topic.replace(bad_topic.find("0xddf2"), 6, "0xzzf2");
  EXPECT_EQ(decode_logs(reply("[" + bad_topic + "]"), 7).code(), errc::chain_reply_malformed);
  std::string bad_removed = log_json();
  bad_removed.replace(bad_removed.find("false"), 5, "\"no\"");
  EXPECT_EQ(decode_logs(reply("[" + bad_removed + "]"), 7).code(), errc::chain_reply_malformed);
  EXPECT_EQ(decode_quantity_u64(reply("\"0x10000000000000000\""), 7).code(), errc::chain_reply_malformed);
}


/// The code of a refused result; nullopt when it holds a value (so a wrong answer fails the
/// expectation instead of trapping in code()).
template <class T>
std::optional<errc> refusal(const result<T>& r) {
  return r ? std::nullopt : std::optional<errc>(r.code());
}

std::string block_json(const std::string& number) {
  return R"({"number":")" + number + R"(","hash":")" + hash_a + R"(","parentHash":")" + hash_b +
         R"(","timestamp":"0x6553f100","transactions":[]})";
}

TEST(ChainRpcCodec, RefusesBlockNumbersAboveTwoToThe62) {
  EXPECT_EQ(decode_block_number(reply("\"0x4000000000000000\""), 7).value(), block_number_max);
  EXPECT_EQ(refusal(decode_block_number(reply("\"0x4000000000000001\""), 7)), errc::chain_reply_malformed);
  EXPECT_EQ(refusal(decode_block_number(reply("\"0xffffffffffffffff\""), 7)), errc::chain_reply_malformed);
  EXPECT_EQ(decode_block(reply(block_json("0x4000000000000000")), 7).value()->number, block_number_max);
  EXPECT_EQ(refusal(decode_block(reply(block_json("0xffffffffffffffff")), 7)), errc::chain_reply_malformed);
  std::string far_log = log_json();
  far_log.replace(far_log.find("\"0x10\""), 6, "\"0xfffffffffffffff0\"");
  EXPECT_EQ(refusal(decode_logs(reply("[" + far_log + "]"), 7)), errc::chain_reply_malformed);
  const std::string far_receipt = R"({"transactionHash":")" + hash_b + R"(","blockNumber":"0xffffffffffffffff",)"
                                  R"("blockHash":")" + hash_a + R"(","status":"0x1","gasUsed":"0x1"})";
  EXPECT_EQ(refusal(decode_receipt(reply(far_receipt), 7)), errc::chain_reply_malformed);
}

TEST(ChainRpcCodec, ABlockAskedForByNumberMustCarryThatNumber) {
  auto same = decode_block_at(reply(block_json("0x10")), 7, 16);
  ASSERT_TRUE(same.has_value()) << same.error().message;
  EXPECT_EQ((*same)->number, 16u);
  auto other = decode_block_at(reply(block_json("0x11")), 7, 16);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.code(), errc::chain_reply_malformed);
  EXPECT_NE(other.error().message.find("17"), std::string::npos) << other.error().message;
  EXPECT_FALSE(decode_block_at(reply("null"), 7, 16).value().has_value());  // not produced yet
}

std::string transaction_json(const std::string& block_number, const std::string& block_hash,
                             const std::string& nonce = "0x5") {
  return R"({"hash":")" + hash_b + R"(","from":"0xd90801ea5f71582783ef3db9428207bef77dbd70","nonce":")" + nonce +
         R"(","blockNumber":)" + block_number + R"(,"blockHash":)" + block_hash +
         R"(,"to":"0x55d398326f99059ff775485246999027b3197955","input":"0x","type":"0x0"})";
}

TEST(ChainRpcCodec, TransactionBodiesNameTheirSenderNonceAndBlock) {
  auto mined = decode_transaction(reply(transaction_json("\"0x10\"", "\"" + hash_a + "\"")), 7);
  ASSERT_TRUE(mined.has_value()) << mined.error().message;
  ASSERT_TRUE(mined->has_value());
  EXPECT_EQ(to_data((*mined)->hash), hash_b);
  EXPECT_EQ(to_lower_hex((*mined)->from), "0xd90801ea5f71582783ef3db9428207bef77dbd70");
  EXPECT_EQ((*mined)->nonce, 5u);
  EXPECT_EQ((*mined)->block_number, std::optional<std::uint64_t>(16));
  auto pending = decode_transaction(reply(transaction_json("null", "null")), 7);
  ASSERT_TRUE(pending.has_value()) << pending.error().message;
  EXPECT_FALSE((*pending)->block_number.has_value());
  EXPECT_FALSE(decode_transaction(reply("null"), 7).value().has_value());
  EXPECT_EQ(refusal(decode_transaction(reply(transaction_json("\"0x10\"", "\"0x12\"")), 7)),
            errc::chain_reply_malformed);
  EXPECT_EQ(refusal(decode_transaction(reply(R"({"hash":")" + hash_b + R"(","nonce":"0x1"})"), 7)),
            errc::chain_reply_malformed)
      << "no sender";
  // A block with bodies: each must name that block.
  const std::string body = R"({"number":"0x10","hash":")" + hash_a + R"(","parentHash":")" + hash_b +
                           R"(","timestamp":"0x6553f100","transactions":[)";
  const auto block_with = [&](const std::string& transactions, std::uint64_t asked) {
    return decode_block_body_at(reply(body + transactions + "]}"), 7, asked);
  };
  const std::string in_16 = transaction_json("\"0x10\"", "\"" + hash_a + "\"");
  auto block = block_with(in_16, 16);
  ASSERT_TRUE(block.has_value()) << block.error().message;
  ASSERT_EQ((*block)->transactions.size(), 1u);
  EXPECT_EQ((*block)->transactions[0].nonce, 5u);
  EXPECT_EQ((*block)->header.number, 16u);
  EXPECT_EQ(refusal(block_with(transaction_json("\"0x11\"", "\"" + hash_a + "\""), 16)), errc::chain_reply_malformed)
      << "a body of another block";
  EXPECT_EQ(refusal(block_with(transaction_json("\"0x10\"", "\"" + hash_b + "\""), 16)), errc::chain_reply_malformed)
      << "a body of another block hash";
  EXPECT_EQ(refusal(block_with("\"" + hash_b + "\"", 16)), errc::chain_reply_malformed)
      << "hashes where bodies were asked for";
  EXPECT_EQ(refusal(block_with(in_16, 17)), errc::chain_reply_malformed) << "another height";
  EXPECT_FALSE(decode_block_body_at(reply("null"), 7, 16).value().has_value());
}

TEST(ChainNonceSearch, FindsTheBlockThatUsedTheNonceOrNothing) {
  // An account whose nonce is 0 up to block 99, 3 after block 100 (nonces 0..2 in it), 4 after 150.
  const auto count = [](std::uint64_t block) -> std::optional<std::uint64_t> {
    return block < 100 ? 0 : (block < 150 ? 3 : 4);
  };
  EXPECT_EQ(block_using_nonce(0, 1'000'000, count), std::optional<std::uint64_t>(100));
  EXPECT_EQ(block_using_nonce(2, 160, count), std::optional<std::uint64_t>(100));
  EXPECT_EQ(block_using_nonce(3, 160, count), std::optional<std::uint64_t>(150));
  EXPECT_EQ(block_using_nonce(3, 150, count), std::optional<std::uint64_t>(150));
  EXPECT_FALSE(block_using_nonce(4, 1'000'000, count).has_value()) << "not used yet";
  EXPECT_FALSE(block_using_nonce(3, 149, count).has_value()) << "not used at or below the top";
  // A node that says the nonce is past at every block (genesis included) proves nothing.
  const auto lying = [](std::uint64_t) -> std::optional<std::uint64_t> { return 5; };
  EXPECT_FALSE(block_using_nonce(0, 1'000'000, lying).has_value());
  EXPECT_FALSE(block_using_nonce(0, 0, lying).has_value());
  // A read that fails ends the search; so does a node that answers forever (bounded reads).
  const auto failing = [](std::uint64_t block) -> std::optional<std::uint64_t> {
    if (block == 1'000'000) return 1;
    return std::nullopt;
  };
  EXPECT_FALSE(block_using_nonce(0, 1'000'000, failing).has_value());
  unsigned reads = 0;
  const auto counted = [&](std::uint64_t block) -> std::optional<std::uint64_t> {
    ++reads;
    return block == 0 ? 0 : 1;
  };
  EXPECT_EQ(block_using_nonce(0, block_number_max, counted), std::optional<std::uint64_t>(1));
  EXPECT_LE(reads, nonce_search_reads_max);
}

TEST(ChainRpcCodec, EchoedNodeTextsStayUtf8) {
  // The node's message is cut at 300 bytes and a log address at 50; each cut lands in a letter.
  const std::string message = std::string(299, 'm') + "\xc3\xa9";
  auto failed = decode_hash(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":")" + message + R"("}})", 7);
  ASSERT_FALSE(failed.has_value());
  EXPECT_TRUE(is_valid_utf8(failed.error().message));
  std::string odd_address = log_json();
  odd_address.replace(odd_address.find("0x55d3"), 42, std::string(49, 'q') + "\xc3\xa9");
  auto logs = decode_logs(reply("[" + odd_address + "]"), 7);
  ASSERT_FALSE(logs.has_value());
  EXPECT_TRUE(is_valid_utf8(logs.error().message)) << logs.error().message;
  auto quantity = parse_quantity(std::string(79, 'z') + "\xc3\xa9");
  ASSERT_FALSE(quantity.has_value());
  EXPECT_TRUE(is_valid_utf8(quantity.error().message));
}

TEST(ChainBounds, ScanWindowsSaturateInsteadOfWrapping) {
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(scan_range_end(100, 500, 1'000), 599u);
  EXPECT_EQ(scan_range_end(900, 500, 1'000), 1'000u);
  EXPECT_EQ(scan_range_end(top - 10, 500, top), top);  // would wrap to 488
  EXPECT_EQ(scan_range_end(5, top, 1'000), 1'000u);
  EXPECT_EQ(halved_window(100, 599), 250u);
  EXPECT_EQ(halved_window(7, 7), 1u);
  EXPECT_EQ(halved_window(8, 7), 1u);  // would wrap to 2^63
  EXPECT_EQ(halved_window(0, top), std::uint64_t{1} << 63);
}

TEST(ChainBounds, GasEstimatesAboveTheCapHoldTheSend) {
  EXPECT_EQ(gas_limit_for(50'000).value(), 61'000u);
  EXPECT_EQ(gas_limit_for(gas_estimate_max).value(), gas_estimate_max + gas_estimate_max / 5 + 1'000);
  for (std::uint64_t bad : {gas_estimate_max + 1, std::uint64_t{0xd555555555555555}, ~std::uint64_t{0}}) {
    auto limit = gas_limit_for(bad);  // 0xd555... + 20% wraps to a tiny limit
    ASSERT_FALSE(limit.has_value()) << bad;
    EXPECT_EQ(limit.code(), errc::chain_reply_malformed);
    EXPECT_NE(limit.error().message.find("eth_estimateGas"), std::string::npos) << limit.error().message;
  }
}

TEST(ChainBounds, FeesSaturateAtTheCap) {
  const u128 gwei = 1'000'000'000;
  EXPECT_EQ(type2_fee_cap(3 * gwei, gwei, 2 * gwei, 20 * gwei), 7 * gwei);
  EXPECT_EQ(type2_fee_cap(3 * gwei, gwei, 9 * gwei, 20 * gwei), 9 * gwei);
  EXPECT_EQ(type2_fee_cap(30 * gwei, gwei, 2 * gwei, 20 * gwei), 20 * gwei);
  EXPECT_EQ(type2_fee_cap(u128_max / 2 + 1, gwei, 2 * gwei, 20 * gwei), 20 * gwei);  // 2x wraps to 0
  EXPECT_EQ(type2_fee_cap(u128_max / 2, u128_max, 2 * gwei, 20 * gwei), 20 * gwei);   // + tip wraps
  EXPECT_EQ(gas_cost(61'000, 20 * gwei).value(), u128{61'000} * 20 * gwei);
  EXPECT_FALSE(gas_cost(~std::uint64_t{0}, u128_max / 2).has_value());
  EXPECT_TRUE(gas_cost(gas_estimate_max * 2, fee_per_gas_max).has_value());
}

TEST(ChainBounds, NonceJumpsAreBounded) {
  EXPECT_TRUE(nonce_jump_acceptable(5, 6));
  EXPECT_TRUE(nonce_jump_acceptable(5, 5 + nonce_jump_max));
  EXPECT_FALSE(nonce_jump_acceptable(5, 6 + nonce_jump_max));
  EXPECT_FALSE(nonce_jump_acceptable(0, ~std::uint64_t{0}));  // would wrap the next nonce
  EXPECT_TRUE(nonce_jump_acceptable(7, 7));
  EXPECT_TRUE(nonce_jump_acceptable(7, 3));  // behind: not a jump (the ledger keeps its own)
}

}  // namespace
}  // namespace telepay::gateways::chain::rpc
