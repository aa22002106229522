// Fuzzes the JSON-RPC reply decoders of the chain gateway (gateways/chain/rpc_codec.hpp): every
// decoder reads every input, as a node (or whoever answers in its place) controls the body.
// Request id 1 is the id the seeds answer; byte 0 of the input varies a second id.
//
// Properties beyond "no crash": decoded block numbers (eth_blockNumber, headers, logs,
// receipts) are within block_number_max (bounds.hpp), so no later `n + window` can wrap; a block
// decoded for a height is at that height; the deposit matcher accepts whatever logs decode.
//
// fuzz-dict: json

#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/rpc_codec.hpp"
#include "gateways/chain/watcher.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::chain;

namespace {

void decode_all(std::string_view body, std::uint64_t id) {
  if (auto q = rpc::decode_quantity(body, id); !q) {
    (void)rpc::lower_message(q.error());  // how the sender classifies a node's refusal
  }
  (void)rpc::decode_quantity_u64(body, id);
  if (auto n = rpc::decode_block_number(body, id)) {
    TELEPAY_FUZZ_CHECK(*n <= block_number_max, std::to_string(*n));
  }
  if (auto b = rpc::decode_block(body, id); b && *b) {
    TELEPAY_FUZZ_CHECK((*b)->number <= block_number_max, std::to_string((*b)->number));
    auto at = rpc::decode_block_at(body, id, (*b)->number);
    TELEPAY_FUZZ_CHECK(at.has_value() && *at && (*at)->number == (*b)->number, std::to_string((*b)->number));
  }
  if (auto b = rpc::decode_block_at(body, id, 4242); b && *b) {
    TELEPAY_FUZZ_CHECK((*b)->number == 4242, std::to_string((*b)->number));
  }
  if (auto logs = rpc::decode_logs(body, id)) {
    for (const rpc::log_entry& log : *logs) {
      TELEPAY_FUZZ_CHECK(log.block_number <= block_number_max, std::to_string(log.block_number));
    }
    deposit_matcher matcher;
    for (const rpc::log_entry& log : *logs) {
      if (log.topics.size() > 2) {
        if (auto to = abi::word_address(log.topics[2])) matcher.add(*to, 42);
      }
      matcher.add(log.contract, 43);
    }
    std::vector<deposit_miss> misses;
    for (const rpc::log_entry& log : *logs) {
      (void)matcher.match(*logs, log.contract, &misses);
    }
  }
  if (auto r = rpc::decode_receipt(body, id); r && *r) {
    TELEPAY_FUZZ_CHECK((*r)->block_number <= block_number_max, std::to_string((*r)->block_number));
  }
  if (auto d = rpc::decode_data(body, id)) {
    (void)abi::decode_uint(*d);
    (void)abi::decode_transfer_call(*d);
  }
  (void)rpc::decode_hash(body, id);
  (void)rpc::decode_fee_history(body, id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  decode_all(body, 1);
  if (size > 0 && data[0] != '{') {
    decode_all(body.substr(1), data[0]);
  }
  return 0;
}
