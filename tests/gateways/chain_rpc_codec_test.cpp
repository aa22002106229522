// Goal: JSON-RPC replies are decoded exactly or refused: quantities beyond 64/128 bits, wrong
// ids, error objects (kept with the node's code and message), missing fields, wrong types,
// truncated JSON and junk all become errors, never crashes or partial values. Requests are
// well-formed JSON with the filter shapes execution-apis defines.
// Method: pure functions over hand-written replies shaped like ganache's and geth's.

#include <gtest/gtest.h>
#include <simdjson.h>

#include "gateways/chain/abi.hpp"
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

}  // namespace
}  // namespace telepay::gateways::chain::rpc
