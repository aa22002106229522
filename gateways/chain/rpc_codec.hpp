#pragma once
/// Ethereum JSON-RPC wire formats (execution-apis): requests as text, replies decoded strictly
/// into typed values. A reply that is not valid JSON, has another id, lacks `result`, or holds
/// a value of the wrong shape is chain_reply_malformed; an `error` object is chain_rpc_failed
/// with the node's code and message. Never a crash, never a partial value. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"

namespace telepay::gateways::chain::rpc {

/// {"jsonrpc":"2.0","id":ID,"method":METHOD,"params":PARAMS} (`params_json` is a JSON array).
std::string request(std::uint64_t id, std::string_view method, std::string_view params_json);

/// A block tag or number: "latest", "finalized", "safe", "earliest", "pending", or "0x..".
std::string block_ref(std::uint64_t number);

struct block_header {
  std::uint64_t number = 0;
  hash256 hash{};
  hash256 parent_hash{};
  std::uint64_t timestamp = 0;
  u128 base_fee_per_gas = 0;  // 0 when the block has none (pre-London, or BSC)
  std::vector<hash256> transactions;  // the hashes, when the block was asked for without bodies
};

struct log_entry {
  address contract;
  std::vector<hash256> topics;
  std::string data;  // bytes
  std::uint64_t block_number = 0;
  hash256 block_hash{};
  hash256 transaction_hash{};
  std::uint64_t log_index = 0;
  bool removed = false;
};

struct receipt {
  hash256 transaction_hash{};
  std::uint64_t block_number = 0;
  hash256 block_hash{};
  bool success = false;  // status 1
  std::uint64_t gas_used = 0;
  u128 effective_gas_price = 0;
};

/// The parts of a transaction object (eth_getTransactionByHash, a block's bodies) the sender
/// needs to know who holds a nonce.
struct transaction_ref {
  hash256 hash{};
  address from;
  std::uint64_t nonce = 0;
  std::optional<std::uint64_t> block_number;  // none while pending
  std::optional<hash256> block_hash;
};

/// A block asked for with its transaction bodies.
struct block_body {
  block_header header;  // header.transactions stays empty
  std::vector<transaction_ref> transactions;
};

struct fee_history {
  std::uint64_t oldest_block = 0;
  std::vector<u128> base_fee_per_gas;
  std::vector<std::vector<u128>> reward;  // per block, per requested percentile
};

/// The node's error object, when a reply carries one.
struct node_error {
  std::int64_t code = 0;
  std::string message;
};

/// Decoders: `body` is the whole HTTP body; `id` the request id it must answer.
result<u256> decode_quantity(std::string_view body, std::uint64_t id);
result<std::uint64_t> decode_quantity_u64(std::string_view body, std::uint64_t id);
/// eth_blockNumber. Errors as decode_quantity_u64, and chain_reply_malformed above
/// block_number_max (bounds.hpp): the watcher adds windows to it.
result<std::uint64_t> decode_block_number(std::string_view body, std::uint64_t id);
/// null (an unknown block) is nullopt. Block numbers above block_number_max are malformed (as
/// in logs and receipts).
result<std::optional<block_header>> decode_block(std::string_view body, std::uint64_t id);
/// eth_getBlockByNumber(number): as decode_block, and a block whose number is not `number` is
/// malformed (a node answering for another height would defeat the reorg checks).
result<std::optional<block_header>> decode_block_at(std::string_view body, std::uint64_t id, std::uint64_t number);
/// eth_getBlockByNumber(number, true): as decode_block_at, with every body's hash, sender and
/// nonce; a body that names another block is malformed.
result<std::optional<block_body>> decode_block_body_at(std::string_view body, std::uint64_t id, std::uint64_t number);
/// eth_getTransactionByHash: null (unknown) is nullopt.
result<std::optional<transaction_ref>> decode_transaction(std::string_view body, std::uint64_t id);
result<std::vector<log_entry>> decode_logs(std::string_view body, std::uint64_t id);
/// null (not mined yet) is nullopt.
result<std::optional<receipt>> decode_receipt(std::string_view body, std::uint64_t id);
/// eth_call's return data (bytes).
result<std::string> decode_data(std::string_view body, std::uint64_t id);
/// eth_sendRawTransaction's transaction hash.
result<hash256> decode_hash(std::string_view body, std::uint64_t id);
result<fee_history> decode_fee_history(std::string_view body, std::uint64_t id);

/// The node error of a chain_rpc_failed result's message ("rpc error CODE: MESSAGE"); used to
/// classify send failures ("nonce too low", "already known", ...).
std::string lower_message(const error& e);

/// The parameters of eth_getLogs for ERC-20 Transfer logs of `token` between two blocks,
/// optionally only to the given recipients (topic 2).
std::string transfer_logs_filter(const address& token, std::uint64_t from_block, std::uint64_t to_block,
                                 const std::vector<address>& recipients);

}  // namespace telepay::gateways::chain::rpc
