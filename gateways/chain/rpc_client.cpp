#include "gateways/chain/rpc_client.hpp"

#include <thread>

namespace telepay::gateways::chain {

struct rpc_client::impl {
  rpc_options options;
  std::shared_ptr<rpc_counters> counters;
  std::vector<std::unique_ptr<http::client>> endpoints;
  std::size_t current = 0;
  std::uint64_t next_id = 1;
};

rpc_client::rpc_client(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
rpc_client::~rpc_client() = default;

result<std::unique_ptr<rpc_client>> rpc_client::create(rpc_options options, std::shared_ptr<rpc_counters> counters) {
  if (options.urls.empty()) return make_error(errc::invalid_argument, "the chain needs at least one RPC URL");
  auto state = std::make_unique<impl>();
  for (const auto& url : options.urls) {
    if (url.find('@') != std::string::npos) {
      return make_error(errc::invalid_argument, "RPC URLs with credentials are not supported (they would be logged)");
    }
    TELEPAY_TRY(c, http::client::create(url, options.http));
    state->endpoints.push_back(std::move(c));
  }
  state->options = std::move(options);
  state->counters = counters ? std::move(counters) : std::make_shared<rpc_counters>();
  return std::unique_ptr<rpc_client>(new rpc_client(std::move(state)));
}

std::string rpc_client::current_endpoint() const { return impl_->options.urls[impl_->current]; }

std::size_t rpc_client::endpoints() const { return impl_->endpoints.size(); }

std::size_t rpc_client::answered_by() const { return only_.value_or(impl_->current); }

void rpc_client::prefer(std::size_t endpoint) {
  LEDGER_ASSERT(endpoint < impl_->endpoints.size(), "endpoint ", endpoint, " of ", impl_->endpoints.size());
  impl_->current = endpoint;
}

template <class Decode>
auto rpc_client::exchange(std::string_view method, const std::string& params, Decode&& decode)
    -> decltype(decode(std::string_view(), std::uint64_t{0})) {
  impl& s = *impl_;
  using out_type = decltype(decode(std::string_view(), std::uint64_t{0}));
  out_type last = make_error(errc::upstream_unavailable, std::string(method) + ": no endpoint tried");
  const std::size_t n = s.endpoints.size();
  // ask_only: that endpoint, once; the others are not tried and `current` stays.
  const bool pinned = only_.has_value();
  const int rounds = pinned ? 1 : std::max(1, s.options.rounds);
  const std::size_t tries = pinned ? 1 : n;
  for (int round = 0; round < rounds; ++round) {
    if (round > 0) std::this_thread::sleep_for(s.options.round_pause * round);
    for (std::size_t tried = 0; tried < tries; ++tried) {
      const std::size_t index = pinned ? *only_ : (s.current + tried) % n;
      http::client& c = *s.endpoints[index];
      const std::uint64_t id = s.next_id++;
      s.counters->calls.fetch_add(1, std::memory_order_relaxed);
      http::client_request req;
      req.method = "POST";
      req.path = c.target().base_path.empty() ? "/" : "";
      req.headers = {{"Content-Type", "application/json"}};
      req.body = rpc::request(id, method, params);
      auto answer = c.send(req);
      if (tried > 0 || round > 0) s.counters->failovers.fetch_add(1, std::memory_order_relaxed);
      if (!answer) {
        s.counters->no_answer.fetch_add(1, std::memory_order_relaxed);
        last = make_error(errc::upstream_unavailable, std::string(method) + ": " + answer.error().message);
        continue;
      }
      if (answer->status != 200) {
        s.counters->no_answer.fetch_add(1, std::memory_order_relaxed);
        last = make_error(errc::upstream_unavailable, std::string(method) + ": HTTP " + std::to_string(answer->status) +
                                                          " from " + s.options.urls[index]);
        continue;
      }
      auto decoded = decode(answer->body, id);
      if (decoded) {
        if (!pinned) s.current = index;
        return decoded;
      }
      if (decoded.code() == errc::chain_rpc_failed) {
        s.counters->node_errors.fetch_add(1, std::memory_order_relaxed);
        if (!pinned) s.current = index;
        return make_error(errc::chain_rpc_failed, std::string(method) + ": " + decoded.error().message);
      }
      s.counters->malformed.fetch_add(1, std::memory_order_relaxed);
      last = make_error(decoded.code(), std::string(method) + " from " + s.options.urls[index] + ": " +
                                            decoded.error().message);
    }
  }
  return last;
}

result<std::uint64_t> rpc_client::chain_id() {
  return exchange("eth_chainId", "[]", rpc::decode_quantity_u64);
}

result<std::uint64_t> rpc_client::block_number() {
  return exchange("eth_blockNumber", "[]", rpc::decode_block_number);
}

result<std::optional<rpc::block_header>> rpc_client::block(std::uint64_t number) {
  // A node answering for another height would pass the reorg checks with the wrong hash.
  const auto decode = [number](std::string_view body, std::uint64_t id) {
    return rpc::decode_block_at(body, id, number);
  };
  return exchange("eth_getBlockByNumber", "[" + rpc::block_ref(number) + ",false]", decode);
}

result<std::optional<rpc::block_header>> rpc_client::block(std::string_view tag) {
  return exchange("eth_getBlockByNumber", "[\"" + std::string(tag) + "\",false]", rpc::decode_block);
}

result<std::optional<rpc::block_body>> rpc_client::block_body(std::uint64_t number) {
  const auto decode = [number](std::string_view body, std::uint64_t id) {
    return rpc::decode_block_body_at(body, id, number);
  };
  return exchange("eth_getBlockByNumber", "[" + rpc::block_ref(number) + ",true]", decode);
}

result<std::optional<rpc::transaction_ref>> rpc_client::transaction(const hash256& tx) {
  return exchange("eth_getTransactionByHash", "[\"" + to_data(tx) + "\"]", rpc::decode_transaction);
}

result<std::vector<rpc::log_entry>> rpc_client::logs(const std::string& filter_params) {
  return exchange("eth_getLogs", filter_params, rpc::decode_logs);
}

result<std::optional<rpc::receipt>> rpc_client::receipt(const hash256& tx) {
  return exchange("eth_getTransactionReceipt", "[\"" + to_data(tx) + "\"]", rpc::decode_receipt);
}

result<std::uint64_t> rpc_client::transaction_count(const address& who, std::string_view tag) {
  return exchange("eth_getTransactionCount", "[\"" + to_lower_hex(who) + "\",\"" + std::string(tag) + "\"]",
                  rpc::decode_quantity_u64);
}

result<std::uint64_t> rpc_client::transaction_count_at(const address& who, std::uint64_t block) {
  return exchange("eth_getTransactionCount", "[\"" + to_lower_hex(who) + "\"," + rpc::block_ref(block) + "]",
                  rpc::decode_quantity_u64);
}

result<u256> rpc_client::balance(const address& who) {
  return exchange("eth_getBalance", "[\"" + to_lower_hex(who) + "\",\"latest\"]", rpc::decode_quantity);
}

result<u256> rpc_client::gas_price() { return exchange("eth_gasPrice", "[]", rpc::decode_quantity); }

result<rpc::fee_history> rpc_client::fee_history(unsigned blocks, const std::vector<unsigned>& percentiles) {
  std::string params = "[\"" + to_quantity(std::uint64_t{blocks}) + "\",\"latest\",[";
  for (std::size_t i = 0; i < percentiles.size(); ++i) {
    if (i) params += ',';
    params += std::to_string(percentiles[i]);
  }
  params += "]]";
  return exchange("eth_feeHistory", params, rpc::decode_fee_history);
}

result<std::uint64_t> rpc_client::estimate_gas(const address& from, const address& to, std::string_view data) {
  return exchange("eth_estimateGas",
                  "[{\"from\":\"" + to_lower_hex(from) + "\",\"to\":\"" + to_lower_hex(to) + "\",\"data\":\"" +
                      to_data(data) + "\"}]",
                  rpc::decode_quantity_u64);
}

result<std::string> rpc_client::call(const address& to, std::string_view data) {
  return exchange("eth_call", "[{\"to\":\"" + to_lower_hex(to) + "\",\"data\":\"" + to_data(data) + "\"},\"latest\"]",
                  rpc::decode_data);
}

result<hash256> rpc_client::send_raw(std::string_view raw_bytes) {
  return exchange("eth_sendRawTransaction", "[\"" + to_data(raw_bytes) + "\"]", rpc::decode_hash);
}

}  // namespace telepay::gateways::chain
