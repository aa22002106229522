#pragma once
/// A wallet: one owner (user, channel or system account) x one asset. Credits, debits and
/// two-phase holds (hold -> post or void), TigerBeetle style:
/// posted credits and debits are kept apart and the balance is derived, so nothing is ever
/// subtracted below zero. Idempotency by transfer id: the same id with the same amount changes
/// nothing (the event store deduplicates the append); with a different amount it is an error.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::wallet {

// ---- events ----

struct credited {
  static constexpr std::string_view type_name = "wallet.credited";
  static constexpr std::uint16_t version = 1;
  transfer_id id;
  amount value;
  std::string kind;          // deposit, transfer, commission, revenue, refund, ...
  std::string counterparty;  // the other side's stream or external reference
  void write(json_object_writer& w) const;
  static result<credited> read(const json_value& v);
  friend bool operator==(const credited&, const credited&) = default;
};

struct debited {
  static constexpr std::string_view type_name = "wallet.debited";
  static constexpr std::uint16_t version = 1;
  transfer_id id;
  amount value;
  std::string kind;
  std::string counterparty;
  void write(json_object_writer& w) const;
  static result<debited> read(const json_value& v);
  friend bool operator==(const debited&, const debited&) = default;
};

struct held {
  static constexpr std::string_view type_name = "wallet.held";
  static constexpr std::uint16_t version = 1;
  transfer_id id;
  amount value;
  std::string counterparty;
  std::int64_t expires_at_us = 0;
  void write(json_object_writer& w) const;
  static result<held> read(const json_value& v);
  friend bool operator==(const held&, const held&) = default;
};

struct hold_posted {
  static constexpr std::string_view type_name = "wallet.hold_posted";
  static constexpr std::uint16_t version = 1;
  transfer_id id;
  amount value;
  void write(json_object_writer& w) const;
  static result<hold_posted> read(const json_value& v);
  friend bool operator==(const hold_posted&, const hold_posted&) = default;
};

struct hold_voided {
  static constexpr std::string_view type_name = "wallet.hold_voided";
  static constexpr std::uint16_t version = 1;
  transfer_id id;
  amount value;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<hold_voided> read(const json_value& v);
  friend bool operator==(const hold_voided&, const hold_voided&) = default;
};

using event = std::variant<credited, debited, held, hold_posted, hold_voided>;

// ---- state ----

struct pending_hold {
  amount value;
  std::int64_t expires_at_us = 0;
  std::string counterparty;
  friend bool operator==(const pending_hold&, const pending_hold&) = default;
};

/// Settled holds remembered so a repeated post/void is answered without error.
inline constexpr std::size_t settled_holds_remembered = 256;

struct state {
  wallet_key key;
  u128 credits_posted = 0;
  u128 debits_posted = 0;
  u128 debits_pending = 0;
  std::map<std::string, pending_hold> holds;  // by transfer id, ordered (deterministic)
  // (transfer id, posted?) newest last. A vector, not a deque: an empty std::deque allocates,
  // and there is one wallet state per live wallet actor (two, counting the optimistic one).
  std::vector<std::pair<std::string, bool>> settled;

  explicit state(wallet_key k = {}) : key(std::move(k)) {}

  /// credits - debits_posted - debits_pending, or 0 when that is negative.
  amount available() const;
  /// credits - debits_posted as signed decimal text ("-12.5" for clearing accounts).
  std::string balance_text() const;
  friend bool operator==(const state&, const state&) = default;
};

// ---- commands ----

struct credit {
  transfer_id id;
  amount value;
  std::string kind;
  std::string counterparty;
};
struct debit {
  transfer_id id;
  amount value;
  std::string kind;
  std::string counterparty;
};
struct hold {
  transfer_id id;
  amount value;
  std::int64_t expires_at_us = 0;
  std::string counterparty;
};
struct post {
  transfer_id id;
};
struct void_hold {
  transfer_id id;
  std::string reason;
};
/// Voids every hold whose expiry is at or before `now`: the deterministic timeout of abandoned
/// holds. Until such a void is recorded a hold can still be posted, so a process that resumes
/// after its hold's expiry (a long outage) still settles instead of leaving money half moved.
struct expire_holds {};

using command = std::variant<credit, debit, hold, post, void_hold, expire_holds>;

/// Decides the events a command produces against `s` at time `now_us`. An empty vector means
/// the command was already applied (idempotent repeat).
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);

/// Applies one event. REQUIRES: the event was decided against this state (asserted).
void evolve(state& s, const event& e);

/// Applies one event read from a log that may be corrupt or tampered with (the auditor's fold):
/// the violation evolve() would trap on (another asset than the wallet's, a hold recorded
/// twice, posting or voiding an unknown hold or another amount, a counter that would overflow)
/// is returned as record_corrupt instead, and `s` is left unchanged.
status evolve_checked(state& s, const event& e);

/// The idempotency key of the append a command makes ("" if none): stream, operation and
/// transfer id, so a retried command is deduplicated by the event store.
std::string idempotency_key(const state& s, const command& c);

/// Snapshot codec (canonical JSON).
std::string encode_snapshot(const state& s);
result<state> decode_snapshot(const wallet_key& key, std::string_view json);

}  // namespace telepay::domain::wallet
