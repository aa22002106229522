// The chain gateway: lifecycle, the node check, deposit addresses, status and the job thread
// (the deposit watcher is in scanner.cpp, the sender in sender.cpp).

#include "gateways/chain/service.hpp"

#include <algorithm>

#include "domain/base/json.hpp"
#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/service_impl.hpp"

namespace telepay::gateways::chain {
namespace {

result<node_check> check_with(rpc_client& rpc, const service_options& options, const address& token) {
  TELEPAY_TRY(chain_id, rpc.chain_id());
  if (chain_id != options.chain_id) {
    return make_error(errc::chain_mismatch, "the node is on chain " + std::to_string(chain_id) + ", configured " +
                                                std::to_string(options.chain_id));
  }
  TELEPAY_TRY(returned, rpc.call(token, abi::decimals_call()));
  if (returned.empty()) {
    return make_error(errc::chain_mismatch, "the token " + to_checksummed(token) + " has no code on chain " +
                                                std::to_string(chain_id) + " (decimals() returned nothing)");
  }
  auto word = abi::decode_uint(returned);
  if (!word) return make_error(errc::chain_reply_malformed, "decimals(): " + word.error().message);
  if (word->high != 0 || word->low != options.token_decimals) {
    return make_error(errc::chain_mismatch, "the token reports " + to_decimal(*word) + " decimals, configured " +
                                                std::to_string(options.token_decimals));
  }
  TELEPAY_TRY(head, rpc.block_number());
  return node_check{chain_id, options.token_decimals, head};
}

/// The HTTP status of each error code for the deposit-address endpoint. No default: a new
/// code does not compile until it is placed. What is not the caller's fault is 503 (retry).
unsigned status_for(errc code) {
  switch (code) {
    case errc::not_found:
    case errc::user_not_registered: return 404;
    case errc::user_id_invalid:
    case errc::invalid_argument: return 400;
    case errc::chain_not_configured: return 409;
    case errc::stream_name_invalid:
    case errc::event_type_invalid:
    case errc::events_must_not_be_empty:
    case errc::too_many_events:
    case errc::payload_too_large:
    case errc::metadata_invalid:
    case errc::idempotency_key_invalid:
    case errc::snapshot_invalid:
    case errc::wrong_expected_version:
    case errc::idempotency_key_reused_with_different_payload:
    case errc::store_closed:
    case errc::storage_failed:
    case errc::chain_broken:
    case errc::record_corrupt:
    case errc::format_mismatch:
    case errc::append_queue_full:
    case errc::amount_invalid:
    case errc::amount_must_be_positive:
    case errc::amount_overflow:
    case errc::asset_unknown:
    case errc::asset_mismatch:
    case errc::rate_invalid:
    case errc::insufficient_funds:
    case errc::transfer_exists_with_different_amount:
    case errc::hold_not_found:
    case errc::hold_expired:
    case errc::overflows_credits:
    case errc::overflows_debits:
    case errc::transfer_id_invalid:
    case errc::wallet_owner_invalid:
    case errc::user_already_registered:
    case errc::self_referral:
    case errc::referral_cycle:
    case errc::referrer_already_set:
    case errc::referrer_unknown:
    case errc::user_banned:
    case errc::user_not_banned:
    case errc::blacklisted:
    case errc::already_blacklisted:
    case errc::not_blacklisted:
    case errc::referral_code_invalid:
    case errc::channel_not_found:
    case errc::channel_exists:
    case errc::tiers_invalid:
    case errc::donation_out_of_range:
    case errc::donations_disabled:
    case errc::payout_address_invalid:
    case errc::channel_disabled:
    case errc::tier_not_found:
    case errc::payout_threshold_invalid:
    case errc::channel_title_invalid:
    case errc::subscription_not_found:
    case errc::subscription_not_expired:
    case errc::coupon_not_found:
    case errc::coupon_expired:
    case errc::coupon_exhausted:
    case errc::coupon_already_used:
    case errc::coupon_not_applicable:
    case errc::coupon_invalid:
    case errc::coupon_exists:
    case errc::payout_nothing_to_batch:
    case errc::payout_batch_not_found:
    case errc::payout_state_invalid:
    case errc::setting_unknown:
    case errc::setting_invalid:
    case errc::event_decode_failed:
    case errc::event_type_unknown:
    case errc::event_version_unsupported:
    case errc::request_timeout:
    case errc::overloaded:
    case errc::internal:
    case errc::process_failed:
    case errc::approval_same_operator:
    case errc::approval_state_invalid:
    case errc::manual_deposit_not_found:
    case errc::manual_deposit_state_invalid:
    case errc::token_invalid:
    case errc::token_exists:
    case errc::token_not_found:
    case errc::role_invalid:
    case errc::unauthenticated:
    case errc::forbidden:
    case errc::rate_limited:
    case errc::idempotency_key_required:
    case errc::invoice_not_found:
    case errc::invoice_exists:
    case errc::signature_missing:
    case errc::signature_invalid:
    case errc::payment_invalid:
    case errc::upstream_failed:
    case errc::upstream_unavailable:
    case errc::chain_rpc_failed:
    case errc::chain_reply_malformed:
    case errc::chain_mismatch:
    case errc::deposit_state_invalid:
    case errc::withdrawal_not_found:
    case errc::withdrawal_state_invalid:
    case errc::approval_pending:
    case errc::send_state_invalid:
    case errc::withdrawal_below_minimum:
    case errc::broadcast_not_found:
    case errc::broadcast_state_invalid:
    case errc::purchase_not_found:
    case errc::refund_refused:
    case errc::webhook_not_found:
    case errc::webhook_state_invalid: return 503;
  }
  return 503;  // not reached: every code is listed above
}

}  // namespace

rpc_options rpc_options_of(const service_options& o) {
  rpc_options r;
  r.urls = o.rpc_urls;
  r.http = o.http;
  return r;
}

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t finalized_or_depth(rpc_client& rpc, std::uint64_t head, std::uint64_t confirmations) {
  auto b = rpc.block("finalized");
  if (b && b->has_value()) return std::min(head, (*b)->number);
  return head + 1 >= confirmations ? head + 1 - confirmations : 0;
}

result<node_check> check_node(const service_options& options) {
  TELEPAY_TRY(token, parse_address(options.token));
  auto opts = rpc_options_of(options);
  opts.rounds = 1;
  TELEPAY_TRY(rpc, rpc_client::create(std::move(opts), nullptr));
  return check_with(*rpc, options, token);
}

// ---- impl helpers ----

void service::impl::note_error(const std::string& text) {
  bool changed = false;
  {
    std::lock_guard lock(status_mutex);
    changed = last_error != text;
    last_error = text;
  }
  if (changed) say(log_level::warn, "chain: " + text);
}

bool service::impl::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(wake_mutex);
  wake.wait_for(lock, d, [&] { return stopping.load(); });
  return !stopping.load();
}

void service::impl::post(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mutex);
    jobs.push_back(std::move(job));
  }
  jobs_ready.notify_one();
}

bool service::impl::wait_for_node(rpc_client& rpc) {
  auto delay = std::chrono::milliseconds(500);
  while (!stopping.load()) {
    if (checked.load()) return true;
    if (refused.load()) return false;
    auto r = check_with(rpc, options, token);
    if (r) {
      if (!checked.exchange(true)) {
        say(log_level::info, "chain: node checked chain_id=" + std::to_string(r->chain_id) + " decimals=" +
                                 std::to_string(r->decimals) + " head=" + std::to_string(r->head) + " endpoint=" +
                                 rpc.current_endpoint());
      }
      return true;
    }
    if (r.code() == errc::chain_mismatch) {
      {
        std::lock_guard lock(status_mutex);
        refusal_text = r.error().message;
      }
      if (!refused.exchange(true)) say(log_level::error, "chain: refused, " + r.error().message);
      return false;
    }
    note_error("node check: " + r.error().message);
    if (!pause(delay)) return false;
    delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
  }
  return false;
}

// ---- deposit addresses ----

void service::impl::load_addresses() {
  // Addresses recorded before this start are in the projection once it has caught up with the
  // log as it was when the watcher started (the service adds later ones itself).
  const std::uint64_t head_seq = reads.head_seq();
  while (!stopping.load() && !reads.wait_for(head_seq, std::chrono::seconds(5))) {
    note_error("waiting for the projections to reach seq " + std::to_string(head_seq));
  }
  std::string cursor;
  std::size_t loaded = 0;
  do {
    std::string next;
    auto page = reads.deposit_address_page(options.chain_id, cursor, 10'000, next);
    std::unique_lock lock(matcher_mutex);
    for (const auto& [text, user] : page) {
      auto a = parse_address(text);
      if (a && matcher.add(*a, user)) ++loaded;
    }
    cursor = next;
  } while (!cursor.empty() && !stopping.load());
  addresses_loaded = true;
  say(log_level::info, "chain: watching deposit_addresses=" + std::to_string(loaded));
}

result<std::string> service::deposit_address(domain::user_id user) {
  impl& s = *impl_;
  if (!s.account) return make_error(errc::chain_not_configured, "deposit addresses need TELEPAY_CHAIN_XPUB");
  TELEPAY_TRY(a, chain::deposit_address(*s.account, user.value()));
  const deposit_path path = deposit_path_of(user.value());
  const std::string text = to_checksummed(a);
  auto recorded = s.client.ask_and_wait<actors::entity_reply>(actors::user_admin_request{
      user,
      domain::user::assign_deposit_address{s.options.chain_id, text,
                                           std::to_string(path.high) + "/" + std::to_string(path.low)},
      wall_us()});
  if (!recorded) return recorded.error();
  std::unique_lock lock(s.matcher_mutex);
  s.matcher.add(a, user.value());
  return text;
}

void service::handle_deposit_address(std::int64_t user_id, bool assign, http::responder reply) {
  auto self = impl_;
  auto user = domain::make_user_id(user_id);
  if (!user) {
    reply(http::error_response(400, errc_name(user.code()), user.error().message));
    return;
  }
  self->post([this, self, assign, user = *user, reply = std::move(reply)] {
    const auto assigned = [&]() -> result<std::string> {
      if (assign) return deposit_address(user);
      if (!self->account) return make_error(errc::chain_not_configured, "deposit addresses need TELEPAY_CHAIN_XPUB");
      TELEPAY_TRY(state, self->client.ask_and_wait<domain::user::state>(actors::user_query{user}));
      if (!state.is_registered) {
        return make_error(errc::user_not_registered, "user " + std::to_string(user.value()) + " is not registered");
      }
      const auto found = state.deposit_addresses.find(self->options.chain_id);
      if (found == state.deposit_addresses.end()) {
        return make_error(errc::not_found, "no deposit address is assigned to user " + std::to_string(user.value()) +
                                               " yet; POST /v1/admin/users/" + std::to_string(user.value()) +
                                               "/deposit-address assigns one");
      }
      return found->second;
    };
    auto a = assigned();
    if (!a) {
      reply(http::error_response(status_for(a.code()), errc_name(a.code()), a.error().message));
      return;
    }
    const deposit_path path = deposit_path_of(user.value());
    std::string body = "{\"address\":";
    append_json_string(body, *a);
    body += ",\"chain_id\":" + std::to_string(self->options.chain_id) + ",\"path\":";
    append_json_string(body, std::to_string(path.high) + "/" + std::to_string(path.low));
    body += ",\"token\":";
    append_json_string(body, to_checksummed(self->token));
    body += ",\"user_id\":" + std::to_string(user.value()) + "}";
    reply(http::json_response(200, std::move(body)));
  });
}

// ---- lifecycle ----

service::service(std::shared_ptr<impl> state) : impl_(std::move(state)) {}

service::~service() { stop(); }

result<std::unique_ptr<service>> service::start(actors::ledger_client& client, const actors::ledger_reads& reads,
                                                service_options options) {
  if (options.rpc_urls.empty()) return make_error(errc::invalid_argument, "the chain needs an RPC URL");
  if (options.chain_id == 0) return make_error(errc::invalid_argument, "chain id must not be zero");
  if (options.token_decimals != domain::asset_scale(domain::asset::usdt)) {
    return make_error(errc::invalid_argument, "the ledger keeps USDT with 18 decimals; token_decimals must be 18");
  }
  if (options.confirmations == 0 || options.payout_confirmations == 0) {
    return make_error(errc::invalid_argument, "confirmations must be at least 1");
  }
  if (options.tx_type != 0 && options.tx_type != 2) {
    return make_error(errc::invalid_argument, "tx_type must be 0 (legacy) or 2 (EIP-1559)");
  }
  // Fees are multiplied by gas limits and bumped by 10% per replacement; the bound keeps
  // every such product far inside 128 bits and refuses a cap no operator means.
  if (options.max_fee_per_gas == 0 || options.max_fee_per_gas > fee_per_gas_max ||
      options.priority_fee_per_gas > fee_per_gas_max) {
    return make_error(errc::invalid_argument, "max_fee_per_gas must be 1.." + u128_to_string(fee_per_gas_max) +
                                                  " wei and priority_fee_per_gas at most that");
  }
  auto state = std::make_shared<impl>(std::move(options), client, reads);
  TELEPAY_TRY(token, parse_address(state->options.token));
  state->token = token;
  if (!state->options.xpub.empty()) {
    TELEPAY_TRY(account, parse_xpub(state->options.xpub));
    state->account = account;
  }
  if (state->options.hot_key) state->hot = address_of(*state->options.hot_key);
  // Fail fast on a bad URL or CA file.
  TELEPAY_TRY(probe, rpc_client::create(rpc_options_of(state->options), state->counters));
  (void)probe;
  std::unique_ptr<service> out(new service(state));
  state->watcher = std::thread([state] { state->watch(); });
  if (state->hot) state->sender = std::thread([state] { state->send_loop(); });
  state->jobs_thread = std::thread([state] {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(state->jobs_mutex);
        state->jobs_ready.wait(lock, [&] { return state->stopping.load() || !state->jobs.empty(); });
        if (state->jobs.empty()) return;
        job = std::move(state->jobs.front());
        state->jobs.pop_front();
      }
      job();
    }
  });
  return out;
}

void service::request_rescan(std::uint64_t from_block, std::string by) {
  {
    std::lock_guard lock(impl_->status_mutex);
    impl_->rescan_by = std::move(by);
  }
  impl_->rescan_from = from_block;
  impl_->rescan_requested = true;
  impl_->wake.notify_all();
}

std::string service::refusal() const {
  std::lock_guard lock(impl_->status_mutex);
  return impl_->refusal_text.empty() ? "" : "refused: " + impl_->refusal_text;
}

std::string service::status_json() const {
  const impl& s = *impl_;
  std::string out = "{\"chain_id\":" + std::to_string(s.options.chain_id) + ",\"confirmations\":" +
                    std::to_string(s.options.confirmations) + ",\"deposits\":{\"pending\":" +
                    std::to_string(s.pending_count.load()) + ",\"detected\":" +
                    std::to_string(s.deposits_detected.load()) + ",\"credited\":" +
                    std::to_string(s.deposits_credited.load()) + ",\"orphaned\":" +
                    std::to_string(s.deposits_orphaned.load()) + "},\"finalized\":" +
                    std::to_string(s.finalized.load()) + ",\"head\":" + std::to_string(s.head.load()) +
                    ",\"hot_wallet\":";
  if (s.hot) {
    out += "{\"address\":";
    append_json_string(out, to_checksummed(*s.hot));
    out += ",\"held_sends\":" + std::to_string(s.sends_held.load()) + ",\"next_nonce\":" +
           std::to_string(s.next_nonce.load()) + ",\"open_sends\":" + std::to_string(s.open_sends.load()) +
           ",\"short_of_funds\":" + (s.hot_wallet_short.load() ? "true" : "false") + "}";
  } else {
    out += "null";
  }
  std::string error_text;
  std::string refusal_text;
  {
    std::lock_guard lock(s.status_mutex);
    error_text = s.last_error;
    refusal_text = s.refusal_text;
  }
  out += ",\"last_error\":";
  append_json_string(out, error_text);
  out += ",\"node\":";
  append_json_string(out, s.refused.load() ? "refused: " + refusal_text : (s.checked.load() ? "checked" : "waiting"));
  out += ",\"rescan\":";
  if (s.rescan_active.load()) {
    std::string by;
    {
      std::lock_guard lock(s.status_mutex);
      by = s.rescan_status_by;
    }
    out += "{\"by\":";
    append_json_string(out, by);
    out += ",\"from\":" + std::to_string(s.rescan_status_from.load()) + ",\"next\":" +
           std::to_string(s.rescan_status_next.load()) + ",\"to\":" + std::to_string(s.rescan_status_to.load()) + "}";
  } else {
    out += "null";
  }
  out += ",\"scanned_to\":" + std::to_string(s.scanned_to.load()) + ",\"token\":";
  append_json_string(out, to_checksummed(s.token));
  out += ",\"watched_addresses\":";
  {
    std::shared_lock lock(s.matcher_mutex);
    out += std::to_string(s.matcher.size());
  }
  out += "}";
  return out;
}

std::string service::metrics_text() const {
  const impl& s = *impl_;
  std::string out;
  auto gauge = [&](const char* name, std::uint64_t v) {
    out += std::string(name) + " " + std::to_string(v) + "\n";
  };
  out += "# TYPE telepay_chain_head gauge\n";
  gauge("telepay_chain_head", s.head.load());
  gauge("telepay_chain_finalized", s.finalized.load());
  gauge("telepay_chain_scanned_to", s.scanned_to.load());
  gauge("telepay_chain_deposits_pending", s.pending_count.load());
  gauge("telepay_chain_logs_seen_total", s.logs_seen.load());
  out += "# TYPE telepay_chain_deposits_total counter\n";
  out += "telepay_chain_deposits_total{outcome=\"detected\"} " + std::to_string(s.deposits_detected.load()) + "\n";
  out += "telepay_chain_deposits_total{outcome=\"confirmed\"} " + std::to_string(s.deposits_confirmed.load()) + "\n";
  out += "telepay_chain_deposits_total{outcome=\"credited\"} " + std::to_string(s.deposits_credited.load()) + "\n";
  out += "telepay_chain_deposits_total{outcome=\"orphaned\"} " + std::to_string(s.deposits_orphaned.load()) + "\n";
  out += "telepay_chain_deposits_total{outcome=\"refused\"} " + std::to_string(s.deposits_refused.load()) + "\n";
  gauge("telepay_chain_reorgs_total", s.reorgs.load());
  out += "# HELP telepay_chain_rescan_remaining_blocks Blocks an operator's rescan has still to read (0: none runs).\n";
  const std::uint64_t rescan_to = s.rescan_status_to.load();
  const std::uint64_t rescan_next = std::min(rescan_to, s.rescan_status_next.load());
  gauge("telepay_chain_rescan_remaining_blocks", s.rescan_active.load() ? rescan_to - rescan_next : 0);
  out += "# TYPE telepay_chain_sends_total counter\n";
  out += "telepay_chain_sends_total{outcome=\"signed\"} " + std::to_string(s.sends_signed.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"replaced\"} " + std::to_string(s.sends_replaced.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"broadcast\"} " + std::to_string(s.sends_broadcast.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"mined\"} " + std::to_string(s.sends_mined_ok.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"reverted\"} " + std::to_string(s.sends_mined_failed.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"abandoned\"} " + std::to_string(s.sends_abandoned.load()) + "\n";
  out += "# HELP telepay_chain_receipts_disputed_total A second endpoint contradicted a reverted receipt or a "
         "taken nonce.\n";
  gauge("telepay_chain_receipts_disputed_total", s.receipts_disputed.load());
  out += "# HELP telepay_chain_sends_held Sends waiting because the hot wallet lacks token or gas funds (alert).\n";
  gauge("telepay_chain_sends_held", s.sends_held.load());
  gauge("telepay_chain_hot_wallet_insufficient_funds", s.hot_wallet_short.load());
  gauge("telepay_chain_next_nonce", s.next_nonce.load());
  out += "# TYPE telepay_chain_rpc_total counter\n";
  out += "telepay_chain_rpc_total{result=\"call\"} " + std::to_string(s.counters->calls.load()) + "\n";
  out += "telepay_chain_rpc_total{result=\"no_answer\"} " + std::to_string(s.counters->no_answer.load()) + "\n";
  out += "telepay_chain_rpc_total{result=\"malformed\"} " + std::to_string(s.counters->malformed.load()) + "\n";
  out += "telepay_chain_rpc_total{result=\"node_error\"} " + std::to_string(s.counters->node_errors.load()) + "\n";
  out += "telepay_chain_rpc_total{result=\"failover\"} " + std::to_string(s.counters->failovers.load()) + "\n";
  gauge("telepay_chain_node_refused", s.refused.load() ? 1u : 0u);
  return out;
}

void service::stop() {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;
  s.wake.notify_all();
  s.jobs_ready.notify_all();
  if (s.watcher.joinable()) s.watcher.join();
  if (s.sender.joinable()) s.sender.join();
  if (s.jobs_thread.joinable()) s.jobs_thread.join();
}

}  // namespace telepay::gateways::chain
