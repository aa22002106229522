#pragma once
/// An account's statement: every movement of one wallet in log order with the balance after it,
/// folded from the wallet's own stream (nothing but the log is trusted), paginated by version.
/// Used by the operator API and by telepay-audit; a tampered or corrupt stream is an error
/// naming its seq, never a trap.

#include <cstdint>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/money/amount.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::projections {

struct statement_line {
  std::uint64_t seq = 0;
  std::uint64_t version = 0;
  std::int64_t recorded_at_us = 0;
  std::string type;          // the event type: wallet.credited, wallet.held, ...
  std::string transfer_id;
  std::string kind;          // credits and debits: deposit, transfer, commission, ...
  std::string counterparty;  // the other side's stream or external reference
  std::string reason;        // voided holds
  domain::amount value;      // the event's amount
  std::string change;        // signed change of the balance (credits - debits): "+5", "-5", "0"
  std::string held_change;   // signed change of the amount held
  std::string balance_after;  // signed (clearing accounts go negative)
  domain::amount held_after;
  domain::amount available_after;
  std::string to_json() const;
};

struct statement_page {
  domain::wallet_key wallet;
  std::vector<statement_line> lines;
  /// The version of the last line returned; pass it as `after_version` for the next page.
  std::uint64_t last_version = 0;
  bool has_more = false;
  /// The wallet's state after the last event with seq <= through_seq (the whole walk).
  std::string closing_balance;
  domain::amount closing_held;
  domain::amount closing_available;
  std::uint64_t events = 0;
};

/// Lines for the wallet's events with version > after_version and seq <= through_seq, at most
/// `limit` of them. Errors: what the store returns; record_corrupt for an event that does not
/// decode as a wallet event or breaks the wallet's rules (a tampered copy).
result<statement_page> statement(eventstore::event_store& store, const domain::wallet_key& wallet,
                                 std::uint64_t after_version, std::size_t limit,
                                 std::uint64_t through_seq);

}  // namespace telepay::projections
