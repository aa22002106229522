#pragma once
/// Balances as of a point in the past, for operators and auditors: a wallet's stream folded up
/// to a seq (the stream index finds its events; no per-account history is kept), and the seq
/// that was the head at a given time (recorded_at never decreases along seq, so a binary
/// search over the log finds it).

#include <cstdint>

#include "domain/ids.hpp"
#include "eventstore/event_store.hpp"
#include "projections/models.hpp"

namespace telepay::projections {

/// The wallet's balance row after every event with seq <= at_seq.
result<balance_row> balance_at(eventstore::event_store& store, const domain::wallet_key& wallet,
                               std::uint64_t at_seq);

/// The greatest seq whose recorded_at <= at_us (0 if the log starts later).
result<std::uint64_t> seq_at_time(eventstore::event_store& store, std::int64_t at_us);

}  // namespace telepay::projections
