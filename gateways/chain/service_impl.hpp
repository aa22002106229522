#pragma once
// Internal to gateways/chain: the state the service's threads share (service.cpp starts them
// and runs the jobs, scanner.cpp the deposit watcher, sender.cpp the hot wallet).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>

#include "actors/client.hpp"
#include "actors/reads.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/chain_send.hpp"
#include "gateways/chain/bip32.hpp"
#include "gateways/chain/rpc_client.hpp"
#include "gateways/chain/service.hpp"
#include "gateways/chain/watcher.hpp"

namespace telepay::gateways::chain {

std::int64_t wall_us();
/// The RPC client options of the service's endpoints.
rpc_options rpc_options_of(const service_options& o);

/// A sighting not yet confirmed (or confirmed but not yet credited).
struct pending_deposit {
  domain::chain_deposit::key key;
  std::uint64_t block = 0;
  hash256 block_hash{};
  bool confirmed = false;  // confirmed in the ledger; the credit is still owed
  /// Found by an operator's rescan only: the rescan's cursor (not the live one) stays at or
  /// below it until it is settled.
  bool from_rescan = false;
};

/// Blocks per eth_getLogs now: halved on failure, doubled back after 8 successes.
struct scan_window {
  std::uint64_t blocks = 0;
  std::uint32_t successes = 0;
};

/// An operator's rescan as the watcher walks it: [next, to) is left; from is where it began.
struct rescan_run {
  std::uint64_t from = 0;
  std::uint64_t next = 0;
  std::uint64_t to = 0;
  std::string by;
};

enum class scan_origin { live, rescan };

struct service::impl {
  service_options options;
  actors::ledger_client& client;
  const actors::ledger_reads& reads;
  address token;
  std::optional<extended_public_key> account;
  std::optional<address> hot;
  std::shared_ptr<rpc_counters> counters = std::make_shared<rpc_counters>();

  std::atomic<bool> stopping{false};
  std::mutex wake_mutex;
  std::condition_variable wake;
  std::thread watcher;
  std::thread sender;
  std::thread jobs_thread;

  // Node check.
  std::atomic<bool> checked{false};
  std::atomic<bool> refused{false};
  mutable std::mutex status_mutex;
  std::string refusal_text;
  std::string last_error;

  // Deposits (watcher thread; the matcher is also written by the job thread).
  mutable std::shared_mutex matcher_mutex;
  deposit_matcher matcher;
  std::atomic<bool> addresses_loaded{false};
  block_tracker tracker;
  std::uint64_t next_block = 0;
  bool cursor_known = false;
  std::map<std::string, pending_deposit> pending;  // by stream
  std::uint64_t recorded_resume = 0;
  std::uint64_t recorded_scanned = 0;
  std::int64_t recorded_at_us = 0;
  std::atomic<std::uint64_t> rescan_from{0};
  std::atomic<bool> rescan_requested{false};
  std::string rescan_by;  // guarded by status_mutex
  scan_window live_window;
  // The operator's rescan (watcher thread), its last recorded cursor and when.
  std::optional<rescan_run> rescan;
  scan_window rescan_window;
  std::uint64_t rescan_recorded_next = 0;
  std::int64_t rescan_recorded_at_us = 0;
  // The rescan for status and metrics (active = 0 when none runs).
  std::atomic<bool> rescan_active{false};
  std::atomic<std::uint64_t> rescan_status_from{0};
  std::atomic<std::uint64_t> rescan_status_next{0};
  std::atomic<std::uint64_t> rescan_status_to{0};
  std::string rescan_status_by;  // guarded by status_mutex

  // Observed, for status and metrics.
  std::atomic<std::uint64_t> head{0};
  std::atomic<std::uint64_t> finalized{0};
  std::atomic<std::uint64_t> scanned_to{0};
  std::atomic<std::uint64_t> pending_count{0};
  std::atomic<std::uint64_t> logs_seen{0};
  std::atomic<std::uint64_t> deposits_detected{0};
  std::atomic<std::uint64_t> deposits_confirmed{0};
  std::atomic<std::uint64_t> deposits_credited{0};
  std::atomic<std::uint64_t> deposits_orphaned{0};
  std::atomic<std::uint64_t> deposits_refused{0};
  std::atomic<std::uint64_t> reorgs{0};
  std::atomic<std::uint64_t> sends_signed{0};
  std::atomic<std::uint64_t> sends_replaced{0};
  std::atomic<std::uint64_t> sends_broadcast{0};
  std::atomic<std::uint64_t> sends_mined_ok{0};
  std::atomic<std::uint64_t> sends_mined_failed{0};
  std::atomic<std::uint64_t> sends_abandoned{0};
  std::atomic<std::uint64_t> receipts_disputed{0};  // a second endpoint contradicted a failure
  std::atomic<std::uint64_t> sends_held{0};           // gauge: sends waiting for funds
  std::atomic<std::uint64_t> hot_wallet_short{0};     // gauge: 1 while funds are short
  std::atomic<std::uint64_t> next_nonce{0};
  std::atomic<std::uint64_t> open_sends{0};

  // Jobs (HTTP and bot requests that block on the ledger).
  std::mutex jobs_mutex;
  std::condition_variable jobs_ready;
  std::deque<std::function<void()>> jobs;

  impl(service_options o, actors::ledger_client& c, const actors::ledger_reads& r)
      : options(std::move(o)), client(c), reads(r) {}

  void say(log_level level, const std::string& text) const {
    if (options.log) options.log(level, text);
  }
  void note_error(const std::string& text);
  /// Sleeps up to `d`, waking early on stop. False once stopping.
  bool pause(std::chrono::milliseconds d);
  void post(std::function<void()> job);

  /// Retries the node check until it passes (true) or is refused / the service stops (false).
  bool wait_for_node(rpc_client& rpc);

  // Watcher (scanner.cpp; load_addresses in service.cpp).
  void watch();
  void load_addresses();
  void tick(rpc_client& rpc);
  bool follow_reorgs(rpc_client& rpc);
  /// A scanned block changed: rewinds to after the last one that still matches, orphaning
  /// sightings above it. False when the node did not answer.
  bool rewind_after_reorg(rpc_client& rpc, const std::string& where);
  /// The live cursor's next range: read, then the cursor moves past it.
  void scan_range(rpc_client& rpc, std::uint64_t from, std::uint64_t to);
  /// Reads the Transfer logs of [from, to] and records each deposit found; the hash of block
  /// `to` when the whole range was read (the caller moves its cursor), nullopt otherwise.
  std::optional<hash256> read_range(rpc_client& rpc, std::uint64_t from, std::uint64_t to, scan_origin origin,
                                    scan_window& w);
  /// Records a sighting of each deposit in `logs`; false when the ledger did not answer (the
  /// range is read again).
  bool record_deposits(const std::vector<rpc::log_entry>& logs, scan_origin origin);
  void settle_pending(rpc_client& rpc, std::uint64_t head_now, std::uint64_t finalized_now);
  void checkpoint(const std::string& reason, bool force);
  // The operator's rescan: started on request, walked in the live scan's spare time (at most
  // poll_every per tick), recorded at most every 10 s, on reaching its end and at stop.
  void start_rescan();
  void adopt_rescan(const domain::chain_scan::state& st);
  void walk_rescan(rpc_client& rpc, std::uint64_t head_now);
  void record_rescan(bool force);
  void publish_rescan();

  // Sender (sender.cpp).
  void send_loop();
};

/// The finalized head, or (for nodes without the tag) head - confirmations + 1.
std::uint64_t finalized_or_depth(rpc_client& rpc, std::uint64_t head, std::uint64_t confirmations);

}  // namespace telepay::gateways::chain
