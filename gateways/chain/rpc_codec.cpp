#include "gateways/chain/rpc_codec.hpp"

#include <simdjson.h>

#include <algorithm>
#include <limits>

#include "domain/base/json.hpp"
#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"

namespace telepay::gateways::chain::rpc {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

error malformed(std::string why) { return make_error(errc::chain_reply_malformed, "rpc reply: " + std::move(why)); }

/// Parses the envelope and hands the `result` element to `decode`; the parser lives for the
/// call only, so no view outlives it.
template <class Decode>
auto with_result(std::string_view body, std::uint64_t id, Decode&& decode)
    -> decltype(decode(std::declval<element>())) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return malformed("not JSON");
  object envelope;
  if (root.get_object().get(envelope) != simdjson::SUCCESS) return malformed("not an object");
  std::uint64_t answered = 0;
  if (envelope["id"].get_uint64().get(answered) != simdjson::SUCCESS || answered != id) {
    return malformed("id does not match the request " + std::to_string(id));
  }
  object failure;
  if (envelope["error"].get_object().get(failure) == simdjson::SUCCESS) {
    std::int64_t code = 0;
    std::string_view message;
    if (failure["code"].get_int64().get(code) != simdjson::SUCCESS) code = 0;
    if (failure["message"].get_string().get(message) != simdjson::SUCCESS) message = "(no message)";
    return make_error(errc::chain_rpc_failed,
                      "rpc error " + std::to_string(code) + ": " + utf8_prefix(message, 300));
  }
  element value;
  if (envelope["result"].get(value) != simdjson::SUCCESS) return malformed("no result");
  return decode(value);
}

result<std::string_view> string_field(object o, std::string_view key) {
  std::string_view text;
  if (o[key].get_string().get(text) != simdjson::SUCCESS) {
    return malformed("field '" + std::string(key) + "' is missing or not a string");
  }
  return text;
}

result<std::uint64_t> quantity_field(object o, std::string_view key) {
  TELEPAY_TRY(text, string_field(o, key));
  auto v = parse_quantity_u64(text);
  if (!v) return malformed("field '" + std::string(key) + "': " + v.error().message);
  return *v;
}

/// A block number: beyond block_number_max it is malformed (bounds.hpp: the watcher adds to it).
result<std::uint64_t> block_number_field(object o, std::string_view key) {
  TELEPAY_TRY(number, quantity_field(o, key));
  if (number > block_number_max) {
    return malformed("field '" + std::string(key) + "' is block " + std::to_string(number) + ", beyond 2^62");
  }
  return number;
}

result<u128> quantity128_field(object o, std::string_view key) {
  TELEPAY_TRY(text, string_field(o, key));
  auto v = parse_quantity(text);
  if (!v || v->high != 0) return malformed("field '" + std::string(key) + "' is not a 128-bit quantity");
  return v->low;
}

result<hash256> hash_field(object o, std::string_view key) {
  TELEPAY_TRY(text, string_field(o, key));
  auto h = parse_hash(text);
  if (!h) return malformed("field '" + std::string(key) + "' is not a 32-byte hash");
  return *h;
}

result<hash256> hash_value(element e, std::string_view what) {
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS) return malformed(std::string(what) + " is not a string");
  auto h = parse_hash(text);
  if (!h) return malformed(std::string(what) + " is not a 32-byte hash");
  return *h;
}

result<block_header> read_block(object o) {
  block_header b;
  TELEPAY_TRY(number, block_number_field(o, "number"));
  TELEPAY_TRY(hash, hash_field(o, "hash"));
  TELEPAY_TRY(parent, hash_field(o, "parentHash"));
  TELEPAY_TRY(timestamp, quantity_field(o, "timestamp"));
  b.number = number;
  b.hash = hash;
  b.parent_hash = parent;
  b.timestamp = timestamp;
  element base_fee;
  if (o["baseFeePerGas"].get(base_fee) == simdjson::SUCCESS && !base_fee.is_null()) {
    TELEPAY_TRY(fee, quantity128_field(o, "baseFeePerGas"));
    b.base_fee_per_gas = fee;
  }
  simdjson::dom::array transactions;
  if (o["transactions"].get_array().get(transactions) == simdjson::SUCCESS) {
    for (element t : transactions) {
      if (!t.is_string()) break;  // full bodies: not asked for, not read
      TELEPAY_TRY(tx_hash, hash_value(t, "a transaction hash"));
      b.transactions.push_back(tx_hash);
    }
  }
  return b;
}

result<transaction_ref> read_transaction(element e) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("a transaction is not an object");
  transaction_ref t;
  TELEPAY_TRY(hash, hash_field(o, "hash"));
  TELEPAY_TRY(from_text, string_field(o, "from"));
  auto from = parse_address_unchecked(from_text);
  if (!from) return malformed("transaction from '" + utf8_prefix(from_text, 50) + "' is malformed");
  TELEPAY_TRY(nonce, quantity_field(o, "nonce"));
  t.hash = hash;
  t.from = *from;
  t.nonce = nonce;
  element number;
  if (o["blockNumber"].get(number) == simdjson::SUCCESS && !number.is_null()) {
    TELEPAY_TRY(block, block_number_field(o, "blockNumber"));
    TELEPAY_TRY(block_hash, hash_field(o, "blockHash"));
    t.block_number = block;
    t.block_hash = block_hash;
  }
  return t;
}

result<log_entry> read_log(element e) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("a log is not an object");
  log_entry l;
  TELEPAY_TRY(contract_text, string_field(o, "address"));
  auto contract = parse_address_unchecked(contract_text);
  if (!contract) return malformed("log address '" + utf8_prefix(contract_text, 50) + "' is malformed");
  l.contract = *contract;
  simdjson::dom::array topics;
  if (o["topics"].get_array().get(topics) != simdjson::SUCCESS) return malformed("log topics is not an array");
  if (topics.size() > 4) return malformed("a log has at most 4 topics");
  for (element t : topics) {
    TELEPAY_TRY(topic, hash_value(t, "a topic"));
    l.topics.push_back(topic);
  }
  TELEPAY_TRY(data_text, string_field(o, "data"));
  auto data = parse_data(data_text);
  if (!data) return malformed("log data is not hex bytes");
  l.data = *std::move(data);
  TELEPAY_TRY(number, block_number_field(o, "blockNumber"));
  TELEPAY_TRY(block_hash, hash_field(o, "blockHash"));
  TELEPAY_TRY(tx_hash, hash_field(o, "transactionHash"));
  TELEPAY_TRY(index, quantity_field(o, "logIndex"));
  l.block_number = number;
  l.block_hash = block_hash;
  l.transaction_hash = tx_hash;
  l.log_index = index;
  bool removed = false;
  element removed_value;
  if (o["removed"].get(removed_value) == simdjson::SUCCESS) {
    if (removed_value.get_bool().get(removed) != simdjson::SUCCESS) return malformed("log removed is not a boolean");
  }
  l.removed = removed;
  return l;
}

}  // namespace

std::string request(std::uint64_t id, std::string_view method, std::string_view params_json) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out += std::to_string(id);
  out += R"(,"method":")";
  out += method;
  out += R"(","params":)";
  out += params_json;
  out += '}';
  return out;
}

std::string block_ref(std::uint64_t number) { return "\"" + to_quantity(number) + "\""; }

result<u256> decode_quantity(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<u256> {
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS) return malformed("result is not a quantity string");
    auto v = parse_quantity(text);
    if (!v) return malformed(v.error().message);
    return *v;
  });
}

result<std::uint64_t> decode_quantity_u64(std::string_view body, std::uint64_t id) {
  TELEPAY_TRY(v, decode_quantity(body, id));
  if (v.high != 0 || v.low > std::numeric_limits<std::uint64_t>::max()) return malformed("quantity exceeds 64 bits");
  return static_cast<std::uint64_t>(v.low);
}

result<std::uint64_t> decode_block_number(std::string_view body, std::uint64_t id) {
  TELEPAY_TRY(number, decode_quantity_u64(body, id));
  if (number > block_number_max) return malformed("block number " + std::to_string(number) + " is beyond 2^62");
  return number;
}

result<std::optional<block_header>> decode_block_at(std::string_view body, std::uint64_t id, std::uint64_t number) {
  TELEPAY_TRY(block, decode_block(body, id));
  if (block && block->number != number) {
    return malformed("asked for block " + std::to_string(number) + ", the node answered block " +
                     std::to_string(block->number));
  }
  return block;
}

result<std::optional<block_header>> decode_block(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<std::optional<block_header>> {
    if (e.is_null()) return std::optional<block_header>();
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("block is not an object");
    TELEPAY_TRY(b, read_block(o));
    return std::optional<block_header>(b);
  });
}

result<std::optional<block_body>> decode_block_body_at(std::string_view body, std::uint64_t id, std::uint64_t number) {
  return with_result(body, id, [number](element e) -> result<std::optional<block_body>> {
    if (e.is_null()) return std::optional<block_body>();
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("block is not an object");
    block_body b;
    TELEPAY_TRY(header, read_block(o));
    if (header.number != number) {
      return malformed("asked for block " + std::to_string(number) + ", the node answered block " +
                       std::to_string(header.number));
    }
    if (!header.transactions.empty()) return malformed("block transactions are hashes, bodies were asked for");
    simdjson::dom::array items;
    if (o["transactions"].get_array().get(items) != simdjson::SUCCESS) {
      return malformed("block transactions is not an array");
    }
    for (element item : items) {
      TELEPAY_TRY(t, read_transaction(item));
      if (t.block_number != header.number || t.block_hash != header.hash) {
        return malformed("a transaction of block " + std::to_string(number) + " names another block");
      }
      b.transactions.push_back(t);
    }
    b.header = std::move(header);
    return std::optional<block_body>(std::move(b));
  });
}

result<std::optional<transaction_ref>> decode_transaction(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<std::optional<transaction_ref>> {
    if (e.is_null()) return std::optional<transaction_ref>();
    TELEPAY_TRY(t, read_transaction(e));
    return std::optional<transaction_ref>(t);
  });
}

result<std::vector<log_entry>> decode_logs(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<std::vector<log_entry>> {
    simdjson::dom::array items;
    if (e.get_array().get(items) != simdjson::SUCCESS) return malformed("logs is not an array");
    std::vector<log_entry> out;
    out.reserve(items.size());
    for (element item : items) {
      TELEPAY_TRY(l, read_log(item));
      out.push_back(std::move(l));
    }
    return out;
  });
}

result<std::optional<receipt>> decode_receipt(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<std::optional<receipt>> {
    if (e.is_null()) return std::optional<receipt>();
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("receipt is not an object");
    receipt r;
    TELEPAY_TRY(tx, hash_field(o, "transactionHash"));
    TELEPAY_TRY(number, block_number_field(o, "blockNumber"));
    TELEPAY_TRY(block_hash, hash_field(o, "blockHash"));
    TELEPAY_TRY(status, quantity_field(o, "status"));
    TELEPAY_TRY(gas_used, quantity_field(o, "gasUsed"));
    if (status > 1) return malformed("receipt status is neither 0 nor 1");
    r.transaction_hash = tx;
    r.block_number = number;
    r.block_hash = block_hash;
    r.success = status == 1;
    r.gas_used = gas_used;
    element price;
    if (o["effectiveGasPrice"].get(price) == simdjson::SUCCESS) {
      TELEPAY_TRY(p, quantity128_field(o, "effectiveGasPrice"));
      r.effective_gas_price = p;
    }
    return std::optional<receipt>(r);
  });
}

result<std::string> decode_data(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<std::string> {
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS) return malformed("result is not a data string");
    auto data = parse_data(text);
    if (!data) return malformed(data.error().message);
    return *std::move(data);
  });
}

result<hash256> decode_hash(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<hash256> { return hash_value(e, "result"); });
}

result<fee_history> decode_fee_history(std::string_view body, std::uint64_t id) {
  return with_result(body, id, [](element e) -> result<fee_history> {
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return malformed("fee history is not an object");
    fee_history h;
    TELEPAY_TRY(oldest, quantity_field(o, "oldestBlock"));
    h.oldest_block = oldest;
    simdjson::dom::array fees;
    if (o["baseFeePerGas"].get_array().get(fees) != simdjson::SUCCESS) return malformed("baseFeePerGas is not an array");
    for (element f : fees) {
      std::string_view text;
      if (f.get_string().get(text) != simdjson::SUCCESS) return malformed("a base fee is not a string");
      auto v = parse_quantity(text);
      if (!v || v->high != 0) return malformed("a base fee is not a 128-bit quantity");
      h.base_fee_per_gas.push_back(v->low);
    }
    simdjson::dom::array rewards;
    if (o["reward"].get_array().get(rewards) == simdjson::SUCCESS) {
      for (element row : rewards) {
        simdjson::dom::array cells;
        if (row.get_array().get(cells) != simdjson::SUCCESS) return malformed("a reward row is not an array");
        std::vector<u128> values;
        for (element c : cells) {
          std::string_view text;
          if (c.get_string().get(text) != simdjson::SUCCESS) return malformed("a reward is not a string");
          auto v = parse_quantity(text);
          if (!v || v->high != 0) return malformed("a reward is not a 128-bit quantity");
          values.push_back(v->low);
        }
        h.reward.push_back(std::move(values));
      }
    }
    return h;
  });
}

std::string lower_message(const error& e) {
  std::string out = e.message;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

std::string transfer_logs_filter(const address& token, std::uint64_t from_block, std::uint64_t to_block,
                                 const std::vector<address>& recipients) {
  std::string out = R"([{"fromBlock":)" + block_ref(from_block) + R"(,"toBlock":)" + block_ref(to_block) +
                    R"(,"address":")" + to_lower_hex(token) + R"(","topics":[")" + to_data(abi::transfer_topic()) +
                    "\",null";
  if (!recipients.empty()) {
    out += ",[";
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (i) out += ',';
      out += '"' + to_data(abi::address_word(recipients[i])) + '"';
    }
    out += ']';
  }
  out += "]}]";
  return out;
}

}  // namespace telepay::gateways::chain::rpc
