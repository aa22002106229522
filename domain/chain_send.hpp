#pragma once
/// The hot wallet's outgoing transfers, stream "sends-{chain id}-{hot wallet address}": the one
/// writer of its nonces. Payout batches and withdrawals ask for a send once their money is held;
/// the chain gateway signs it with the next nonce and records the signed bytes here BEFORE it
/// broadcasts them, so a restart re-broadcasts the same bytes and never pays twice. A stuck
/// send is replaced at the same nonce with a fee at least 10% higher. A receipt deep enough
/// and finalized closes the attempt as mined (success or reverted); the gateway then reports
/// it to the payout or withdrawal and marks the send settled.
///
///   requested -> signed (attempt 1: nonce = next nonce) -> signed (attempt n, same nonce,
///   fee >= 110%) ... -> mined -> settled; or requested/signed -> abandoned -> settled.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::chain_send {

inline constexpr std::size_t ref_bytes_max = 128;
inline constexpr std::size_t raw_bytes_max = 4096;  // hex characters of a signed transaction
/// A replacement must pay at least this much more per gas (geth's default price bump: 10%).
inline constexpr unsigned replacement_bump_percent = 10;
/// A fact that says a send failed (a reverted receipt, another transaction holding its nonce)
/// gives the money back, so it counts only this many blocks deep at least, whatever the
/// configured payout_confirmations (a success only pays what was asked for).
inline constexpr std::uint64_t failure_confirmations_min = 12;

struct key {
  std::uint64_t chain_id = 0;
  std::string address;  // the hot wallet, "0x" + 40 lower-case hex
  friend bool operator==(const key&, const key&) = default;
};
std::string stream(const key& k);

/// What a send pays for: "payout" (a channel's batch) or "withdrawal" (a user's).
enum class purpose : std::uint8_t { payout = 1, withdrawal = 2 };
std::string_view purpose_name(purpose p);
result<purpose> parse_purpose(std::string_view name);

/// The ref of a payout batch's send: "payout:{channel}:{batch}"; of a withdrawal: "withdrawal:{id}".
std::string payout_ref(channel_id channel, std::string_view batch);
std::string withdrawal_ref(std::string_view withdrawal_id);

enum class send_status : std::uint8_t { requested = 1, signed_ = 2, mined = 3, settled = 4, abandoned = 5 };
std::string_view status_name(send_status s);

struct requested {
  static constexpr std::string_view type_name = "chain_send.requested";
  static constexpr std::uint16_t version = 1;
  std::string ref;
  purpose kind = purpose::payout;
  std::string to;  // recipient, "0x" + 40 lower-case hex
  amount value = amount(asset::usdt, 0);
  void write(json_object_writer& w) const;
  static result<requested> read(const json_value& v);
  friend bool operator==(const requested&, const requested&) = default;
};

/// One signed attempt. Fees are wei per gas as decimal text (fee_cap: gasPrice or maxFeePerGas;
/// tip: maxPriorityFeePerGas, "0" for legacy).
struct signed_ {
  static constexpr std::string_view type_name = "chain_send.signed";
  static constexpr std::uint16_t version = 1;
  std::string ref;
  std::uint64_t nonce = 0;
  std::uint32_t attempt = 1;
  std::uint8_t tx_type = 0;  // 0 legacy (EIP-155), 2 EIP-1559
  u128 fee_cap = 0;
  u128 tip = 0;
  std::uint64_t gas_limit = 0;
  std::string tx_hash;
  std::string raw;  // "0x" + hex: the exact bytes broadcast
  std::int64_t signed_at_us = 0;
  void write(json_object_writer& w) const;
  static result<signed_> read(const json_value& v);
  friend bool operator==(const signed_&, const signed_&) = default;
};

struct mined {
  static constexpr std::string_view type_name = "chain_send.mined";
  static constexpr std::uint16_t version = 1;
  std::string ref;
  std::string tx_hash;
  std::uint64_t block_number = 0;
  std::string block_hash;
  bool success = false;
  std::uint64_t gas_used = 0;
  u128 effective_gas_price = 0;
  void write(json_object_writer& w) const;
  static result<mined> read(const json_value& v);
  friend bool operator==(const mined&, const mined&) = default;
};

struct settled {
  static constexpr std::string_view type_name = "chain_send.settled";
  static constexpr std::uint16_t version = 1;
  std::string ref;
  void write(json_object_writer& w) const;
  static result<settled> read(const json_value& v);
  friend bool operator==(const settled&, const settled&) = default;
};

struct abandoned {
  static constexpr std::string_view type_name = "chain_send.abandoned";
  static constexpr std::uint16_t version = 1;
  std::string ref;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<abandoned> read(const json_value& v);
  friend bool operator==(const abandoned&, const abandoned&) = default;
};

/// Nonces used outside this ledger (found at start by comparing with the chain): skipped, never
/// reused.
struct nonces_skipped {
  static constexpr std::string_view type_name = "chain_send.nonces_skipped";
  static constexpr std::uint16_t version = 1;
  std::uint64_t from_nonce = 0;
  std::uint64_t to_nonce = 0;  // the new next nonce
  std::string reason;
  void write(json_object_writer& w) const;
  static result<nonces_skipped> read(const json_value& v);
  friend bool operator==(const nonces_skipped&, const nonces_skipped&) = default;
};

using event = std::variant<requested, signed_, mined, settled, abandoned, nonces_skipped>;

struct attempt {
  std::string tx_hash;
  std::string raw;
  std::uint8_t tx_type = 0;
  u128 fee_cap = 0;
  u128 tip = 0;
  std::uint64_t gas_limit = 0;
  std::int64_t signed_at_us = 0;
  friend bool operator==(const attempt&, const attempt&) = default;
};

struct send {
  std::string ref;
  purpose kind = purpose::payout;
  std::string to;
  amount value = amount(asset::usdt, 0);
  send_status status = send_status::requested;
  std::uint64_t sequence = 0;  // request order
  std::uint64_t nonce = 0;     // once signed
  std::vector<attempt> attempts;
  std::string mined_hash;
  bool success = false;
  std::string reason;  // abandoned
  friend bool operator==(const send&, const send&) = default;
};

/// Open sends are kept whole; settled ones only by ref and outcome.
struct state {
  key where;
  std::uint64_t next_nonce = 0;
  std::uint64_t requests = 0;
  std::map<std::string, send> open;
  std::map<std::string, bool> closed;  // settled: ref -> paid (mined with success)
  std::map<std::uint64_t, std::string> nonce_owner;  // open signed sends by nonce

  explicit state(key k = {}) : where(std::move(k)) {}
  friend bool operator==(const state&, const state&) = default;
};

/// What the gateway saw when it read a fact that says a send failed. One node's word is not
/// enough to give money back while the transaction may still be (or be) mined: the fact must be
/// final, and with two or more endpoints configured a second one must report it too.
struct failure_evidence {
  std::uint64_t head = 0;       // the chain head when the fact was read
  std::uint64_t finalized = 0;  // the finalized head then
  std::uint64_t required = failure_confirmations_min;  // configured depth (payout_confirmations)
  std::uint32_t endpoints = 1;  // RPC endpoints configured
  std::uint32_t agreeing = 0;   // endpoints that reported the same fact (the first one included)
  friend bool operator==(const failure_evidence&, const failure_evidence&) = default;
};

/// Whether a failure seen in `block` may be acted on: the block is max(required,
/// failure_confirmations_min) deep at `head`, at or below `finalized`, and the fact was
/// reported by one endpoint (only one configured) or by two or more.
bool failure_final(std::uint64_t block, const failure_evidence& e);

/// Queue a send; a repeat with the same terms decides nothing, other terms are
/// invalid_argument. Errors: invalid_argument (ref, address, non-positive amount).
struct request {
  std::string ref;
  purpose kind = purpose::payout;
  std::string to;
  amount value = amount(asset::usdt, 0);
};
/// Record a signed attempt. Attempt 1 takes the next nonce; a replacement keeps the nonce and
/// raises fee_cap (and tip, for type 2) by at least 10%. Errors: send_state_invalid (unknown
/// or closed ref, wrong nonce, too small a bump), invalid_argument (malformed hash or raw).
struct sign {
  std::string ref;
  std::uint64_t nonce = 0;
  std::uint8_t tx_type = 0;
  u128 fee_cap = 0;
  u128 tip = 0;
  std::uint64_t gas_limit = 0;
  std::string tx_hash;
  std::string raw;
};
/// One of the send's attempts is in a block (deep and finalized, as the gateway checks). A
/// reverted one (success false) voids the payment, so it needs `evidence` that is final
/// (failure_final). Errors: send_state_invalid (not signed, the hash is none of its attempts, a
/// failure not final or not confirmed), invalid_argument (evidence that cannot be: more
/// agreeing endpoints than configured).
struct record_mined {
  std::string ref;
  std::string tx_hash;
  std::uint64_t block_number = 0;
  std::string block_hash;
  bool success = false;
  std::uint64_t gas_used = 0;
  u128 effective_gas_price = 0;
  failure_evidence evidence;  // read only when !success
};
/// The payout or withdrawal has taken the outcome (mined or abandoned) in: the send closes.
/// Errors: send_state_invalid (still requested or signed). Nothing when already settled.
struct settle {
  std::string ref;
};
/// Give up a send that never got on chain; it stays open until settled, so its failure is
/// reported exactly once. A send never signed needs only a reason. A signed one may have been
/// broadcast, so it is given up only when another transaction holds its nonce: `taken_by`
/// (none of its attempts) with nonce `taken_nonce` (the send's) in block `taken_block`, final
/// by `evidence`; the reason then names that transaction. Errors: send_state_invalid (mined
/// or closed; signed and the holder is missing, ours, at another nonce or not final),
/// invalid_argument (no reason, malformed hash). Nothing when already abandoned.
struct abandon {
  std::string ref;
  std::string reason;
  std::string taken_by;  // "0x" + 64 hex: the transaction holding the nonce
  std::uint64_t taken_nonce = 0;
  std::uint64_t taken_block = 0;
  failure_evidence evidence;
};
/// The chain's nonce is ahead of ours: skip to it. Nothing when not ahead.
struct skip_nonces {
  std::uint64_t chain_nonce = 0;
  std::string reason;
};

using command = std::variant<request, sign, record_mined, settle, abandon, skip_nonces>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// Snapshots (the queue is one long stream: every payout and withdrawal ever sent): canonical
/// JSON of the whole state. decode errors: snapshot_invalid (another stream, malformed).
std::string encode_snapshot(const state& s);
result<state> decode_snapshot(const key& k, std::string_view json);

/// The smallest fee a replacement of `previous` may offer: previous * 110%, rounded up.
u128 bumped(u128 previous);
/// Open sends in request order.
std::vector<const send*> open_in_order(const state& s);

}  // namespace telepay::domain::chain_send
