#pragma once
// telepay-audit replay / balance / statement / check: rebuilding the server's read models from
// the log, an account's balances and movements at a point in time, and the money invariants
// over the whole history.

#include <cstdint>
#include <optional>
#include <string>

#include "domain/money/amount.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::tools {

/// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
/// The chain does not verify, or a difference or violation was found.
inline constexpr int exit_failed = 1;
/// Usage or I/O error.
inline constexpr int exit_error = 2;
/// replay: there was nothing to compare (no stored projection of this build's format).
inline constexpr int exit_nothing_compared = 3;

/// Rebuilds every projection from seq 1 and compares each with what the server stored at that
/// projection's checkpoint. Prints each difference and the rows compared per model; returns
/// exit_ok when identical, exit_failed on a difference, exit_nothing_compared when no stored
/// projection could be compared, exit_error on an error.
int run_replay(eventstore::event_store& store, bool json, std::size_t max_differences);

/// What balance and statement report on: one wallet owner ("42", "ch:-100123",
/// "sys:platform_revenue"), every asset or one, at a seq or UTC time ("" = the head).
struct account_query {
  std::string owner;
  std::optional<domain::asset> currency;
  std::string at;
  bool json = false;
};

/// Verifies the hash chain from seq 1 through the reported seq, then prints the account's
/// balances with that seq's time and hash. exit_failed when the chain does not verify (no
/// balance is printed), exit_error for a bad query (a seq beyond the head).
int run_balance(eventstore::event_store& store, const account_query& query);

/// Verifies the chain as balance does, then lists the movements of one wallet of the account
/// (the asset is required when the owner has more than one wallet) with the balance after each:
/// versions after `after_version`, at most `limit`.
int run_statement(eventstore::event_store& store, const account_query& query, std::uint64_t after_version,
                  std::size_t limit);

/// Checks double entry (per asset, credits == debits once settled) and that no wallet that must
/// not go negative ever did, at every seq. Returns 0 when both hold, 1 otherwise, 2 on an error.
int run_check(eventstore::event_store& store, bool json);

}  // namespace telepay::tools
