#pragma once
/// An Ethereum JSON-RPC client over HTTP or HTTPS with several endpoints: each call tries the
/// endpoint that last answered, and on no answer, an HTTP error or a malformed reply fails over
/// to the next, in rounds with backoff. A node's JSON-RPC error object is an answer (returned
/// as chain_rpc_failed, never retried elsewhere): "nonce too low" means the same on any node.
/// An answer is one node's word: before acting on a reply that would give money back, the
/// sender asks another endpoint the same question (ask_only), and prefers the one that
/// disputes a failure from then on (prefer).
///
/// Thread safety: none; give each thread its own client. Beast stays inside the .cpp files.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/base/assert.hpp"
#include "domain/base/result.hpp"
#include "gateways/chain/primitives.hpp"
#include "gateways/chain/rpc_codec.hpp"
#include "gateways/http/client.hpp"

namespace telepay::gateways::chain {

struct rpc_options {
  std::vector<std::string> urls;  // at least one: "http://127.0.0.1:8545", "https://bsc-dataseed.example"
  http::client_options http;      // CA file, per-step timeout (default 10 s), body limit
  /// Rounds over all endpoints before a call fails, and the pause between rounds. Defaults: 2, 250 ms.
  int rounds = 2;
  std::chrono::milliseconds round_pause{250};
};

/// Counters shared by every client of a service (for /metrics).
struct rpc_counters {
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> no_answer{0};   // transport failures and HTTP errors
  std::atomic<std::uint64_t> malformed{0};   // replies that did not decode
  std::atomic<std::uint64_t> node_errors{0}; // JSON-RPC error objects
  std::atomic<std::uint64_t> failovers{0};   // moves to another endpoint
};

class rpc_client {
 public:
  /// Errors: invalid_argument (no URL, a bad URL), upstream_unavailable (CA file).
  static result<std::unique_ptr<rpc_client>> create(rpc_options options, std::shared_ptr<rpc_counters> counters);
  ~rpc_client();
  rpc_client(const rpc_client&) = delete;
  rpc_client& operator=(const rpc_client&) = delete;

  result<std::uint64_t> chain_id();
  result<std::uint64_t> block_number();
  /// A block by number or tag ("latest", "finalized", "safe"); nullopt when the node has none.
  result<std::optional<rpc::block_header>> block(std::uint64_t number);
  result<std::optional<rpc::block_header>> block(std::string_view tag);
  /// A block by number with its transaction bodies (hash, sender, nonce of each).
  result<std::optional<rpc::block_body>> block_body(std::uint64_t number);
  /// eth_getTransactionByHash; nullopt when the node does not know it.
  result<std::optional<rpc::transaction_ref>> transaction(const hash256& tx);
  /// eth_getLogs with a filter built by rpc::transfer_logs_filter (the params array).
  result<std::vector<rpc::log_entry>> logs(const std::string& filter_params);
  result<std::optional<rpc::receipt>> receipt(const hash256& tx);
  /// eth_getTransactionCount(address, tag): "latest", "finalized" or "pending".
  result<std::uint64_t> transaction_count(const address& who, std::string_view tag);
  /// eth_getTransactionCount(address, number): the nonce after that block.
  result<std::uint64_t> transaction_count_at(const address& who, std::uint64_t block);
  result<u256> balance(const address& who);
  result<u256> gas_price();
  result<rpc::fee_history> fee_history(unsigned blocks, const std::vector<unsigned>& percentiles);
  result<std::uint64_t> estimate_gas(const address& from, const address& to, std::string_view data);
  /// eth_call at "latest": the return data (bytes).
  result<std::string> call(const address& to, std::string_view data);
  /// eth_sendRawTransaction: the hash the node computed.
  result<hash256> send_raw(std::string_view raw_bytes);

  /// The URL of the endpoint that answered last (no secrets: URLs with credentials are not
  /// supported).
  std::string current_endpoint() const;

  /// How many endpoints are configured (at least 1).
  std::size_t endpoints() const;
  /// The index of the endpoint that answered the last call (the one asked first next).
  std::size_t answered_by() const;
  /// Ask `endpoint` first from now on. REQUIRES: endpoint < endpoints().
  void prefer(std::size_t endpoint);

  /// `call(*this)` answered by `endpoint` alone: asked once, no failover, and the endpoint asked
  /// first afterwards is unchanged. A second opinion. REQUIRES: endpoint < endpoints().
  template <class Call>
  auto ask_only(std::size_t endpoint, Call&& call) -> decltype(call(*this)) {
    LEDGER_ASSERT(endpoint < endpoints(), "endpoint ", endpoint, " of ", endpoints());
    LEDGER_ASSERT(!only_.has_value(), "ask_only does not nest");
    only_ = endpoint;
    auto answer = call(*this);
    only_.reset();
    return answer;
  }

 private:
  struct impl;
  explicit rpc_client(std::unique_ptr<impl> state);
  template <class Decode>
  auto exchange(std::string_view method, const std::string& params, Decode&& decode)
      -> decltype(decode(std::string_view(), std::uint64_t{0}));
  std::unique_ptr<impl> impl_;
  std::optional<std::size_t> only_;  // set by ask_only
};

}  // namespace telepay::gateways::chain
