// The hot wallet's sender: signs the sends the ledger queued, records them before broadcasting,
// tracks receipts, replaces stuck transactions at the same nonce, and reports outcomes.

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/service_impl.hpp"
#include "gateways/chain/transaction.hpp"

namespace telepay::gateways::chain {
namespace {

namespace cs = domain::chain_send;

/// Errors from a broadcast that mean "the node has it or had it": not a failure of the send.
bool benign_broadcast_error(const error& e) {
  const std::string m = rpc::lower_message(e);
  for (const char* known : {"already known", "known transaction", "nonce too low", "correct nonce",
                            "already imported", "replacement transaction underpriced", "transaction underpriced"}) {
    if (m.find(known) != std::string::npos) return true;
  }
  return false;
}

struct parsed_ref {
  cs::purpose kind = cs::purpose::payout;
  std::int64_t channel = 0;
  std::string id;  // batch id or withdrawal id
};

std::optional<parsed_ref> parse_ref(const std::string& ref) {
  if (ref.rfind("withdrawal:", 0) == 0) return parsed_ref{cs::purpose::withdrawal, 0, ref.substr(11)};
  if (ref.rfind("payout:", 0) != 0) return std::nullopt;
  const auto colon = ref.find(':', 7);
  if (colon == std::string::npos) return std::nullopt;
  std::int64_t channel = 0;
  const char* first = ref.data() + 7;
  const char* last = ref.data() + colon;
  const auto [end, ec] = std::from_chars(first, last, channel);
  if (first == last || ec != std::errc() || end != last) return std::nullopt;
  return parsed_ref{cs::purpose::payout, channel, ref.substr(colon + 1)};
}

/// The sender's per-thread memory between ticks (nothing here is needed for correctness
/// after a restart: the ledger holds every fact).
struct sender_memory {
  std::map<std::string, std::int64_t> last_broadcast_us;
  std::map<std::string, int> foreign_nonce_strikes;
  std::set<std::string> held_logged;
  std::set<std::string> cap_logged;
  std::set<std::uint64_t> nonce_jumps_logged;  // chain nonces refused as jumps, reported once each
};

class sender_tick {
 public:
  sender_tick(service::impl& s, rpc_client& rpc, const cs::key& key, sender_memory& memory)
      : s_(s), rpc_(rpc), key_(key), memory_(memory) {}

  /// Once at start: nonces used outside the ledger are skipped; signed, unmined sends are
  /// broadcast again (a crash between recording and broadcasting loses nothing).
  bool reconcile(const cs::state& st);
  void run(const cs::state& st);

 private:
  void sign_new(const cs::send& send, std::uint64_t& nonce, u128& outflow, std::size_t& held);
  void track(const cs::send& send, std::uint64_t head, std::uint64_t finalized);
  void report(const cs::send& send);
  std::optional<unsigned_tx> build(const cs::send& send, std::uint64_t nonce, u128 fee_cap, u128 tip,
                                   std::uint64_t gas_limit) const;
  bool record_and_broadcast(const cs::send& send, const unsigned_tx& tx, bool replacement);
  void broadcast(const std::string& ref, const std::string& raw_hex);
  void hold(const cs::send& send, const std::string& why, std::size_t& held);
  /// A chain nonce more than nonce_jump_max ahead of `ledger_next`: reported (once per value),
  /// never skipped to. True when the jump is acceptable.
  bool nonce_jump_ok(std::uint64_t ledger_next, std::uint64_t chain_next, const std::string& where);

  service::impl& s_;
  rpc_client& rpc_;
  const cs::key& key_;
  sender_memory& memory_;
};

bool sender_tick::reconcile(const cs::state& st) {
  auto latest = rpc_.transaction_count(*s_.hot, "latest");
  if (!latest) {
    s_.note_error("reading the hot wallet's nonce: " + latest.error().message);
    return false;
  }
  // A node that reports an absurd nonce would make the ledger skip (and wrap) nonces for good;
  // nothing is signed until the chain and the ledger agree within the bound.
  if (!nonce_jump_ok(st.next_nonce, *latest, "at start")) return false;
  if (*latest > st.next_nonce) {
    auto r = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
        key_,
        cs::skip_nonces{*latest, "chain nonce " + std::to_string(*latest) + " ahead of the ledger's " +
                                     std::to_string(st.next_nonce) + " at start: used outside telepay"},
        wall_us()});
    if (!r) {
      s_.note_error("skipping nonces: " + r.error().message);
      return false;
    }
    s_.say(log_level::warn, "chain: hot wallet nonces " + std::to_string(st.next_nonce) + ".." +
                                std::to_string(*latest - 1) + " were used outside telepay; skipped");
  }
  for (const auto& [nonce, ref] : st.nonce_owner) {
    const auto it = st.open.find(ref);
    if (it == st.open.end() || it->second.status != cs::send_status::signed_ || nonce < *latest) continue;
    s_.say(log_level::info, "chain: broadcasting again after start ref=" + ref + " nonce=" + std::to_string(nonce));
    broadcast(ref, it->second.attempts.back().raw);
  }
  return true;
}

void sender_tick::run(const cs::state& st) {
  auto head = rpc_.block_number();
  if (!head) {
    s_.note_error("eth_blockNumber: " + head.error().message);
    return;
  }
  const std::uint64_t finalized = finalized_or_depth(rpc_, *head, s_.options.payout_confirmations);
  std::uint64_t nonce = st.next_nonce;
  u128 outflow = 0;  // tokens that signed, unmined sends will spend
  for (const auto& [ref, send] : st.open) {
    if (send.status == cs::send_status::signed_) outflow += send.value.units();
  }
  std::size_t held = 0;
  for (const cs::send* send : cs::open_in_order(st)) {
    if (s_.stopping.load()) return;
    switch (send->status) {
      case cs::send_status::requested: sign_new(*send, nonce, outflow, held); break;
      case cs::send_status::signed_: track(*send, *head, finalized); break;
      case cs::send_status::mined:
      case cs::send_status::abandoned: report(*send); break;
      case cs::send_status::settled: break;
    }
  }
  s_.sends_held = held;
  s_.hot_wallet_short = held > 0 ? 1u : 0u;
}

bool sender_tick::nonce_jump_ok(std::uint64_t ledger_next, std::uint64_t chain_next, const std::string& where) {
  if (nonce_jump_acceptable(ledger_next, chain_next)) return true;
  const std::string text = "hot wallet nonce from the node " + std::to_string(chain_next) + " is more than " +
                           std::to_string(nonce_jump_max) + " ahead of the ledger's " + std::to_string(ledger_next) +
                           " " + where + "; not skipping to it (check the node and the hot key)";
  s_.note_error(text);
  if (memory_.nonce_jumps_logged.insert(chain_next).second) s_.say(log_level::error, "chain: " + text);
  return false;
}

void sender_tick::hold(const cs::send& send, const std::string& why, std::size_t& held) {
  held += 1;
  if (memory_.held_logged.insert(send.ref).second) {
    s_.say(log_level::warn, "chain: send held ref=" + send.ref + ": " + why);
  }
}

std::optional<unsigned_tx> sender_tick::build(const cs::send& send, std::uint64_t nonce, u128 fee_cap, u128 tip,
                                              std::uint64_t gas_limit) const {
  auto to = parse_address(send.to);
  if (!to) return std::nullopt;
  const std::string data = abi::transfer_call(*to, u256::of(send.value.units()));
  if (s_.options.tx_type == 2) {
    return unsigned_tx(eip1559_tx{s_.options.chain_id, nonce, tip, fee_cap, gas_limit, s_.token, 0, data});
  }
  return unsigned_tx(legacy_tx{s_.options.chain_id, nonce, fee_cap, gas_limit, s_.token, 0, data});
}

void sender_tick::sign_new(const cs::send& send, std::uint64_t& nonce, u128& outflow, std::size_t& held) {
  auto to = parse_address(send.to);
  if (!to) {
    s_.say(log_level::error, "chain: send " + send.ref + " has a malformed recipient");
    return;
  }
  // Funds: the token balance must cover this and every send already signed.
  auto returned = rpc_.call(s_.token, abi::balance_of_call(*s_.hot));
  if (!returned) return s_.note_error("balanceOf(hot wallet): " + returned.error().message);
  auto balance = abi::decode_uint(*returned);
  if (!balance) return s_.note_error("balanceOf(hot wallet): " + balance.error().message);
  const u256 needed = u256::of(outflow + send.value.units());
  if (*balance < needed) {
    return hold(send, "the hot wallet holds " + to_decimal(*balance) + " token units, needs " + to_decimal(needed),
                held);
  }
  // Fees.
  u128 fee_cap = 0;
  u128 tip = 0;
  auto price = rpc_.gas_price();
  if (!price) return s_.note_error("eth_gasPrice: " + price.error().message);
  const u128 quoted = price->high != 0 ? s_.options.max_fee_per_gas : price->low;
  if (s_.options.tx_type == 2) {
    auto latest = rpc_.block("latest");
    if (!latest || !latest->has_value()) return s_.note_error("reading the latest block for its base fee");
    tip = s_.options.priority_fee_per_gas;
    fee_cap = type2_fee_cap((*latest)->base_fee_per_gas, tip, quoted, s_.options.max_fee_per_gas);
    tip = std::min(tip, fee_cap);
  } else {
    fee_cap = std::min(std::max<u128>(quoted, 1), s_.options.max_fee_per_gas);
  }
  auto estimate = rpc_.estimate_gas(*s_.hot, s_.token, abi::transfer_call(*to, u256::of(send.value.units())));
  if (!estimate) {
    if (estimate.code() == errc::chain_rpc_failed) return hold(send, "eth_estimateGas: " + estimate.error().message, held);
    return s_.note_error("eth_estimateGas: " + estimate.error().message);
  }
  // The signed gas limit is reused by every replacement: a wrapped one would wedge the send.
  auto gas_limit = gas_limit_for(*estimate);
  if (!gas_limit) return hold(send, gas_limit.error().message, held);
  const auto gas_needed = gas_cost(*gas_limit, fee_cap);
  if (!gas_needed) return hold(send, "gas cost of " + std::to_string(*gas_limit) + " gas overflows 128 bits", held);
  auto native = rpc_.balance(*s_.hot);
  if (!native) return s_.note_error("eth_getBalance(hot wallet): " + native.error().message);
  if (*native < u256::of(*gas_needed)) {
    return hold(send, "the hot wallet has " + to_decimal(*native) + " wei for gas, needs " +
                          u128_to_string(*gas_needed),
                held);
  }
  auto tx = build(send, nonce, fee_cap, tip, *gas_limit);
  if (!tx) return;
  memory_.held_logged.erase(send.ref);
  if (record_and_broadcast(send, *tx, false)) {
    nonce += 1;
    outflow += send.value.units();
  }
}

bool sender_tick::record_and_broadcast(const cs::send& send, const unsigned_tx& tx, bool replacement) {
  const signed_tx signed_tx_value = sign(tx, *s_.options.hot_key);
  const std::string raw_hex = to_data(signed_tx_value.raw);
  const std::string hash_hex = to_data(signed_tx_value.hash);
  const bool typed = std::holds_alternative<eip1559_tx>(tx);
  const u128 tip = typed ? std::get<eip1559_tx>(tx).max_priority_fee_per_gas : u128{0};
  const std::uint64_t gas_limit = std::visit([](const auto& t) { return t.gas_limit; }, tx);
  // The signed bytes are durable before anyone else sees them.
  auto recorded = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
      key_, cs::sign{send.ref, nonce_of(tx), static_cast<std::uint8_t>(typed ? 2 : 0), fee_cap_of(tx), tip, gas_limit,
                     hash_hex, raw_hex},
      wall_us()});
  if (!recorded) {
    s_.note_error("recording the signed send " + send.ref + ": " + recorded.error().message);
    return false;
  }
  (replacement ? s_.sends_replaced : s_.sends_signed) += 1;
  s_.say(log_level::info, std::string("chain: ") + (replacement ? "replacement " : "") + "signed ref=" + send.ref +
                              " nonce=" + std::to_string(nonce_of(tx)) + " tx=" + hash_hex + " fee_cap=" +
                              u128_to_string(fee_cap_of(tx)));
  if (s_.options.test_crash_after_sign) {
    s_.say(log_level::warn, "chain: test crash after signing (TELEPAY_TEST_CRASH_AFTER_SIGN)");
    std::_Exit(137);
  }
  broadcast(send.ref, raw_hex);
  if (const auto parsed = parse_ref(send.ref); parsed && parsed->kind == cs::purpose::payout) {
    auto channel = domain::make_channel_id(parsed->channel);
    if (channel) {
      (void)s_.client.ask_and_wait<actors::entity_reply>(actors::payout_request{
          *channel, domain::payout::mark_submitted{parsed->id, hash_hex}, wall_us()});
    }
  }
  return true;
}

void sender_tick::broadcast(const std::string& ref, const std::string& raw_hex) {
  memory_.last_broadcast_us[ref] = wall_us();
  auto raw = parse_data(raw_hex);
  if (!raw) {
    s_.say(log_level::error, "chain: recorded raw transaction of " + ref + " is malformed");
    return;
  }
  auto sent = rpc_.send_raw(*raw);
  s_.sends_broadcast += 1;
  if (sent) return;
  if (sent.code() == errc::chain_rpc_failed && benign_broadcast_error(sent.error())) return;
  s_.note_error("broadcasting " + ref + ": " + sent.error().message);
}

void sender_tick::track(const cs::send& send, std::uint64_t head, std::uint64_t finalized) {
  // Any attempt may be the one mined (a replacement may lose to its original).
  for (auto a = send.attempts.rbegin(); a != send.attempts.rend(); ++a) {
    auto hash = parse_hash(a->tx_hash);
    if (!hash) continue;
    auto r = rpc_.receipt(*hash);
    if (!r) return s_.note_error("eth_getTransactionReceipt: " + r.error().message);
    if (!r->has_value()) continue;
    const rpc::receipt& receipt = **r;
    if (!domain::chain_deposit::deep_enough(receipt.block_number, head, finalized, s_.options.payout_confirmations)) {
      return;  // mined, not final yet
    }
    // The canonical block at that height must hold the transaction (its hash, or the receipt's
    // block hash when the node lists no transactions); otherwise the chain is moving: next tick.
    auto b = rpc_.block(receipt.block_number);
    if (!b || !b->has_value()) return;
    const auto& listed = (*b)->transactions;
    const bool canonical = listed.empty() ? (*b)->hash == receipt.block_hash
                                          : std::find(listed.begin(), listed.end(), *hash) != listed.end();
    if (!canonical) return;
    auto recorded = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
        key_,
        cs::record_mined{send.ref, a->tx_hash, receipt.block_number, to_data((*b)->hash), receipt.success,
                         receipt.gas_used, receipt.effective_gas_price},
        wall_us()});
    if (!recorded) return s_.note_error("recording the receipt of " + send.ref + ": " + recorded.error().message);
    (receipt.success ? s_.sends_mined_ok : s_.sends_mined_failed) += 1;
    s_.say(receipt.success ? log_level::info : log_level::error,
           "chain: send " + std::string(receipt.success ? "mined" : "reverted") + " ref=" + send.ref +
               " tx=" + a->tx_hash + " block=" + std::to_string(receipt.block_number));
    return;
  }
  // Not mined. Was the nonce taken by a transaction that is none of ours? Only a finalized
  // nonce counts (a reorg could still bring one of our attempts back), checked on three ticks
  // in a row, each after looking for every attempt's receipt.
  auto latest = rpc_.transaction_count(*s_.hot, "latest");
  if (!latest) return s_.note_error("reading the hot wallet's nonce: " + latest.error().message);
  if (*latest > send.nonce) {
    // An absurd nonce is the node's fault, not proof that another transaction took ours:
    // abandoning on it would void a payout whose transaction may still be mined.
    if (!nonce_jump_ok(send.nonce, *latest, "while tracking " + send.ref)) return;
    auto final_nonce = rpc_.transaction_count(*s_.hot, "finalized");
    if (final_nonce && *final_nonce > send.nonce && ++memory_.foreign_nonce_strikes[send.ref] >= 3) {
      auto r = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
          key_, cs::abandon{send.ref, "nonce " + std::to_string(send.nonce) + " was used by another transaction"},
          wall_us()});
      if (r) {
        s_.sends_abandoned += 1;
        s_.say(log_level::error, "chain: send abandoned ref=" + send.ref + ": its nonce " + std::to_string(send.nonce) +
                                     " was used by another transaction (is the hot key used elsewhere?)");
        // Later sends must not take nonces the chain has already used.
        (void)s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
            key_, cs::skip_nonces{*latest, "nonces used outside telepay while running"}, wall_us()});
      }
    }
    return;
  }
  memory_.foreign_nonce_strikes.erase(send.ref);
  const cs::attempt& last = send.attempts.back();
  const std::int64_t now = wall_us();
  const auto age = std::chrono::microseconds(now - last.signed_at_us);
  if (age >= s_.options.replace_after) {
    // At least the 10% bump, the node's price if higher, never above the cap.
    const u128 least = cs::bumped(last.fee_cap);
    u128 fee_cap = least;
    if (auto price = rpc_.gas_price(); price && price->high == 0) fee_cap = std::max(fee_cap, price->low);
    fee_cap = std::min(fee_cap, s_.options.max_fee_per_gas);
    u128 tip = last.tx_type == 2 ? std::max(cs::bumped(last.tip), s_.options.priority_fee_per_gas) : u128{0};
    if (fee_cap >= least) {
      tip = std::min(tip, fee_cap);
      auto tx = build(send, send.nonce, fee_cap, tip, last.gas_limit);
      if (tx) {
        if (last.tx_type == 2 && s_.options.tx_type != 2) {
          tx = unsigned_tx(eip1559_tx{s_.options.chain_id, send.nonce, tip, fee_cap, last.gas_limit, s_.token, 0,
                                      std::visit([](const auto& t) { return t.data; }, *tx)});
        } else if (last.tx_type == 0 && s_.options.tx_type == 2) {
          tx = unsigned_tx(legacy_tx{s_.options.chain_id, send.nonce, fee_cap, last.gas_limit, s_.token, 0,
                                     std::visit([](const auto& t) { return t.data; }, *tx)});
        }
        s_.say(log_level::warn, "chain: send stuck ref=" + send.ref + " nonce=" + std::to_string(send.nonce) +
                                    ", replacing with fee_cap=" + u128_to_string(fee_cap));
        record_and_broadcast(send, *tx, true);
        return;
      }
    } else if (memory_.cap_logged.insert(send.ref).second) {
      s_.say(log_level::warn, "chain: send stuck ref=" + send.ref + " at the fee cap " +
                                  u128_to_string(s_.options.max_fee_per_gas) + "; broadcasting it again");
    }
  }
  const auto since = std::chrono::microseconds(now - memory_.last_broadcast_us[send.ref]);
  if (since >= s_.options.rebroadcast_every) broadcast(send.ref, last.raw);
}

void sender_tick::report(const cs::send& send) {
  const auto parsed = parse_ref(send.ref);
  if (!parsed) {
    s_.say(log_level::error, "chain: send " + send.ref + " names no payout or withdrawal");
    return;
  }
  const bool paid = send.status == cs::send_status::mined && send.success;
  const std::string reason = send.status == cs::send_status::abandoned ? "abandoned" : "reverted";
  bool reported = false;
  if (parsed->kind == cs::purpose::payout) {
    auto channel = domain::make_channel_id(parsed->channel);
    if (!channel) return;
    if (paid) {
      (void)s_.client.ask_and_wait<actors::entity_reply>(actors::payout_request{
          *channel, domain::payout::mark_submitted{parsed->id, send.mined_hash}, wall_us()});
      auto r = s_.client.ask_and_wait<actors::entity_reply>(
          actors::payout_request{*channel, domain::payout::mark_confirmed{parsed->id}, wall_us()});
      reported = r.has_value();
      if (!r) s_.note_error("confirming payout " + parsed->id + ": " + r.error().message);
    } else {
      auto r = s_.client.ask_and_wait<actors::entity_reply>(
          actors::payout_request{*channel, domain::payout::mark_failed{parsed->id, reason, true}, wall_us()});
      reported = r.has_value();
      if (!r) s_.note_error("failing payout " + parsed->id + ": " + r.error().message);
    }
  } else {
    auto r = s_.client.ask_and_wait<domain::withdrawal::state>(actors::withdrawal_outcome{
        parsed->id, paid, send.mined_hash, paid ? "" : "transaction " + reason, wall_us()});
    reported = r.has_value();
    if (!r) s_.note_error("reporting withdrawal " + parsed->id + ": " + r.error().message);
  }
  if (!reported) return;
  auto settled = s_.client.ask_and_wait<actors::entity_reply>(
      actors::chain_send_request{key_, cs::settle{send.ref}, wall_us()});
  if (!settled) s_.note_error("settling send " + send.ref + ": " + settled.error().message);
}

}  // namespace

void service::impl::send_loop() {
  auto rpc = rpc_client::create(
      rpc_options{options.rpc_urls, options.http, 2, std::chrono::milliseconds(250)}, counters);
  if (!rpc) {
    note_error(rpc.error().message);
    return;
  }
  if (!wait_for_node(**rpc)) return;
  const cs::key key{options.chain_id, to_lower_hex(*hot)};
  say(log_level::info, "chain: hot wallet " + to_checksummed(*hot) + " sends payouts and withdrawals");
  sender_memory memory;
  bool reconciled = false;
  while (!stopping.load()) {
    auto st = client.ask_and_wait<cs::state>(actors::chain_send_query{key});
    if (!st) {
      note_error("reading the send queue: " + st.error().message);
    } else {
      next_nonce = st->next_nonce;
      open_sends = st->open.size();
      sender_tick tick(*this, **rpc, key, memory);
      if (!reconciled) {
        reconciled = tick.reconcile(*st);
        if (reconciled) continue;  // read the state again (nonces may have been skipped)
      } else {
        tick.run(*st);
      }
    }
    if (!pause(options.poll_every)) break;
  }
}

}  // namespace telepay::gateways::chain
