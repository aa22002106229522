#include "domain/chain_deposit.hpp"

#include <algorithm>

#include "domain/base/visit.hpp"

namespace telepay::domain {
namespace {

bool is_lower_hex(std::string_view text, std::size_t digits) {
  if (text.size() != digits + 2 || text[0] != '0' || text[1] != 'x') return false;
  for (char c : text.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

error invalid(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

}  // namespace

bool is_hash_text(std::string_view text) { return is_lower_hex(text, 64); }
bool is_address_text(std::string_view text) { return is_lower_hex(text, 40); }

namespace chain_deposit {
namespace {

error bad_state(const state& s, std::string why) {
  return make_error(errc::deposit_state_invalid, "deposit " + s.where.tx_hash + ":" +
                                                     std::to_string(s.where.log_index) + " " + std::move(why));
}

status check_sighting(const sighting& seen) {
  if (!is_hash_text(seen.block_hash)) return invalid("block hash must be 0x + 64 lower-case hex digits");
  if (!is_address_text(seen.token) || !is_address_text(seen.from) || !is_address_text(seen.to)) {
    return invalid("addresses must be 0x + 40 lower-case hex digits");
  }
  if (seen.user.value() <= 0) return invalid("a deposit belongs to a user");
  if (seen.value.currency() != asset::usdt || seen.value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "a deposit is a positive USDT amount");
  }
  return {};
}

}  // namespace

status check_key(const key& k) {
  if (k.chain_id == 0) return invalid("chain id must not be zero");
  if (!is_hash_text(k.tx_hash)) return invalid("transaction hash must be 0x + 64 lower-case hex digits");
  return {};
}

std::string stream(const key& k) {
  return "deposit-" + std::to_string(k.chain_id) + "-" + k.tx_hash + "-" + std::to_string(k.log_index);
}

std::string deposit_id(const key& k) {
  // 160 bits of the transaction hash keep ids unique while fitting the 64-character limit.
  return "c" + std::to_string(k.chain_id) + "-" + k.tx_hash.substr(2, 40) + "-" + std::to_string(k.log_index);
}

std::string_view status_name(status_kind s) {
  switch (s) {
    case status_kind::none: return "none";
    case status_kind::detected: return "detected";
    case status_kind::orphaned: return "orphaned";
    case status_kind::confirmed: return "confirmed";
  }
  return "";
}

bool deep_enough(std::uint64_t block, std::uint64_t head, std::uint64_t finalized, std::uint64_t required) {
  return head >= block && head - block + 1 >= required && block <= finalized;
}

void detected::write(json_object_writer& w) const {
  w.money("amount", seen.value)
      .str("asset", asset_code(seen.value.currency()))
      .str("block_hash", seen.block_hash)
      .u64("block_number", seen.block_number)
      .u64("chain_id", where.chain_id)
      .str("from", seen.from)
      .u64("log_index", where.log_index)
      .str("to", seen.to)
      .str("token", seen.token)
      .str("tx_hash", where.tx_hash)
      .i64("user", seen.user.value());
}

result<detected> detected::read(const json_value& v) {
  detected d;
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(chain_id, v.u64("chain_id"));
  TELEPAY_TRY(from, v.str("from"));
  TELEPAY_TRY(log_index, v.u64("log_index"));
  TELEPAY_TRY(to, v.str("to"));
  TELEPAY_TRY(token, v.str("token"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  TELEPAY_TRY(user, v.i64("user"));
  d.where = key{chain_id, std::move(tx_hash), log_index};
  d.seen = sighting{block_number, std::move(block_hash), std::move(token), std::move(from), std::move(to),
                    user_id(user), value};
  return d;
}

void orphaned::write(json_object_writer& w) const {
  w.str("block_hash", block_hash).u64("block_number", block_number).str("canonical_hash", canonical_hash);
}

result<orphaned> orphaned::read(const json_value& v) {
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(canonical_hash, v.str("canonical_hash"));
  return orphaned{block_number, std::move(block_hash), std::move(canonical_hash)};
}

void confirmed::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("block_hash", block_hash)
      .u64("block_number", block_number).u64("finalized", finalized).u64("head", head).i64("user", user.value());
}

result<confirmed> confirmed::read(const json_value& v) {
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(finalized, v.u64("finalized"));
  TELEPAY_TRY(head, v.u64("head"));
  TELEPAY_TRY(user, v.i64("user"));
  return confirmed{block_number, std::move(block_hash), user_id(user), value, head, finalized};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  TELEPAY_CHECK(check_key(s.where));
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const detect& d) -> decision {
            TELEPAY_CHECK(check_sighting(d.seen));
            // In one block a log cannot change. After a reorg the same transaction may land in
            // another block where its log indexes differ, so an orphaned sighting takes new content.
            if ((s.status == status_kind::detected || s.status == status_kind::confirmed) &&
                d.seen.block_hash == s.seen.block_hash &&
                (d.seen.user != s.seen.user || d.seen.value != s.seen.value || d.seen.to != s.seen.to ||
                 d.seen.token != s.seen.token)) {
              return invalid("a log cannot change its recipient, token or amount");
            }
            switch (s.status) {
              case status_kind::none:
              case status_kind::orphaned: return std::vector<event>{detected{s.where, d.seen}};
              case status_kind::confirmed: return std::vector<event>{};
              case status_kind::detected:
                if (d.seen.block_hash == s.seen.block_hash) return std::vector<event>{};
                return std::vector<event>{orphaned{s.seen.block_number, s.seen.block_hash, ""}, detected{s.where, d.seen}};
            }
            return std::vector<event>{};
          },
          [&](const orphan& o) -> decision {
            if (s.status != status_kind::detected || o.block_hash != s.seen.block_hash) return std::vector<event>{};
            if (o.canonical_hash == s.seen.block_hash) return invalid("the canonical hash is the detected one");
            return std::vector<event>{orphaned{s.seen.block_number, s.seen.block_hash, o.canonical_hash}};
          },
          [&](const confirm& cf) -> decision {
            if (s.status == status_kind::confirmed) return std::vector<event>{};
            if (s.status != status_kind::detected) return bad_state(s, "is " + std::string(status_name(s.status)));
            if (cf.block_hash != s.seen.block_hash) return bad_state(s, "was detected in another block");
            if (cf.required == 0) return invalid("at least one confirmation is required");
            if (!deep_enough(s.seen.block_number, cf.head, cf.finalized, cf.required)) {
              return bad_state(s, "in block " + std::to_string(s.seen.block_number) + " is not " +
                                      std::to_string(cf.required) + " deep and finalized (head " + std::to_string(cf.head) +
                                      ", finalized " + std::to_string(cf.finalized) + ")");
            }
            return std::vector<event>{
                confirmed{s.seen.block_number, s.seen.block_hash, s.seen.user, s.seen.value, cf.head, cf.finalized}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const detected& d) {
                   s.status = status_kind::detected;
                   s.seen = d.seen;
                   s.sightings += 1;
                 },
                 [&](const orphaned&) { s.status = status_kind::orphaned; },
                 [&](const confirmed&) { s.status = status_kind::confirmed; },
             },
             e);
}

std::string idempotency_key(const state&, const command&) {
  // Idempotent by state: a repeated sighting, orphaning or confirmation decides no events.
  return "";
}

}  // namespace chain_deposit

namespace chain_scan {

std::string stream(std::uint64_t chain_id) { return "chainscan-" + std::to_string(chain_id); }

void checkpointed::write(json_object_writer& w) const {
  w.str("reason", reason).u64("resume_block", resume_block).str("scanned_hash", scanned_hash).u64("scanned_to",
                                                                                                  scanned_to);
}

result<checkpointed> checkpointed::read(const json_value& v) {
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(resume_block, v.u64("resume_block"));
  TELEPAY_TRY(scanned_hash, v.str("scanned_hash"));
  TELEPAY_TRY(scanned_to, v.u64("scanned_to"));
  return checkpointed{resume_block, scanned_to, std::move(scanned_hash), std::move(reason)};
}

void rescan_started::write(json_object_writer& w) const {
  w.str("by", by).u64("from_block", from_block).u64("next_block", next_block).u64("to_block", to_block);
}

result<rescan_started> rescan_started::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(from_block, v.u64("from_block"));
  TELEPAY_TRY(next_block, v.u64("next_block"));
  TELEPAY_TRY(to_block, v.u64("to_block"));
  if (from_block > next_block || next_block > to_block) {
    return make_error(errc::event_decode_failed, "chain_scan.rescan_started: from <= next <= to does not hold");
  }
  return rescan_started{from_block, next_block, to_block, std::move(by)};
}

void rescan_progressed::write(json_object_writer& w) const { w.u64("next_block", next_block); }

result<rescan_progressed> rescan_progressed::read(const json_value& v) {
  TELEPAY_TRY(next_block, v.u64("next_block"));
  return rescan_progressed{next_block};
}

void rescan_finished::write(json_object_writer& w) const {
  w.u64("from_block", from_block).u64("to_block", to_block);
}

result<rescan_finished> rescan_finished::read(const json_value& v) {
  TELEPAY_TRY(from_block, v.u64("from_block"));
  TELEPAY_TRY(to_block, v.u64("to_block"));
  return rescan_finished{from_block, to_block};
}

namespace {

using decision = result<std::vector<event>>;

decision decide_checkpoint(const state& s, const checkpoint& cp) {
  if (cp.resume_block > cp.scanned_to + 1) return invalid("the resume block is beyond what was scanned");
  if (!cp.scanned_hash.empty() && !is_hash_text(cp.scanned_hash)) return invalid("scanned hash is malformed");
  if (cp.reason.empty() || cp.reason.size() > 200) return invalid("a checkpoint needs a reason (1-200 bytes)");
  if (!cp.record_always && s.exists && s.resume_block == cp.resume_block && s.scanned_to == cp.scanned_to &&
      s.scanned_hash == cp.scanned_hash) {
    return std::vector<event>{};
  }
  return std::vector<event>{checkpointed{cp.resume_block, cp.scanned_to, cp.scanned_hash, cp.reason}};
}

decision decide_start(const state& s, const start_rescan& r) {
  if (r.by.empty() || r.by.size() > 200) return invalid("a rescan names who asked (1-200 bytes)");
  if (!s.rescan) {
    if (r.from_block >= r.live_next) return std::vector<event>{};
    return std::vector<event>{rescan_started{r.from_block, r.from_block, r.live_next, r.by}};
  }
  // What is left of the running one, and what is asked now: one range covering both.
  const rescan_cursor& running = *s.rescan;
  const std::uint64_t to = std::max(running.to_block, r.live_next);
  const std::uint64_t next = std::min(running.next_block, r.from_block);
  const std::uint64_t from = std::min(running.from_block, next);
  if (next == running.next_block && to == running.to_block) return std::vector<event>{};
  return std::vector<event>{rescan_started{from, next, to, r.by}};
}

decision decide_progress(const state& s, const record_rescan& r) {
  if (!s.rescan) return std::vector<event>{};
  const rescan_cursor& running = *s.rescan;
  if (r.next_block < running.next_block) return invalid("a rescan cursor only moves forward");
  if (r.next_block > running.to_block) return invalid("a rescan ends at block " + std::to_string(running.to_block));
  std::vector<event> out;
  if (r.next_block != running.next_block) out.emplace_back(rescan_progressed{r.next_block});
  if (r.next_block == running.to_block) out.emplace_back(rescan_finished{running.from_block, running.to_block});
  return out;
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (s.chain_id == 0) return invalid("chain id must not be zero");
  return std::visit(overload{
                        [&](const checkpoint& cp) -> decision { return decide_checkpoint(s, cp); },
                        [&](const start_rescan& r) -> decision { return decide_start(s, r); },
                        [&](const record_rescan& r) -> decision { return decide_progress(s, r); },
                    },
                    c);
}

void evolve(state& s, const event& e) {
  s.exists = true;
  std::visit(overload{
                 [&](const checkpointed& cp) {
                   s.resume_block = cp.resume_block;
                   s.scanned_to = cp.scanned_to;
                   s.scanned_hash = cp.scanned_hash;
                 },
                 [&](const rescan_started& r) {
                   s.rescan = rescan_cursor{r.from_block, r.next_block, r.to_block, r.by};
                 },
                 [&](const rescan_progressed& r) {
                   if (s.rescan) s.rescan->next_block = r.next_block;
                 },
                 [&](const rescan_finished&) { s.rescan.reset(); },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace chain_scan
}  // namespace telepay::domain
