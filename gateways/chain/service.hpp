#pragma once
/// The chain gateway: USDT (BEP-20) deposits in, payouts and withdrawals out, over JSON-RPC.
///
/// Watcher thread: checks the node's chain id and the token's decimals() against the
/// configuration (a mismatch stops the gateway), then scans Transfer logs of the token block
/// range by range from a persisted cursor, matches them against every user's deposit address
/// (BIP32 watch-only, from the account xpub), records each sighting, and confirms it once its
/// block is `confirmations` deep and at or below the node's `finalized` head with its hash
/// re-checked; only then is the user credited (referral commission follows in the ledger). A
/// block hash that changed under the scanner is a reorg: the cursor rewinds and sightings in
/// the dropped blocks are orphaned, never credited.
///
/// Sender thread (with a hot-wallet key): reconciles the ledger's nonce with the chain at start,
/// then for each send the ledger queued (payout batches, withdrawals): checks the hot wallet's
/// token and gas balances (short: the send is held and an alert gauge is raised), signs with
/// the next nonce, records the signed bytes in the ledger BEFORE broadcasting them, tracks the
/// receipt, replaces a stuck transaction at the same nonce with a >= 10% higher fee up to a cap,
/// and reports the outcome to the payout or withdrawal once the receipt is deep and finalized.
/// No single reply voids a send: a reverted receipt counts when 12 deep (at least), finalized,
/// listed by the canonical block and, with two or more endpoints, reported by a second one; a
/// send is abandoned only when a final transaction that is none of its attempts holds its
/// nonce (found block by block, confirmed by a second endpoint).
///
/// Nothing here logs the hot-wallet key. Thread safety: the public functions may be called
/// from any thread; HTTP handlers answer from the service's job thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/base/result.hpp"
#include "domain/ids.hpp"
#include "gateways/chain/signer.hpp"
#include "gateways/http/client.hpp"
#include "gateways/http/server.hpp"

namespace telepay::actors {
class ledger_client;
class ledger_reads;
}  // namespace telepay::actors

namespace telepay::gateways::chain {

enum class log_level { info, warn, error };

struct service_options {
  std::vector<std::string> rpc_urls;
  http::client_options http;  // CA file, per-step timeout
  std::uint64_t chain_id = 56;
  /// The token contract (USDT BEP-20 on BSC by default) and the decimals it must report.
  std::string token = "0x55d398326f99059fF775485246999027B3197955";
  unsigned token_decimals = 18;
  /// Deposits: the account xpub ("" = no deposit addresses), blocks deep before crediting.
  std::string xpub;
  std::uint64_t confirmations = 12;
  /// The first block scanned on a fresh ledger. Default: the head at the first start.
  std::optional<std::uint64_t> start_block;
  std::uint64_t scan_window = 500;          // blocks per eth_getLogs
  std::chrono::milliseconds poll_every{1'000};
  /// Sends: the hot wallet's key (absent: no payouts or withdrawals are sent).
  std::optional<secret_key> hot_key;
  std::uint8_t tx_type = 0;                 // 0: legacy EIP-155 (BSC's choice), 2: EIP-1559
  u128 max_fee_per_gas = u128{20'000'000'000};    // the replacement cap, wei per gas
  u128 priority_fee_per_gas = u128{1'000'000'000};  // type 2 tip, wei per gas
  std::uint64_t payout_confirmations = 12;  // receipt depth before a send counts as done
  std::chrono::milliseconds replace_after{60'000};     // no receipt this long: replace
  std::chrono::milliseconds rebroadcast_every{15'000};
  /// Test only: exit (137) right after a signed transaction is durable, before broadcasting.
  bool test_crash_after_sign = false;
  std::function<void(log_level, const std::string&)> log;
};

/// What the node must agree with before the gateway does anything.
struct node_check {
  std::uint64_t chain_id = 0;
  unsigned decimals = 0;
  std::uint64_t head = 0;
};
/// Asks the node once. Errors: chain_mismatch (chain id or decimals differ: refuse to run),
/// upstream_unavailable / chain_reply_malformed (no usable answer: try again later),
/// invalid_argument (bad options).
result<node_check> check_node(const service_options& options);

class service {
 public:
  /// Starts the watcher (and, with a hot key, the sender) in the background; they retry the
  /// node check until it passes. Errors: invalid_argument (bad options: URLs, token, xpub).
  static result<std::unique_ptr<service>> start(actors::ledger_client& client, const actors::ledger_reads& reads,
                                                service_options options);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// The user's deposit address, recorded on the user's stream on first use (blocking: call
  /// from a worker thread, never from an actor). Errors: chain_not_configured (no xpub),
  /// user_not_registered, user_id_invalid.
  result<std::string> deposit_address(domain::user_id user);

  /// The user's deposit address as {"user_id","chain_id","address","path","token"}.
  /// `assign` (POST /v1/admin/users/{id}/deposit-address, the operator hands it to the user):
  /// recorded on the user's stream on first use. Otherwise (GET /v1/users/{id}/deposit-address)
  /// only read: 404 not_found when none is assigned yet, so a GET never writes.
  void handle_deposit_address(std::int64_t user_id, bool assign, http::responder reply);
  /// POST /v1/admin/chain/rescan {"from_block":N}: the watcher reads blocks N up to its live
  /// cursor again on a cursor of their own (recorded, resumed after a restart), in the live
  /// scan's spare time: new deposits keep being credited meanwhile, nothing twice. A request
  /// while one runs widens it. Answers 202 with the block it will rescan from.
  void request_rescan(std::uint64_t from_block, std::string by);
  /// GET /v1/chain/status: node check, head, finalized, cursor, pending deposits, hot wallet,
  /// the rescan ({"by","from","next","to"}, or null).
  std::string status_json() const;
  /// Prometheus text: scans, deposits by outcome, sends by outcome, held sends, RPC failures.
  std::string metrics_text() const;
  /// "refused: ..." when the node check failed for good, "" otherwise.
  std::string refusal() const;

  void stop();

  struct impl;  // internal: gateways/chain/service_impl.hpp

 private:
  explicit service(std::shared_ptr<impl> state);
  std::shared_ptr<impl> impl_;
};

}  // namespace telepay::gateways::chain
