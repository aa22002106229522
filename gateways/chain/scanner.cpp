// The deposit watcher: the live scan of Transfer logs from the persisted cursor, reorgs,
// confirmations and credits, and an operator's rescan on a cursor of its own, walked in the
// live scan's spare time.

#include <algorithm>

#include "gateways/chain/bounds.hpp"
#include "gateways/chain/service_impl.hpp"

namespace telepay::gateways::chain {
namespace {

namespace cd = domain::chain_deposit;

std::string lower_hex(const hash256& h) { return to_data(h); }

}  // namespace

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
  record_rescan(true);
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
      scanned_to = st->scanned_to;  // for status, until this run scans
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
    adopt_rescan(*st);
    if (rescan) {
      say(log_level::info, "chain: resuming the rescan of blocks " + std::to_string(rescan->next) + ".." +
                               std::to_string(rescan->to - 1) + " asked by " + rescan->by);
    }
  }
  // The live cursor never moves back for an operator: a rescan has its own.
  if (rescan_requested.exchange(false)) start_rescan();
  auto head_now = rpc.block_number();
  if (!head_now) {
    note_error("eth_blockNumber: " + head_now.error().message);
    return;
  }
  head = *head_now;
  const std::uint64_t fin = finalized_or_depth(rpc, *head_now, options.confirmations);
  finalized = fin;
  if (!follow_reorgs(rpc)) return;
  if (live_window.blocks == 0) live_window.blocks = std::max<std::uint64_t>(options.scan_window, 1);
  for (int windows = 0; windows < 20 && next_block <= *head_now && !stopping.load(); ++windows) {
    const std::uint64_t to = scan_range_end(next_block, live_window.blocks, *head_now);
    const std::uint64_t before = next_block;
    scan_range(rpc, next_block, to);
    if (next_block == before) break;  // the range failed; try again next tick
  }
  // Spare time: the live scan is at the head.
  if (next_block > *head_now) walk_rescan(rpc, *head_now);
  settle_pending(rpc, *head_now, fin);
  pending_count = pending.size();
  checkpoint("progress", false);
  record_rescan(false);
}

void service::impl::start_rescan() {
  std::string by;
  {
    std::lock_guard lock(status_mutex);
    by = rescan_by;
  }
  const std::uint64_t from = rescan_from.load();
  auto r = client.ask_and_wait<actors::entity_reply>(actors::chain_scan_request{
      options.chain_id, domain::chain_scan::start_rescan{from, next_block, by}, wall_us()});
  if (!r) {
    note_error("recording the rescan from block " + std::to_string(from) + ": " + r.error().message);
    if (actors::is_transient(r.code())) rescan_requested = true;  // next tick
    return;
  }
  auto st = client.ask_and_wait<domain::chain_scan::state>(actors::chain_scan_query{options.chain_id});
  if (!st) {
    note_error("reading the scan cursor: " + st.error().message);
    return;
  }
  adopt_rescan(*st);
  if (!rescan) {
    say(log_level::info, "chain: rescan from block " + std::to_string(from) + " for " + by +
                             ": nothing to rescan, the live scan has not passed it yet (next block " +
                             std::to_string(next_block) + ")");
    return;
  }
  say(log_level::info, "chain: rescanning blocks " + std::to_string(rescan->next) + ".." +
                           std::to_string(rescan->to - 1) + " for " + by + " while the live scan goes on from block " +
                           std::to_string(next_block));
}

void service::impl::adopt_rescan(const domain::chain_scan::state& st) {
  if (st.rescan) {
    rescan = rescan_run{st.rescan->from_block, st.rescan->next_block, st.rescan->to_block, st.rescan->by};
    rescan_recorded_next = st.rescan->next_block;
    rescan_recorded_at_us = wall_us();
    if (rescan_window.blocks == 0) rescan_window.blocks = std::max<std::uint64_t>(options.scan_window, 1);
  } else {
    rescan.reset();
  }
  publish_rescan();
}

void service::impl::publish_rescan() {
  if (rescan) {
    rescan_status_from = rescan->from;
    rescan_status_next = rescan->next;
    rescan_status_to = rescan->to;
    std::lock_guard lock(status_mutex);
    rescan_status_by = rescan->by;
  }
  rescan_active = rescan.has_value();
}

void service::impl::walk_rescan(rpc_client& rpc, std::uint64_t head_now) {
  // At most poll_every of reading per tick, so the live scan comes back in time.
  const auto started = std::chrono::steady_clock::now();
  for (unsigned windows = 0; windows < rescan_windows_per_tick_max && rescan && rescan->next < rescan->to &&
                             rescan->next <= head_now && !stopping.load();
       ++windows) {
    if (std::chrono::steady_clock::now() - started >= options.poll_every) break;
    const std::uint64_t to = std::min(rescan->to - 1, scan_range_end(rescan->next, rescan_window.blocks, head_now));
    if (!read_range(rpc, rescan->next, to, scan_origin::rescan, rescan_window)) break;  // next tick
    rescan->next = to + 1;
    publish_rescan();
  }
}

void service::impl::record_rescan(bool force) {
  if (!rescan) return;
  // Never past a deposit it found that is not settled: a restart must find it again.
  std::uint64_t next = rescan->next;
  for (const auto& [stream, p] : pending) {
    if (p.from_rescan) next = std::min(next, p.block);
  }
  next = std::max(next, rescan_recorded_next);  // the recorded cursor only moves forward
  const bool done = next >= rescan->to;
  const std::int64_t now = wall_us();
  if (next == rescan_recorded_next && !done) return;
  if (!force && !done && now - rescan_recorded_at_us < 10'000'000) return;
  auto r = client.ask_and_wait<actors::entity_reply>(actors::chain_scan_request{
      options.chain_id, domain::chain_scan::record_rescan{std::min(next, rescan->to)}, now});
  if (!r) {
    note_error("recording the rescan cursor: " + r.error().message);
    return;
  }
  rescan_recorded_next = next;
  rescan_recorded_at_us = now;
  if (done) {
    say(log_level::info, "chain: rescan of blocks " + std::to_string(rescan->from) + ".." +
                             std::to_string(rescan->to - 1) + " for " + rescan->by + " finished");
    rescan.reset();
    publish_rescan();
  }
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
  const auto to_hash = read_range(rpc, from, to, scan_origin::live, live_window);
  if (!to_hash) return;
  tracker.remember(to, *to_hash);
  next_block = to + 1;
  scanned_to = to;
}

std::optional<hash256> service::impl::read_range(rpc_client& rpc, std::uint64_t from, std::uint64_t to,
                                                 scan_origin origin, scan_window& w) {
  auto before = rpc.block(to);
  if (!before || !before->has_value()) {
    note_error("reading block " + std::to_string(to) + (before ? ": none" : ": " + before.error().message));
    return std::nullopt;
  }
  const hash256 to_hash = (*before)->hash;
  // The live range must continue the chain already scanned: its first block's parent is the
  // last block remembered. Otherwise a reorg happened between two reads. (A rescan reads
  // blocks the live scan passed; a reorg there is the live scan's to follow.)
  if (origin == scan_origin::live && from > 0) {
    if (const auto previous = tracker.known(from - 1)) {
      auto first = from == to ? before : rpc.block(from);
      if (!first || !first->has_value()) return std::nullopt;
      if ((*first)->parent_hash != *previous) {
        rewind_after_reorg(rpc, "at block " + std::to_string(from));
        return std::nullopt;
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
      w.blocks = halved_window(from, to);
      w.successes = 0;
      return std::nullopt;
    }
    if (w.blocks < options.scan_window && ++w.successes >= 8) {
      w.blocks = std::min(options.scan_window, w.blocks * 2);
      w.successes = 0;
    }
    logs = std::move(*got);
    // The range must still end in the block it ended in before the logs were read.
    auto after = rpc.block(to);
    if (!after || !after->has_value() || (*after)->hash != to_hash) return std::nullopt;
    for (const auto& l : logs) {
      if (l.block_number < from || l.block_number > to || (l.block_number == to && l.block_hash != to_hash)) {
        note_error("eth_getLogs returned a log outside the range asked for; rescanning");
        return std::nullopt;
      }
    }
  }
  if (!record_deposits(logs, origin)) return std::nullopt;
  return to_hash;
}

bool service::impl::record_deposits(const std::vector<rpc::log_entry>& logs, scan_origin origin) {
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
        return false;  // the range is scanned again
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
      const auto known = pending.find(cd::stream(key));
      const bool fresh = known == pending.end();
      // Seen by the live scan even once: the live cursor covers it.
      const bool from_rescan = origin == scan_origin::rescan && (fresh || known->second.from_rescan);
      pending[cd::stream(key)] = pending_deposit{key, r->seen.block_number, *recorded_hash,
                                                 r->status == cd::status_kind::confirmed, from_rescan};
      if (fresh) deposits_detected += 1;
    }
  }
  return true;
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
        // Re-read: it may be in another block now (by the cursor that found it).
        if (p.from_rescan && rescan) {
          rescan->next = std::min(rescan->next, std::max(p.block, rescan_recorded_next));
          publish_rescan();
        } else {
          next_block = std::min(next_block, p.block);
          tracker.forget_from(p.block);
        }
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

void service::impl::checkpoint(const std::string& reason, bool force) {
  if (!cursor_known) return;
  std::uint64_t resume = next_block;
  for (const auto& [stream, p] : pending) {
    if (!p.from_rescan) resume = std::min(resume, p.block);  // the rescan's cursor covers the others
  }
  const std::uint64_t scanned = next_block == 0 ? 0 : next_block - 1;
  const std::int64_t now = wall_us();
  const bool changed = resume != recorded_resume || scanned != recorded_scanned;
  if (!force && (!changed || now - recorded_at_us < 30'000'000)) return;
  const auto hash = tracker.known(scanned);
  auto r = client.ask_and_wait<actors::entity_reply>(actors::chain_scan_request{
      options.chain_id,
      domain::chain_scan::checkpoint{std::min(resume, scanned + 1), scanned, hash ? lower_hex(*hash) : "", reason,
                                     false},
      now});
  if (!r) {
    note_error("recording the scan cursor: " + r.error().message);
    return;
  }
  recorded_resume = resume;
  recorded_scanned = scanned;
  recorded_at_us = now;
}

}  // namespace telepay::gateways::chain
