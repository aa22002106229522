// The chain gateway: lifecycle, the deposit watcher and the job thread (the sender is in
// sender.cpp).

#include "gateways/chain/service.hpp"

#include <algorithm>

#include "domain/base/json.hpp"
#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/service_impl.hpp"

namespace telepay::gateways::chain {
namespace {

namespace cd = domain::chain_deposit;

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

rpc_options rpc_options_of(const service_options& o) {
  rpc_options r;
  r.urls = o.rpc_urls;
  r.http = o.http;
  return r;
}

/// The HTTP status of each error code for the deposit-address endpoint. No default: a new
/// code does not compile until it is placed. What is not the caller's fault is 503 (retry).
unsigned status_for(errc code) {
  switch (code) {
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
    case errc::not_found:
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
    case errc::send_state_invalid: return 503;
  }
  return 503;  // not reached: every code is listed above
}

std::string lower_hex(const hash256& h) { return to_data(h); }

}  // namespace

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

void service::handle_deposit_address(std::int64_t user_id, http::responder reply) {
  auto self = impl_;
  auto user = domain::make_user_id(user_id);
  if (!user) {
    reply(http::error_response(400, errc_name(user.code()), user.error().message));
    return;
  }
  self->post([this, self, user = *user, reply = std::move(reply)] {
    auto a = deposit_address(user);
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

// ---- the watcher ----

void service::impl::watch() {
  auto rpc = rpc_client::create(rpc_options_of(options), counters);
  if (!rpc) {
    note_error(rpc.error().message);
    return;
  }
  if (!wait_for_node(**rpc)) return;
  load_addresses();
  while (!stopping.load()) {
    tick(**rpc);
    if (!pause(options.poll_every)) break;
  }
  checkpoint("stop", true);
}

void service::impl::tick(rpc_client& rpc) {
  if (!cursor_known) {
    auto st = client.ask_and_wait<domain::chain_scan::state>(actors::chain_scan_query{options.chain_id});
    if (!st) {
      note_error("reading the scan cursor: " + st.error().message);
      return;
    }
    if (st->exists) {
      next_block = st->resume_block;
      recorded_resume = st->resume_block;
      recorded_scanned = st->scanned_to;
    } else {
      auto head_now = rpc.block_number();
      if (!head_now) {
        note_error(head_now.error().message);
        return;
      }
      next_block = options.start_block.value_or(*head_now);
    }
    cursor_known = true;
    say(log_level::info, "chain: scanning from block " + std::to_string(next_block));
    if (!st->exists) checkpoint("start", true);
  }
  if (rescan_requested.exchange(false)) {
    // Only backwards: skipping blocks ahead of the cursor would lose their deposits.
    next_block = std::min(next_block, rescan_from.load());
    tracker.forget_from(next_block);
    std::string by;
    {
      std::lock_guard lock(status_mutex);
      by = rescan_by;
    }
    checkpoint("rescan by " + by, true, true);
    say(log_level::info, "chain: rescanning from block " + std::to_string(next_block) + " for " + by);
  }
  auto head_now = rpc.block_number();
  if (!head_now) {
    note_error("eth_blockNumber: " + head_now.error().message);
    return;
  }
  head = *head_now;
  const std::uint64_t fin = finalized_or_depth(rpc, *head_now, options.confirmations);
  finalized = fin;
  if (!follow_reorgs(rpc)) return;
  if (window == 0) window = std::max<std::uint64_t>(options.scan_window, 1);
  for (int windows = 0; windows < 20 && next_block <= *head_now && !stopping.load(); ++windows) {
    const std::uint64_t to = scan_range_end(next_block, window, *head_now);
    const std::uint64_t before = next_block;
    scan_range(rpc, next_block, to);
    if (next_block == before) break;  // the range failed; try again next tick
  }
  settle_pending(rpc, *head_now, fin);
  pending_count = pending.size();
  checkpoint("progress", false);
}

bool service::impl::follow_reorgs(rpc_client& rpc) {
  const auto top = tracker.highest();
  if (!top) return true;
  auto now = rpc.block(*top);
  if (!now) {
    note_error("reading block " + std::to_string(*top) + ": " + now.error().message);
    return false;
  }
  if (now->has_value() && (*now)->hash == *tracker.known(*top)) return true;
  return rewind_after_reorg(rpc, "below block " + std::to_string(*top));
}

bool service::impl::rewind_after_reorg(rpc_client& rpc, const std::string& where) {
  reorgs += 1;
  // Walk down the remembered blocks to the highest that is still canonical.
  std::optional<std::uint64_t> common;
  std::uint64_t lowest = next_block;
  for (const auto& [number, hash] : tracker.descending()) {
    lowest = number;
    auto b = rpc.block(number);
    if (!b) return false;
    if (b->has_value() && (*b)->hash == hash) {
      common = number;
      break;
    }
  }
  // None matches: everything remembered changed; rescan from the lowest of them.
  const std::uint64_t resume = common ? *common + 1 : lowest;
  say(log_level::warn, "chain: reorg " + where + ", rescanning from block " + std::to_string(resume));
  tracker.forget_from(resume);
  next_block = std::min(next_block, resume);
  // Sightings in dropped blocks: orphaned now, whatever their depth.
  for (auto it = pending.begin(); it != pending.end();) {
    pending_deposit& p = it->second;
    if (p.block < resume || p.confirmed) {
      ++it;
      continue;
    }
    auto b = rpc.block(p.block);
    if (!b) return false;
    if (b->has_value() && (*b)->hash == p.block_hash) {
      ++it;
      continue;
    }
    const std::string canonical = b->has_value() ? lower_hex((*b)->hash) : "";
    auto r = client.ask_and_wait<cd::state>(
        actors::chain_deposit_request{p.key, cd::orphan{lower_hex(p.block_hash), canonical}, wall_us()});
    if (!r) {
      note_error("orphaning " + p.key.tx_hash + ": " + r.error().message);
      return false;
    }
    deposits_orphaned += 1;
    say(log_level::warn, "chain: deposit orphaned tx=" + p.key.tx_hash + " block=" + std::to_string(p.block));
    it = pending.erase(it);
  }
  checkpoint("reorg " + where, true);
  return true;
}

void service::impl::scan_range(rpc_client& rpc, std::uint64_t from, std::uint64_t to) {
  auto before = rpc.block(to);
  if (!before || !before->has_value()) {
    note_error("reading block " + std::to_string(to) + (before ? ": none" : ": " + before.error().message));
    return;
  }
  const hash256 to_hash = (*before)->hash;
  // The range must continue the chain already scanned: its first block's parent is the last
  // block remembered. Otherwise a reorg happened between two reads.
  if (from > 0) {
    if (const auto previous = tracker.known(from - 1)) {
      auto first = from == to ? before : rpc.block(from);
      if (!first || !first->has_value()) return;
      if ((*first)->parent_hash != *previous) {
        rewind_after_reorg(rpc, "at block " + std::to_string(from));
        return;
      }
    }
  }
  std::vector<rpc::log_entry> logs;
  std::size_t watched = 0;
  {
    std::shared_lock lock(matcher_mutex);
    watched = matcher.size();
  }
  if (watched > 0) {
    auto got = rpc.logs(rpc::transfer_logs_filter(token, from, to, {}));
    if (!got) {
      note_error("eth_getLogs " + std::to_string(from) + ".." + std::to_string(to) + ": " + got.error().message);
      // Providers cap replies by size or count: ask for fewer blocks next time.
      window = halved_window(from, to);
      window_successes = 0;
      return;
    }
    if (window < options.scan_window && ++window_successes >= 8) {
      window = std::min(options.scan_window, window * 2);
      window_successes = 0;
    }
    logs = std::move(*got);
    // The range must still end in the block it ended in before the logs were read.
    auto after = rpc.block(to);
    if (!after || !after->has_value() || (*after)->hash != to_hash) return;
    for (const auto& l : logs) {
      if (l.block_number < from || l.block_number > to || (l.block_number == to && l.block_hash != to_hash)) {
        note_error("eth_getLogs returned a log outside the range asked for; rescanning");
        return;
      }
    }
  }
  logs_seen += logs.size();
  std::vector<deposit_hit> hits;
  std::vector<deposit_miss> misses;
  {
    std::shared_lock lock(matcher_mutex);
    hits = matcher.match(logs, token, &misses);
  }
  for (const auto& m : misses) {
    say(log_level::warn, "chain: not a deposit tx=" + lower_hex(m.log->transaction_hash) + " log_index=" +
                             std::to_string(m.log->log_index) + ": " + m.reason);
  }
  for (const auto& h : hits) {
    const cd::key key{options.chain_id, lower_hex(h.log->transaction_hash), h.log->log_index};
    cd::sighting seen{h.log->block_number, lower_hex(h.log->block_hash), to_lower_hex(token), to_lower_hex(h.from),
                      to_lower_hex(h.to), domain::user_id(h.user), domain::amount(domain::asset::usdt, h.value)};
    auto r = client.ask_and_wait<cd::state>(actors::chain_deposit_request{key, cd::detect{seen}, wall_us()});
    if (!r) {
      if (actors::is_transient(r.code())) {
        note_error("recording deposit " + key.tx_hash + ": " + r.error().message);
        return;  // the range is scanned again
      }
      deposits_refused += 1;
      say(log_level::error, "chain: deposit refused tx=" + key.tx_hash + " log_index=" +
                                std::to_string(key.log_index) + ": " + r.error().message);
      continue;
    }
    if (r->status == cd::status_kind::detected || r->status == cd::status_kind::confirmed) {
      // The ledger wrote the hash as hex; only a tampered log holds anything else, and such a
      // deposit is left alone (never confirmed or credited from here) rather than trapping.
      const auto recorded_hash = parse_hash(r->seen.block_hash);
      if (!recorded_hash) {
        deposits_refused += 1;
        say(log_level::error, "chain: deposit has an unreadable block hash in the ledger tx=" + key.tx_hash +
                                  " log_index=" + std::to_string(key.log_index));
        continue;
      }
      const bool fresh = !pending.contains(cd::stream(key));
      pending[cd::stream(key)] =
          pending_deposit{key, r->seen.block_number, *recorded_hash, r->status == cd::status_kind::confirmed};
      if (fresh) deposits_detected += 1;
    }
  }
  tracker.remember(to, to_hash);
  next_block = to + 1;
  scanned_to = to;
}

void service::impl::settle_pending(rpc_client& rpc, std::uint64_t head_now, std::uint64_t finalized_now) {
  for (auto it = pending.begin(); it != pending.end() && !stopping.load();) {
    pending_deposit& p = it->second;
    if (!p.confirmed) {
      if (!cd::deep_enough(p.block, head_now, finalized_now, options.confirmations)) {
        ++it;
        continue;
      }
      auto b = rpc.block(p.block);
      if (!b) {
        note_error("re-reading block " + std::to_string(p.block) + ": " + b.error().message);
        ++it;
        continue;
      }
      if (!b->has_value() || (*b)->hash != p.block_hash) {
        const std::string canonical = b->has_value() ? lower_hex((*b)->hash) : "";
        auto r = client.ask_and_wait<cd::state>(
            actors::chain_deposit_request{p.key, cd::orphan{lower_hex(p.block_hash), canonical}, wall_us()});
        if (!r) {
          ++it;
          continue;
        }
        deposits_orphaned += 1;
        say(log_level::warn, "chain: deposit orphaned tx=" + p.key.tx_hash + " block=" + std::to_string(p.block));
        next_block = std::min(next_block, p.block);  // re-read: it may be in another block now
        tracker.forget_from(p.block);
        it = pending.erase(it);
        checkpoint("orphaned deposit", true);
        continue;
      }
      auto r = client.ask_and_wait<cd::state>(actors::chain_deposit_request{
          p.key, cd::confirm{lower_hex(p.block_hash), head_now, finalized_now, options.confirmations}, wall_us()});
      if (!r) {
        note_error("confirming " + p.key.tx_hash + ": " + r.error().message);
        ++it;
        continue;
      }
      deposits_confirmed += 1;
      p.confirmed = true;
    }
    auto credited = client.ask_and_wait<actors::process_reply>(actors::chain_deposit_credit_request{p.key, wall_us()});
    if (!credited) {
      if (actors::is_transient(credited.code())) {
        ++it;
        continue;
      }
      deposits_refused += 1;
      say(log_level::error, "chain: deposit not credited tx=" + p.key.tx_hash + ": " + credited.error().message);
      it = pending.erase(it);
      continue;
    }
    deposits_credited += 1;
    say(log_level::info, "chain: deposit credited tx=" + p.key.tx_hash + " log_index=" +
                             std::to_string(p.key.log_index));
    it = pending.erase(it);
  }
}

void service::impl::checkpoint(const std::string& reason, bool force, bool record_always) {
  if (!cursor_known) return;
  std::uint64_t resume = next_block;
  for (const auto& [stream, p] : pending) resume = std::min(resume, p.block);
  const std::uint64_t scanned = next_block == 0 ? 0 : next_block - 1;
  const std::int64_t now = wall_us();
  const bool changed = resume != recorded_resume || scanned != recorded_scanned;
  if (!force && (!changed || now - recorded_at_us < 30'000'000)) return;
  const auto hash = tracker.known(scanned);
  auto r = client.ask_and_wait<actors::entity_reply>(actors::chain_scan_request{
      options.chain_id,
      domain::chain_scan::checkpoint{std::min(resume, scanned + 1), scanned, hash ? lower_hex(*hash) : "", reason,
                                     record_always},
      now});
  if (!r) {
    note_error("recording the scan cursor: " + r.error().message);
    return;
  }
  recorded_resume = resume;
  recorded_scanned = scanned;
  recorded_at_us = now;
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
  out += "# TYPE telepay_chain_sends_total counter\n";
  out += "telepay_chain_sends_total{outcome=\"signed\"} " + std::to_string(s.sends_signed.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"replaced\"} " + std::to_string(s.sends_replaced.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"broadcast\"} " + std::to_string(s.sends_broadcast.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"mined\"} " + std::to_string(s.sends_mined_ok.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"reverted\"} " + std::to_string(s.sends_mined_failed.load()) + "\n";
  out += "telepay_chain_sends_total{outcome=\"abandoned\"} " + std::to_string(s.sends_abandoned.load()) + "\n";
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
