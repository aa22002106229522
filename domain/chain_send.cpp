#include "domain/chain_send.hpp"

#include <algorithm>

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
  const bool ours = std::any_of(open->attempts.begin(), open->attempts.end(),
                                [&](const attempt& a) { return a.tx_hash == m.tx_hash; });
  if (!ours) return bad_state("transaction " + m.tx_hash + " is not an attempt of send " + m.ref);
  if (!is_hash_text(m.block_hash)) return invalid("block hash is malformed");
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
  return invalid("unknown send purpose '" + std::string(name.substr(0, 32)) + "'");
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
      .str("fee_cap", u128_to_string(fee_cap))
      .u64("gas_limit", gas_limit)
      .u64("nonce", nonce)
      .str("raw", raw)
      .str("ref", ref)
      .time("signed_at", signed_at_us)
      .str("tip", u128_to_string(tip))
      .str("tx_hash", tx_hash)
      .u64("tx_type", tx_type);
}

result<signed_> signed_::read(const json_value& v) {
  signed_ s;
  TELEPAY_TRY(attempt, v.u64("attempt"));
  TELEPAY_TRY(fee_cap, v.str("fee_cap"));
  TELEPAY_TRY(gas_limit, v.u64("gas_limit"));
  TELEPAY_TRY(nonce, v.u64("nonce"));
  TELEPAY_TRY(raw, v.str("raw"));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(signed_at, v.time("signed_at"));
  TELEPAY_TRY(tip, v.str("tip"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  TELEPAY_TRY(tx_type, v.u64("tx_type"));
  const auto cap = parse_u128(fee_cap);
  const auto tip_value = parse_u128(tip);
  if (!cap || !tip_value || tx_type > 255 || attempt > 1'000'000) {
    return make_error(errc::event_decode_failed, "chain_send.signed: malformed fee or type");
  }
  s.ref = std::move(ref);
  s.nonce = nonce;
  s.attempt = static_cast<std::uint32_t>(attempt);
  s.tx_type = static_cast<std::uint8_t>(tx_type);
  s.fee_cap = *cap;
  s.tip = *tip_value;
  s.gas_limit = gas_limit;
  s.tx_hash = std::move(tx_hash);
  s.raw = std::move(raw);
  s.signed_at_us = signed_at;
  return s;
}

void mined::write(json_object_writer& w) const {
  w.str("block_hash", block_hash)
      .u64("block_number", block_number)
      .str("effective_gas_price", u128_to_string(effective_gas_price))
      .u64("gas_used", gas_used)
      .str("ref", ref)
      .boolean("success", success)
      .str("tx_hash", tx_hash);
}

result<mined> mined::read(const json_value& v) {
  TELEPAY_TRY(block_hash, v.str("block_hash"));
  TELEPAY_TRY(block_number, v.u64("block_number"));
  TELEPAY_TRY(price_text, v.str("effective_gas_price"));
  TELEPAY_TRY(gas_used, v.u64("gas_used"));
  TELEPAY_TRY(ref, v.str("ref"));
  TELEPAY_TRY(success, v.boolean("success"));
  TELEPAY_TRY(tx_hash, v.str("tx_hash"));
  const auto price = parse_u128(price_text);
  if (!price) return make_error(errc::event_decode_failed, "chain_send.mined: malformed effective_gas_price");
  return mined{std::move(ref), std::move(tx_hash), block_number, std::move(block_hash), success, gas_used, *price};
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
  if (const auto* r = std::get_if<request>(&c)) return decide_request(s, *r);
  if (const auto* g = std::get_if<sign>(&c)) return decide_sign(s, *g, now_us);
  if (const auto* m = std::get_if<record_mined>(&c)) return decide_mined(s, *m);
  if (const auto* st = std::get_if<settle>(&c)) {
    if (s.closed.contains(st->ref)) return std::vector<event>{};
    const send* open = find_open(s, st->ref);
    if (open == nullptr) return bad_state("no send " + st->ref);
    if (open->status != send_status::mined && open->status != send_status::abandoned) {
      return bad_state("send " + st->ref + " has no outcome yet");
    }
    return std::vector<event>{settled{st->ref}};
  }
  if (const auto* a = std::get_if<abandon>(&c)) {
    const send* open = find_open(s, a->ref);
    if (open == nullptr) return bad_state("no open send " + a->ref);
    if (open->status == send_status::abandoned) return std::vector<event>{};
    if (open->status == send_status::mined) return bad_state("send " + a->ref + " was mined");
    if (a->reason.empty() || a->reason.size() > 300) return invalid("abandoning needs a reason (1-300 bytes)");
    return std::vector<event>{abandoned{a->ref, a->reason}};
  }
  const auto& k = std::get<skip_nonces>(c);
  if (k.chain_nonce <= s.next_nonce) return std::vector<event>{};
  if (k.reason.empty() || k.reason.size() > 300) return invalid("skipping nonces needs a reason (1-300 bytes)");
  return std::vector<event>{nonces_skipped{s.next_nonce, k.chain_nonce, k.reason}};
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
        } else {
          s.next_nonce = std::max(s.next_nonce, ev.to_nonce);
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) {
  // Idempotent by state: a repeated request, attempt, receipt or settlement decides nothing.
  return "";
}

}  // namespace telepay::domain::chain_send
