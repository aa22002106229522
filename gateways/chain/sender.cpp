// The hot wallet's sender: signs the sends the ledger queued, records them before broadcasting,
// tracks receipts, replaces stuck transactions at the same nonce, and reports outcomes.

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "gateways/chain/abi.hpp"
#include "gateways/chain/bounds.hpp"
#include "gateways/chain/nonce_search.hpp"
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

/// The transaction the chain holds at a send's nonce, as the search found it.
struct nonce_holder {
  rpc::transaction_ref tx;
  std::uint64_t block = 0;
  hash256 block_hash{};
};

/// How a second endpoint answered about a fact that would void a send.
enum class second_opinion { agrees, disputes, silent };

/// The sender's per-thread memory between ticks (nothing here is needed for correctness
/// after a restart: the ledger holds every fact).
struct sender_memory {
  std::map<std::string, std::int64_t> last_broadcast_us;
  std::map<std::string, nonce_holder> holders;              // by ref: found, not yet final
  std::map<std::string, std::int64_t> holder_search_after_us;  // by ref: after a search found nothing
  std::set<std::string> ours_logged;  // refs whose own attempt holds the nonce without a receipt
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
  /// A receipt deep enough and in the canonical chain is recorded; a failure only when final
  /// and (with two or more endpoints) confirmed by a second one. Otherwise nothing this tick.
  void record_receipt(const cs::send& send, const cs::attempt& a, const hash256& hash, const rpc::receipt& receipt,
                      std::uint64_t head, std::uint64_t finalized);
  /// Asks the endpoints other than `first` for the receipt of `hash` (a reverted one, from
  /// `first`): agrees (same failure, same block), disputes (another receipt: that endpoint is
  /// preferred from now on), or silent (none answered).
  second_opinion receipt_second_opinion(const hash256& hash, const rpc::receipt& receipt, std::size_t first);
  /// Not mined: gives the send up when a final transaction that is none of its attempts holds
  /// its nonce (true: nothing more to do this tick).
  bool abandon_if_taken(const cs::send& send, std::uint64_t head, std::uint64_t finalized);
  /// The transaction holding the send's nonce: remembered (if its block is still canonical) or
  /// searched for (not again for 10 ticks after a search that found nothing).
  std::optional<nonce_holder> holder_of(const cs::send& send, std::uint64_t finalized);
  std::optional<nonce_holder> find_holder(const cs::send& send, std::uint64_t finalized_block);
  second_opinion holder_second_opinion(const nonce_holder& holder, std::uint64_t nonce, std::size_t first);
  void replace_or_rebroadcast(const cs::send& send);
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
  // Skipping to a nonce no transaction used leaves a gap no later send can cross: take the
  // lowest count any endpoint gives (one that says more than the others is not believed).
  const std::size_t first = rpc_.answered_by();
  for (std::size_t other = 0; other < rpc_.endpoints(); ++other) {
    if (other == first) continue;
    auto count = rpc_.ask_only(other, [&](rpc_client& c) { return c.transaction_count(*s_.hot, "latest"); });
    if (count && *count < *latest) {
      s_.say(log_level::warn, "chain: endpoints disagree on the hot wallet's nonce (" + std::to_string(*latest) +
                                  ", " + std::to_string(*count) + "); using the lower");
      latest = *count;
    }
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
    return record_receipt(send, *a, *hash, **r, head, finalized);
  }
  // Not mined. A nonce the node calls used proves nothing by itself: only a final transaction
  // that is none of ours at that nonce ends the send. Until then it is broadcast (and replaced,
  // up to the fee cap) as usual: its bytes may still be mined.
  if (abandon_if_taken(send, head, finalized)) return;
  replace_or_rebroadcast(send);
}

void sender_tick::record_receipt(const cs::send& send, const cs::attempt& a, const hash256& hash,
                                 const rpc::receipt& receipt, std::uint64_t head, std::uint64_t finalized) {
  const std::size_t first = rpc_.answered_by();
  // A failure gives the money back: it waits for at least failure_confirmations_min blocks.
  const std::uint64_t configured = s_.options.payout_confirmations;
  const std::uint64_t required = receipt.success ? configured : std::max(configured, cs::failure_confirmations_min);
  if (!domain::chain_deposit::deep_enough(receipt.block_number, head, finalized, required)) return;  // not final yet
  // The canonical block at that height must hold the transaction (its hash, or the receipt's
  // block hash when the node lists no transactions); otherwise the chain is moving: next tick.
  auto b = rpc_.block(receipt.block_number);
  if (!b || !b->has_value()) return;
  const auto& listed = (*b)->transactions;
  const bool canonical = listed.empty() ? (*b)->hash == receipt.block_hash
                                        : std::find(listed.begin(), listed.end(), hash) != listed.end();
  if (!canonical) return;
  cs::failure_evidence evidence{head, finalized, s_.options.payout_confirmations,
                                static_cast<std::uint32_t>(rpc_.endpoints()), 1};
  if (!receipt.success && rpc_.endpoints() >= 2) {
    switch (receipt_second_opinion(hash, receipt, first)) {
      case second_opinion::agrees: evidence.agreeing = 2; break;
      case second_opinion::disputes:
      case second_opinion::silent: return;  // not confirmed: ask again next tick
    }
  }
  auto recorded = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
      key_,
      cs::record_mined{send.ref, a.tx_hash, receipt.block_number, to_data((*b)->hash), receipt.success,
                       receipt.gas_used, receipt.effective_gas_price, evidence},
      wall_us()});
  if (!recorded) return s_.note_error("recording the receipt of " + send.ref + ": " + recorded.error().message);
  (receipt.success ? s_.sends_mined_ok : s_.sends_mined_failed) += 1;
  s_.say(receipt.success ? log_level::info : log_level::error,
         "chain: send " + std::string(receipt.success ? "mined" : "reverted") + " ref=" + send.ref + " tx=" +
             a.tx_hash + " block=" + std::to_string(receipt.block_number));
}

second_opinion sender_tick::receipt_second_opinion(const hash256& hash, const rpc::receipt& receipt,
                                                   std::size_t first) {
  for (std::size_t other = 0; other < rpc_.endpoints(); ++other) {
    if (other == first) continue;
    auto again = rpc_.ask_only(other, [&](rpc_client& c) { return c.receipt(hash); });
    if (!again || !again->has_value()) continue;  // no answer, or not indexed there yet: wait
    const rpc::receipt& theirs = **again;
    if (!theirs.success && theirs.block_number == receipt.block_number && theirs.block_hash == receipt.block_hash) {
      return second_opinion::agrees;
    }
    s_.receipts_disputed += 1;
    s_.say(log_level::warn, "chain: endpoints disagree on the receipt of tx=" + to_data(hash) + ": " +
                                s_.options.rpc_urls[first] + " says reverted in block " +
                                std::to_string(receipt.block_number) + ", " + s_.options.rpc_urls[other] + " says " +
                                (theirs.success ? "succeeded" : "reverted") + " in block " +
                                std::to_string(theirs.block_number) + "; asking " + s_.options.rpc_urls[other] +
                                " first from now on");
    rpc_.prefer(other);
    return second_opinion::disputes;
  }
  return second_opinion::silent;
}

bool sender_tick::abandon_if_taken(const cs::send& send, std::uint64_t head, std::uint64_t finalized) {
  auto latest = rpc_.transaction_count(*s_.hot, "latest");
  if (!latest) {
    s_.note_error("reading the hot wallet's nonce: " + latest.error().message);
    return false;
  }
  if (*latest <= send.nonce) {
    memory_.holders.erase(send.ref);
    memory_.holder_search_after_us.erase(send.ref);
    return false;
  }
  // An absurd nonce is the node's fault, not proof that another transaction took ours.
  if (!nonce_jump_ok(send.nonce, *latest, "while tracking " + send.ref)) return false;
  auto final_count = rpc_.transaction_count(*s_.hot, "finalized");
  if (!final_count || *final_count <= send.nonce) return false;
  const auto found = holder_of(send, finalized);
  if (!found) return false;
  const nonce_holder holder = *found;
  const std::string holder_hash = to_data(holder.tx.hash);
  if (std::any_of(send.attempts.begin(), send.attempts.end(),
                  [&](const cs::attempt& a) { return a.tx_hash == holder_hash; })) {
    // Ours is mined, yet the endpoint had no receipt for it: ask another one first.
    if (memory_.ours_logged.insert(send.ref).second) {
      s_.say(log_level::warn, "chain: send " + send.ref + " is mined as tx=" + holder_hash + " in block " +
                                  std::to_string(holder.block) + " but " + rpc_.current_endpoint() +
                                  " has no receipt for it");
    }
    if (rpc_.endpoints() >= 2) rpc_.prefer((rpc_.answered_by() + 1) % rpc_.endpoints());
    return false;
  }
  cs::failure_evidence evidence{head, finalized, s_.options.payout_confirmations,
                                static_cast<std::uint32_t>(rpc_.endpoints()), 1};
  cs::failure_evidence alone = evidence;  // deep and finalized, before asking anyone else
  alone.endpoints = 1;
  alone.agreeing = 1;
  if (!cs::failure_final(holder.block, alone)) return false;  // not final yet
  if (rpc_.endpoints() >= 2) {
    switch (holder_second_opinion(holder, send.nonce, rpc_.answered_by())) {
      case second_opinion::agrees: evidence.agreeing = 2; break;
      case second_opinion::disputes: memory_.holders.erase(send.ref); return false;
      case second_opinion::silent: return false;
    }
  }
  auto r = s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
      key_,
      cs::abandon{send.ref, "another transaction took its nonce", holder_hash, send.nonce, holder.block, evidence},
      wall_us()});
  if (!r) {
    s_.note_error("abandoning " + send.ref + ": " + r.error().message);
    return true;
  }
  memory_.holders.erase(send.ref);
  memory_.holder_search_after_us.erase(send.ref);
  s_.sends_abandoned += 1;
  s_.say(log_level::error, "chain: send abandoned ref=" + send.ref + ": its nonce " + std::to_string(send.nonce) +
                               " was used by tx=" + holder_hash + " in block " + std::to_string(holder.block) +
                               " (is the hot key used elsewhere?)");
  // Later sends must not take nonces the chain has already used (final ones, and never past
  // the latest count, which was checked against nonce_jump_max).
  (void)s_.client.ask_and_wait<actors::entity_reply>(actors::chain_send_request{
      key_, cs::skip_nonces{std::min(*final_count, *latest), "nonces used outside telepay while running"},
      wall_us()});
  return true;
}

std::optional<nonce_holder> sender_tick::holder_of(const cs::send& send, std::uint64_t finalized) {
  auto known = memory_.holders.find(send.ref);
  if (known != memory_.holders.end()) {
    // Found before: still in the canonical chain?
    auto b = rpc_.block(known->second.block);
    if (!b) return std::nullopt;
    if (b->has_value() && (*b)->hash == known->second.block_hash) return known->second;
    memory_.holders.erase(known);
  }
  const std::int64_t now = wall_us();
  if (now < memory_.holder_search_after_us[send.ref]) return std::nullopt;
  auto found = find_holder(send, finalized);
  if (!found) {
    // The count says used, no block shows it: a node that is wrong or lying. Look again
    // later, not on every tick.
    memory_.holder_search_after_us[send.ref] =
        now + 10 * std::chrono::duration_cast<std::chrono::microseconds>(s_.options.poll_every).count();
    return std::nullopt;
  }
  memory_.holders.insert_or_assign(send.ref, *found);
  return found;
}

std::optional<nonce_holder> sender_tick::find_holder(const cs::send& send, std::uint64_t finalized_block) {
  const auto count_at = [&](std::uint64_t block) -> std::optional<std::uint64_t> {
    auto c = rpc_.transaction_count_at(*s_.hot, block);
    if (!c) return std::nullopt;
    return *c;
  };
  const auto block = block_using_nonce(send.nonce, finalized_block, count_at);
  if (!block) return std::nullopt;
  auto body = rpc_.block_body(*block);
  if (!body || !body->has_value()) return std::nullopt;
  for (const rpc::transaction_ref& t : (*body)->transactions) {
    if (t.from == *s_.hot && t.nonce == send.nonce) return nonce_holder{t, *block, (*body)->header.hash};
  }
  s_.say(log_level::warn, "chain: block " + std::to_string(*block) + " moved the hot wallet's nonce past " +
                              std::to_string(send.nonce) + " but holds no transaction of it with that nonce");
  return std::nullopt;
}

second_opinion sender_tick::holder_second_opinion(const nonce_holder& holder, std::uint64_t nonce, std::size_t first) {
  for (std::size_t other = 0; other < rpc_.endpoints(); ++other) {
    if (other == first) continue;
    auto again = rpc_.ask_only(other, [&](rpc_client& c) { return c.transaction(holder.tx.hash); });
    if (!again) continue;
    const bool same = again->has_value() && (*again)->from == *s_.hot && (*again)->nonce == nonce &&
                      (*again)->block_number == holder.block && (*again)->block_hash == holder.block_hash;
    if (same) return second_opinion::agrees;
    s_.receipts_disputed += 1;
    s_.say(log_level::warn, "chain: endpoints disagree on tx=" + to_data(holder.tx.hash) + " holding nonce " +
                                std::to_string(nonce) + " in block " + std::to_string(holder.block) + ": " +
                                s_.options.rpc_urls[other] + " does not have it there; asking it first from now on");
    rpc_.prefer(other);
    return second_opinion::disputes;
  }
  return second_opinion::silent;
}

void sender_tick::replace_or_rebroadcast(const cs::send& send) {
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
