#include "domain/chain_send.hpp"

#include <algorithm>
#include <functional>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/chain_deposit.hpp"

namespace telepay::domain::chain_send {
namespace {

error invalid(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }
error bad_state(std::string message) { return make_error(errc::send_state_invalid, std::move(message)); }

bool is_raw_text(std::string_view raw) {
  if (raw.size() < 4 || raw.size() > raw_bytes_max || raw.size() % 2 != 0 || raw[0] != '0' || raw[1] != 'x') {
    return false;
  }
  return std::all_of(raw.begin() + 2, raw.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

status check_ref(std::string_view ref) {
  if (ref.empty() || ref.size() > ref_bytes_max) return invalid("a send ref is 1-128 bytes");
  for (char c : ref) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return invalid("a send ref is A-Z a-z 0-9 - _ . :");
  }
  return {};
}

const send* find_open(const state& s, const std::string& ref) {
  const auto it = s.open.find(ref);
  return it == s.open.end() ? nullptr : &it->second;
}

result<std::vector<event>> decide_request(const state& s, const request& r) {
  TELEPAY_CHECK(check_ref(r.ref));
  if (!is_address_text(r.to)) return invalid("recipient must be 0x + 40 lower-case hex digits");
  if (r.value.currency() != asset::usdt || r.value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "a send is a positive USDT amount");
  }
  if (s.closed.contains(r.ref)) return std::vector<event>{};
  if (const send* open = find_open(s, r.ref)) {
    if (open->to == r.to && open->value == r.value && open->kind == r.kind) return std::vector<event>{};
    return invalid("send " + r.ref + " exists with other terms");
  }
  return std::vector<event>{requested{r.ref, r.kind, r.to, r.value}};
}

result<std::vector<event>> decide_sign(const state& s, const sign& g, std::int64_t now_us) {
  const send* open = find_open(s, g.ref);
  if (open == nullptr) return bad_state("no open send " + g.ref);
  if (!is_hash_text(g.tx_hash)) return invalid("transaction hash is malformed");
  if (!is_raw_text(g.raw)) return invalid("raw transaction must be 0x + lower-case hex, at most 4096 characters");
  if (g.tx_type != 0 && g.tx_type != 2) return invalid("transaction type must be 0 or 2");
  if (g.fee_cap == 0 || g.gas_limit == 0) return invalid("fee cap and gas limit must be positive");
  if (g.tx_type == 0 && g.tip != 0) return invalid("a legacy transaction has no tip");
  if (g.tip > g.fee_cap) return invalid("the tip exceeds the fee cap");
  for (const auto& a : open->attempts) {
    if (a.tx_hash == g.tx_hash) return std::vector<event>{};  // the same attempt again
  }
  if (open->status == send_status::requested) {
    if (g.nonce != s.next_nonce) {
      return bad_state("send " + g.ref + " must take nonce " + std::to_string(s.next_nonce) + ", not " +
                       std::to_string(g.nonce));
    }
    return std::vector<event>{signed_{g.ref, g.nonce, 1, g.tx_type, g.fee_cap, g.tip, g.gas_limit, g.tx_hash, g.raw,
                                      now_us}};
  }
  if (open->status != send_status::signed_) {
    return bad_state("send " + g.ref + " is " + std::string(status_name(open->status)));
  }
  if (g.nonce != open->nonce) return bad_state("a replacement keeps nonce " + std::to_string(open->nonce));
  const attempt& last = open->attempts.back();
  if (g.fee_cap < bumped(last.fee_cap) || (g.tx_type == 2 && g.tip < bumped(last.tip))) {
    return bad_state("a replacement must pay at least 10% more than attempt " +
                     std::to_string(open->attempts.size()));
  }
  return std::vector<event>{signed_{g.ref, g.nonce, static_cast<std::uint32_t>(open->attempts.size() + 1), g.tx_type,
                                    g.fee_cap, g.tip, g.gas_limit, g.tx_hash, g.raw, now_us}};
}

bool is_attempt(const send& sd, const std::string& tx_hash) {
  return std::any_of(sd.attempts.begin(), sd.attempts.end(), [&](const attempt& a) { return a.tx_hash == tx_hash; });
}

status check_evidence(const failure_evidence& e) {
  if (e.endpoints == 0 || e.agreeing > e.endpoints) {
    return invalid("failure evidence: " + std::to_string(e.agreeing) + " of " + std::to_string(e.endpoints) +
                   " endpoints agreeing cannot be");
  }
  return {};
}

std::string describe(const failure_evidence& e) {
  return "head " + std::to_string(e.head) + ", finalized " + std::to_string(e.finalized) + ", " +
         std::to_string(std::max(e.required, failure_confirmations_min)) + " blocks required, " +
         std::to_string(e.agreeing) + " of " + std::to_string(e.endpoints) + " endpoints agreeing";
}

result<std::vector<event>> decide_abandon(const state& s, const abandon& a) {
  const send* open = find_open(s, a.ref);
  if (open == nullptr) return bad_state("no open send " + a.ref);
  if (open->status == send_status::abandoned) return std::vector<event>{};
  if (open->status == send_status::mined) return bad_state("send " + a.ref + " was mined");
  if (a.reason.empty() || a.reason.size() > 200) return invalid("abandoning needs a reason (1-200 bytes)");
  if (open->status == send_status::requested) return std::vector<event>{abandoned{a.ref, a.reason}};
  // Signed: its bytes may be out there. Only a final transaction that is none of them, at its
  // nonce, proves they can never be mined.
  if (a.taken_by.empty()) {
    return bad_state("send " + a.ref + " was signed: only another transaction at its nonce ends it");
  }
  if (!is_hash_text(a.taken_by)) return invalid("the transaction holding the nonce is malformed");
  if (is_attempt(*open, a.taken_by)) {
    return bad_state("transaction " + a.taken_by + " is an attempt of " + a.ref + ": it is mined, not lost");
  }
  if (a.taken_nonce != open->nonce) {
    return bad_state("send " + a.ref + " has nonce " + std::to_string(open->nonce) + ", not " +
                     std::to_string(a.taken_nonce));
  }
  TELEPAY_CHECK(check_evidence(a.evidence));
  if (!failure_final(a.taken_block, a.evidence)) {
    return bad_state("transaction " + a.taken_by + " in block " + std::to_string(a.taken_block) +
                     " is not final: " + describe(a.evidence));
  }
  return std::vector<event>{abandoned{a.ref, a.reason + ": nonce " + std::to_string(open->nonce) +
                                                 " is held by transaction " + a.taken_by + " in block " +
                                                 std::to_string(a.taken_block)}};
}

result<std::vector<event>> decide_mined(const state& s, const record_mined& m) {
  const send* open = find_open(s, m.ref);
  if (open == nullptr) {
    if (s.closed.contains(m.ref)) return std::vector<event>{};
    return bad_state("no send " + m.ref);
  }
  if (open->status == send_status::mined) {
    if (open->mined_hash == m.tx_hash) return std::vector<event>{};
    return bad_state("send " + m.ref + " was mined as " + open->mined_hash);
  }
  if (open->status != send_status::signed_) {
    return bad_state("send " + m.ref + " is " + std::string(status_name(open->status)));
  }
  if (!is_attempt(*open, m.tx_hash)) {
    return bad_state("transaction " + m.tx_hash + " is not an attempt of send " + m.ref);
  }
  if (!is_hash_text(m.block_hash)) return invalid("block hash is malformed");
  if (!m.success) {
    TELEPAY_CHECK(check_evidence(m.evidence));
    if (!failure_final(m.block_number, m.evidence)) {
      return bad_state("a reverted receipt of " + m.ref + " in block " + std::to_string(m.block_number) +
                       " is not final: " + describe(m.evidence));
    }
  }
  return std::vector<event>{
      mined{m.ref, m.tx_hash, m.block_number, m.block_hash, m.success, m.gas_used, m.effective_gas_price}};
}

}  // namespace

std::string stream(const key& k) { return "sends-" + std::to_string(k.chain_id) + "-" + k.address; }

std::string_view purpose_name(purpose p) {
  switch (p) {
    case purpose::payout: return "payout";
    case purpose::withdrawal: return "withdrawal";
  }
  return "";
}

result<purpose> parse_purpose(std::string_view name) {
  if (name == "payout") return purpose::payout;
  if (name == "withdrawal") return purpose::withdrawal;
  return invalid("unknown send purpose '" + utf8_prefix(name, 32) + "'");
}

std::string payout_ref(channel_id channel, std::string_view batch) {
  return "payout:" + std::to_string(channel.value()) + ":" + std::string(batch);
}

std::string withdrawal_ref(std::string_view withdrawal_id) { return "withdrawal:" + std::string(withdrawal_id); }

std::string_view status_name(send_status s) {
  switch (s) {
    case send_status::requested: return "requested";
    case send_status::signed_: return "signed";
    case send_status::mined: return "mined";
    case send_status::settled: return "settled";
    case send_status::abandoned: return "abandoned";
  }
  return "";
}

bool failure_final(std::uint64_t block, const failure_evidence& e) {
  const std::uint64_t required = std::max(e.required, failure_confirmations_min);
  const bool confirmed = e.endpoints >= 2 ? e.agreeing >= 2 : e.agreeing >= 1;
  return e.agreeing <= e.endpoints && confirmed && chain_deposit::deep_enough(block, e.head, e.finalized, required);
}

u128 bumped(u128 previous) {
  const u128 raised = previous / 100 * (100 + replacement_bump_percent) +
                      (previous % 100 * (100 + replacement_bump_percent) + 99) / 100;
  return raised;
}

std::vector<const send*> open_in_order(const state& s) {
  std::vector<const send*> out;
  out.reserve(s.open.size());
  for (const auto& [ref, sd] : s.open) out.push_back(&sd);
  std::sort(out.begin(), out.end(), [](const send* a, const send* b) { return a->sequence < b->sequence; });
  return out;
}

void requested::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("kind", purpose_name(kind)).str("ref", ref)
      .str("to", to);
}

result<requested> requested::read(const json_value& v) {
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(kind_name, v.str("kind"));
  TELEPAY_TRY(kind, parse_purpose(kind_name));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(to, v.str("to"));
  return requested{std::move(ref), kind, std::move(to), value};
}

void signed_::write(json_object_writer& w) const {
  w.u64("attempt", attempt)
      .units("fee_cap", fee_cap)
      .u64("gas_limit", gas_limit)
      .u64("nonce", nonce)
      .str("raw", raw)
      .str("ref", ref)
      .time("signed_at", signed_at_us)
      .units("tip", tip)
      .str("tx_hash", tx_hash)
      .u64("tx_type", tx_type);
}

result<signed_> signed_::read(const json_value& v) {
  signed_ s;
  TELEPAY_TRY(attempt, v.u64("attempt"));
  TELEPAY_TRY(fee_cap, v.units("fee_cap"));
  TELEPAY_TRY(gas_limit, v.u64("gas_limit"));
  TELEPAY_TRY(nonce, v.u64("nonce"));
  TELEPAY_TRY(raw, v.str("raw"));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(signed_at, v.time("signed_at"));
  TELEPAY_TRY(tip, v.units("tip"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  TELEPAY_TRY(tx_type, v.u64("tx_type"));
  if (tx_type > 255 || attempt > 1'000'000) {
    return make_error(errc::event_decode_failed, "chain_send.signed: malformed type or attempt");
  }
  s.ref = std::move(ref);
  s.nonce = nonce;
  s.attempt = static_cast<std::uint32_t>(attempt);
  s.tx_type = static_cast<std::uint8_t>(tx_type);
  s.fee_cap = fee_cap;
  s.tip = tip;
  s.gas_limit = gas_limit;
  s.tx_hash = std::move(tx_hash);
  s.raw = std::move(raw);
  s.signed_at_us = signed_at;
  return s;
}

void mined::write(json_object_writer& w) const {
  w.str("block_hash", block_hash)
      .u64("block_number", block_number)
      .units("effective_gas_price", effective_gas_price)
      .u64("gas_used", gas_used)
      .str("ref", ref)
      .boolean("success", success)
      .str("tx_hash", tx_hash);
}

result<mined> mined::read(const json_value& v) {
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(price, v.units("effective_gas_price"));
  TELEPAY_TRY(gas_used, v.u64("gas_used"));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(success, v.boolean("success"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  return mined{std::move(ref), std::move(tx_hash), block_number, std::move(block_hash), success, gas_used, price};
}

void settled::write(json_object_writer& w) const { w.str("ref", ref); }

result<settled> settled::read(const json_value& v) {
  TELEPAY_TRY(ref, v.str("ref"));
  return settled{std::move(ref)};
}

void abandoned::write(json_object_writer& w) const { w.str("reason", reason).str("ref", ref); }

result<abandoned> abandoned::read(const json_value& v) {
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(ref, v.str("ref"));
  return abandoned{std::move(ref), std::move(reason)};
}

void nonces_skipped::write(json_object_writer& w) const {
  w.u64("from_nonce", from_nonce).str("reason", reason).u64("to_nonce", to_nonce);
}

result<nonces_skipped> nonces_skipped::read(const json_value& v) {
  TELEPAY_TRY(from, v.u64("from_nonce"));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(to, v.u64("to_nonce"));
  return nonces_skipped{from, to, std::move(reason)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us) {
  if (s.where.chain_id == 0 || !is_address_text(s.where.address)) return invalid("malformed hot wallet key");
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const request& r) -> decision { return decide_request(s, r); },
          [&](const sign& g) -> decision { return decide_sign(s, g, now_us); },
          [&](const record_mined& m) -> decision { return decide_mined(s, m); },
          [&](const settle& st) -> decision {
            if (s.closed.contains(st.ref)) return std::vector<event>{};
            const send* open = find_open(s, st.ref);
            if (open == nullptr) return bad_state("no send " + st.ref);
            if (open->status != send_status::mined && open->status != send_status::abandoned) {
              return bad_state("send " + st.ref + " has no outcome yet");
            }
            return std::vector<event>{settled{st.ref}};
          },
          [&](const abandon& a) -> decision { return decide_abandon(s, a); },
          [&](const skip_nonces& k) -> decision {
            if (k.chain_nonce <= s.next_nonce) return std::vector<event>{};
            if (k.reason.empty() || k.reason.size() > 300) return invalid("skipping nonces needs a reason (1-300 bytes)");
            return std::vector<event>{nonces_skipped{s.next_nonce, k.chain_nonce, k.reason}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, requested>) {
          send sd;
          sd.ref = ev.ref;
          sd.kind = ev.kind;
          sd.to = ev.to;
          sd.value = ev.value;
          sd.sequence = ++s.requests;
          s.open[ev.ref] = std::move(sd);
        } else if constexpr (std::is_same_v<T, signed_>) {
          send& sd = s.open[ev.ref];
          sd.status = send_status::signed_;
          sd.nonce = ev.nonce;
          sd.attempts.push_back(attempt{ev.tx_hash, ev.raw, ev.tx_type, ev.fee_cap, ev.tip, ev.gas_limit, ev.signed_at_us});
          s.nonce_owner[ev.nonce] = ev.ref;
          s.next_nonce = std::max(s.next_nonce, ev.nonce + 1);
        } else if constexpr (std::is_same_v<T, mined>) {
          send& sd = s.open[ev.ref];
          sd.status = send_status::mined;
          sd.mined_hash = ev.tx_hash;
          sd.success = ev.success;
        } else if constexpr (std::is_same_v<T, abandoned>) {
          send& sd = s.open[ev.ref];
          sd.status = send_status::abandoned;
          sd.reason = ev.reason;
        } else if constexpr (std::is_same_v<T, settled>) {
          const auto it = s.open.find(ev.ref);
          if (it != s.open.end()) {
            s.closed[ev.ref] = it->second.status == send_status::mined && it->second.success;
            if (!it->second.attempts.empty()) s.nonce_owner.erase(it->second.nonce);
            s.open.erase(it);
          }
        } else if constexpr (std::is_same_v<T, nonces_skipped>) {
          s.next_nonce = std::max(s.next_nonce, ev.to_nonce);
        } else {
          static_assert(always_false<T>, "chain_send::evolve: unhandled chain_send event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) {
  // Idempotent by state: a repeated request, attempt, receipt or settlement decides nothing.
  return "";
}

namespace {

std::string object_of(const std::function<void(json_object_writer&)>& fill) {
  std::string out;
  {
    json_object_writer w(out);
    fill(w);
  }
  return out;
}

error bad_snapshot(const std::string& why) { return make_error(errc::snapshot_invalid, "send queue snapshot: " + why); }

}  // namespace

std::string encode_snapshot(const state& s) {
  std::vector<std::string> open;
  for (const auto& [ref, sd] : s.open) {
    std::vector<std::string> attempts;
    for (const auto& a : sd.attempts) {
      attempts.push_back(object_of([&](json_object_writer& w) {
        w.units("fee_cap", a.fee_cap).u64("gas_limit", a.gas_limit).str("raw", a.raw)
            .time("signed_at", a.signed_at_us).units("tip", a.tip).str("tx_hash", a.tx_hash)
            .u64("tx_type", a.tx_type);
      }));
    }
    open.push_back(object_of([&](json_object_writer& w) {
      w.money("amount", sd.value).raw("attempts", json_array(attempts)).str("kind", purpose_name(sd.kind))
          .str("mined_hash", sd.mined_hash).u64("nonce", sd.nonce).str("reason", sd.reason).str("ref", sd.ref)
          .u64("sequence", sd.sequence).u64("status", static_cast<std::uint64_t>(sd.status))
          .boolean("success", sd.success).str("to", sd.to);
    }));
  }
  std::vector<std::string> closed;
  for (const auto& [ref, paid] : s.closed) closed.push_back((paid ? "p:" : "u:") + ref);
  return object_of([&](json_object_writer& w) {
    w.raw("closed", json_string_array(closed)).u64("next_nonce", s.next_nonce).raw("open", json_array(open))
        .u64("requests", s.requests).str("stream", stream(s.where));
  });
}

result<state> decode_snapshot(const key& k, std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value root = document.root();
  TELEPAY_TRY(stream_name, root.str("stream"));
  if (stream_name != stream(k)) return bad_snapshot("of " + stream_name + " read for " + stream(k));
  state s(k);
  TELEPAY_TRY(next_nonce, root.u64("next_nonce"));
  TELEPAY_TRY(requests, root.u64("requests"));
  s.next_nonce = next_nonce;
  s.requests = requests;
  TELEPAY_TRY(closed_value, root.field("closed"));
  TELEPAY_TRY(closed, closed_value.string_elements());
  for (const std::string& entry : closed) {
    if (entry.size() < 3 || (entry[0] != 'p' && entry[0] != 'u') || entry[1] != ':') return bad_snapshot("bad closed entry");
    s.closed.emplace(entry.substr(2), entry[0] == 'p');
  }
  TELEPAY_TRY(open_value, root.field("open"));
  TELEPAY_TRY(open, open_value.elements());
  for (const json_value& item : open) {
    send sd;
    TELEPAY_TRY(value, item.money("amount", asset::usdt));
    TELEPAY_TRY(kind_name, item.str("kind"));
    TELEPAY_TRY(kind, parse_purpose(kind_name));
    TELEPAY_TRY(mined_hash, item.str("mined_hash"));
    TELEPAY_TRY(nonce, item.u64("nonce"));
    TELEPAY_TRY(reason, item.str("reason"));
    TELEPAY_TRY(ref, item.str("ref"));
    TELEPAY_TRY(sequence, item.u64("sequence"));
    TELEPAY_TRY(status_value, item.u64("status"));
    TELEPAY_TRY(success, item.boolean("success"));
    TELEPAY_TRY(to, item.str("to"));
    if (status_value < 1 || status_value > 5) return bad_snapshot("bad status");
    sd.value = value;
    sd.kind = kind;
    sd.mined_hash = std::move(mined_hash);
    sd.nonce = nonce;
    sd.reason = std::move(reason);
    sd.ref = ref;
    sd.sequence = sequence;
    sd.status = static_cast<send_status>(status_value);
    sd.success = success;
    sd.to = std::move(to);
    TELEPAY_TRY(attempts_value, item.field("attempts"));
    TELEPAY_TRY(attempts, attempts_value.elements());
    for (const json_value& a : attempts) {
      attempt at;
      TELEPAY_TRY(fee_cap, a.units("fee_cap"));
      TELEPAY_TRY(gas_limit, a.u64("gas_limit"));
      TELEPAY_TRY(raw, a.str("raw"));
      TELEPAY_TRY(signed_at, a.time("signed_at"));
      TELEPAY_TRY(tip, a.units("tip"));
      TELEPAY_TRY(tx_hash, a.str("tx_hash"));
      TELEPAY_TRY(tx_type, a.u64("tx_type"));
      if (tx_type != 0 && tx_type != 2) return bad_snapshot("bad tx_type");
      at.fee_cap = fee_cap;
      at.gas_limit = gas_limit;
      at.raw = std::move(raw);
      at.signed_at_us = signed_at;
      at.tip = tip;
      at.tx_hash = std::move(tx_hash);
      at.tx_type = static_cast<std::uint8_t>(tx_type);
      sd.attempts.push_back(std::move(at));
    }
    if (!sd.attempts.empty()) s.nonce_owner[sd.nonce] = ref;
    s.open.emplace(std::move(ref), std::move(sd));
  }
  return s;
}

}  // namespace telepay::domain::chain_send
