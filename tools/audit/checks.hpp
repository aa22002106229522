#pragma once
// telepay-audit replay / balance / check: rebuilding the server's read models from the log,
// balances at a point in time, and the money invariants over the whole history.

#include <cstdint>
#include <string>

#include "eventstore/event_store.hpp"

namespace telepay::tools {

/// Rebuilds every projection from seq 1 and compares each with what the server stored at that
/// projection's checkpoint. Prints each difference; returns 0 when identical, 1 otherwise, 2 on
/// an error.
int run_replay(eventstore::event_store& store, bool json, std::size_t max_differences);

/// Prints a user's wallets as of a seq or time ("" = now). Returns 0, or 2 on an error.
int run_balance(eventstore::event_store& store, std::int64_t user, const std::string& at);

/// Checks double entry (per asset, credits == debits once settled) and that no wallet that must
/// not go negative ever did, at every seq. Returns 0 when both hold, 1 otherwise, 2 on an error.
int run_check(eventstore::event_store& store, bool json);

}  // namespace telepay::tools
