#pragma once
/// On-chain USDT deposits (BEP-20 Transfer logs to per-user deposit addresses) and the
/// watcher's scan cursor.
///
/// A deposit is one log, stream "deposit-{chain id}-{tx hash}-{log index}": detected (the log
/// as seen, with its block number and hash), orphaned (its block left the canonical chain),
/// confirmed (deep enough, at or below the finalized head, block hash re-checked). Only a
/// confirmed deposit is credited, through the deposit process "c{chain}-{tx hash[:40]}-{index}",
/// so each (tx hash, log index) is credited at most once. Hashes and addresses are lower-case
/// "0x" hex text here; the chain gateway parses and checks them.
///
/// The scan cursor, stream "chainscan-{chain id}": the block a restarted watcher must rescan
/// from (never above an unconfirmed detection), so a crash loses nothing and repeats only
/// idempotent detections. An operator's rescan has its own cursor on the same stream (from,
/// next, to: the live cursor's position when it was asked for), walked between live windows:
/// the live cursor never moves back for it, and a restart resumes it.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain {

/// "0x" + 64 lower-case hex digits.
bool is_hash_text(std::string_view text);
/// "0x" + 40 lower-case hex digits.
bool is_address_text(std::string_view text);

namespace chain_deposit {

struct key {
  std::uint64_t chain_id = 0;
  std::string tx_hash;  // "0x" + 64 lower-case hex
  std::uint64_t log_index = 0;
  friend bool operator==(const key&, const key&) = default;
};

/// Errors: invalid_argument (chain id 0, malformed hash).
status check_key(const key& k);
std::string stream(const key& k);
/// The id of the deposit process that credits it (a transfer id, at most 64 characters).
std::string deposit_id(const key& k);

enum class status_kind : std::uint8_t { none = 0, detected = 1, orphaned = 2, confirmed = 3 };
std::string_view status_name(status_kind s);

/// What a Transfer log says, as the watcher saw it.
struct sighting {
  std::uint64_t block_number = 0;
  std::string block_hash;
  std::string token;  // the contract
  std::string from;
  std::string to;     // the deposit address
  user_id user;       // whose address it is
  amount value = amount(asset::usdt, 0);
  friend bool operator==(const sighting&, const sighting&) = default;
};

struct detected {
  static constexpr std::string_view type_name = "chain_deposit.detected";
  static constexpr std::uint16_t version = 1;
  key where;
  sighting seen;
  void write(json_object_writer& w) const;
  static result<detected> read(const json_value& v);
  friend bool operator==(const detected&, const detected&) = default;
};

struct orphaned {
  static constexpr std::string_view type_name = "chain_deposit.orphaned";
  static constexpr std::uint16_t version = 1;
  std::uint64_t block_number = 0;
  std::string block_hash;  // the hash that is no longer canonical
  std::string canonical_hash;  // what the chain has at that height now ("" when unknown)
  void write(json_object_writer& w) const;
  static result<orphaned> read(const json_value& v);
  friend bool operator==(const orphaned&, const orphaned&) = default;
};

struct confirmed {
  static constexpr std::string_view type_name = "chain_deposit.confirmed";
  static constexpr std::uint16_t version = 1;
  std::uint64_t block_number = 0;
  std::string block_hash;
  user_id user = user_id(1);                // repeated from the sighting, so readers need no state
  amount value = amount(asset::usdt, 0);
  std::uint64_t head = 0;       // the chain head when confirmed
  std::uint64_t finalized = 0;  // the finalized head when confirmed
  void write(json_object_writer& w) const;
  static result<confirmed> read(const json_value& v);
  friend bool operator==(const confirmed&, const confirmed&) = default;
};

using event = std::variant<detected, orphaned, confirmed>;

struct state {
  key where;
  status_kind status = status_kind::none;
  sighting seen;
  std::uint32_t sightings = 0;  // detections recorded (re-inclusions after a reorg count)

  explicit state(key k = {}) : where(std::move(k)) {}
  friend bool operator==(const state&, const state&) = default;
};

/// A sighting of the log. First time, or after an orphaning: detected. The same block hash
/// again: nothing. Another block hash while detected (re-included after a reorg the watcher
/// has not noticed yet): orphaned (the old block), then detected. After confirmation: nothing.
/// Errors: invalid_argument (malformed text, zero amount, another user or amount in the same
/// block: one log cannot change its content there; in another block it may, since log indexes
/// are per block).
struct detect {
  sighting seen;
};
/// The block no longer holds the log. Nothing unless detected in exactly that block.
struct orphan {
  std::string block_hash;
  std::string canonical_hash;
};
/// Credits may start: the block is `required` deep (head - block + 1 >= required), at or below
/// the finalized head, and its hash is still the one detected. Errors: deposit_state_invalid
/// (not detected, another block hash, not deep enough, not finalized). Nothing when confirmed.
struct confirm {
  std::string block_hash;  // the hash the chain has at the deposit's height now
  std::uint64_t head = 0;
  std::uint64_t finalized = 0;
  std::uint64_t required = 12;
};

using command = std::variant<detect, orphan, confirm>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// Whether a detection in `block` may be confirmed at `head` / `finalized`.
bool deep_enough(std::uint64_t block, std::uint64_t head, std::uint64_t finalized, std::uint64_t required);

}  // namespace chain_deposit

namespace chain_scan {

std::string stream(std::uint64_t chain_id);

struct checkpointed {
  static constexpr std::string_view type_name = "chain_scan.checkpoint";
  static constexpr std::uint16_t version = 1;
  std::uint64_t resume_block = 0;  // a restart rescans from here
  std::uint64_t scanned_to = 0;    // the last block scanned
  std::string scanned_hash;        // its hash
  std::string reason;              // "progress", "rescan by {who}", "start"
  void write(json_object_writer& w) const;
  static result<checkpointed> read(const json_value& v);
  friend bool operator==(const checkpointed&, const checkpointed&) = default;
};

/// An operator's rescan: blocks [next_block, to_block) are read again (from_block is where it
/// began, for progress); to_block is the live cursor's next block when it was asked for.
/// Also recorded when a second request widens a running rescan (the whole new range).
struct rescan_started {
  static constexpr std::string_view type_name = "chain_scan.rescan_started";
  static constexpr std::uint16_t version = 1;
  std::uint64_t from_block = 0;
  std::uint64_t next_block = 0;
  std::uint64_t to_block = 0;
  std::string by;  // who asked ("token:...")
  void write(json_object_writer& w) const;
  static result<rescan_started> read(const json_value& v);
  friend bool operator==(const rescan_started&, const rescan_started&) = default;
};

/// The rescan has read every block below next_block (and nothing it found there is unconfirmed).
struct rescan_progressed {
  static constexpr std::string_view type_name = "chain_scan.rescan_progressed";
  static constexpr std::uint16_t version = 1;
  std::uint64_t next_block = 0;
  void write(json_object_writer& w) const;
  static result<rescan_progressed> read(const json_value& v);
  friend bool operator==(const rescan_progressed&, const rescan_progressed&) = default;
};

struct rescan_finished {
  static constexpr std::string_view type_name = "chain_scan.rescan_finished";
  static constexpr std::uint16_t version = 1;
  std::uint64_t from_block = 0;
  std::uint64_t to_block = 0;
  void write(json_object_writer& w) const;
  static result<rescan_finished> read(const json_value& v);
  friend bool operator==(const rescan_finished&, const rescan_finished&) = default;
};

using event = std::variant<checkpointed, rescan_started, rescan_progressed, rescan_finished>;

/// A running rescan: next_block <= to_block; from_block <= next_block.
struct rescan_cursor {
  std::uint64_t from_block = 0;
  std::uint64_t next_block = 0;
  std::uint64_t to_block = 0;
  std::string by;
  friend bool operator==(const rescan_cursor&, const rescan_cursor&) = default;
};

struct state {
  std::uint64_t chain_id = 0;
  bool exists = false;
  std::uint64_t resume_block = 0;
  std::uint64_t scanned_to = 0;
  std::string scanned_hash;
  std::optional<rescan_cursor> rescan;  // none when no rescan runs

  explicit state(std::uint64_t chain = 0) : chain_id(chain) {}
  friend bool operator==(const state&, const state&) = default;
};

/// Records the cursor; nothing when unchanged (unless record_always: an operator's rescan is
/// always on record). Errors: invalid_argument (resume above scanned_to + 1, malformed hash).
struct checkpoint {
  std::uint64_t resume_block = 0;
  std::uint64_t scanned_to = 0;
  std::string scanned_hash;
  std::string reason;
  bool record_always = false;
};
/// Read blocks [from_block, live_next) again, where live_next is the live cursor's next block
/// now. Nothing when from_block >= live_next (the live cursor has not passed them yet). While a
/// rescan runs, the two become one: from the lower start to the higher end. Errors:
/// invalid_argument (`by` not 1-200 bytes).
struct start_rescan {
  std::uint64_t from_block = 0;
  std::uint64_t live_next = 0;
  std::string by;
};
/// The rescan's cursor: every block below next_block is read (and confirmed where it held a
/// deposit). Reaching to_block finishes the rescan. Nothing when no rescan runs or nothing
/// changed. Errors: invalid_argument (backwards, or beyond to_block).
struct record_rescan {
  std::uint64_t next_block = 0;
};
using command = std::variant<checkpoint, start_rescan, record_rescan>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace chain_scan
}  // namespace telepay::domain
