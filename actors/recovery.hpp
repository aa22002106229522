#pragma once
/// Finds the processes a crash interrupted: walks the log, groups records by correlation id
/// ("{kind}:{id}"), collects the steps done (causation ids) and each process's intent, and keeps
/// those that have not finished.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actors/flows.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

struct recovery_result {
  std::vector<transfer_resume> transfers;
  std::vector<process_resume> processes;
  std::vector<payout_resume> payouts;
  /// Channels whose latest payout record (an accrual, or a failure) left money unbatched: at
  /// start-up with a hot wallet each is offered a batch, as its strategy says (accruals wait
  /// unbatched while no hot wallet is configured, and a cancelled batch's money waits too).
  std::vector<domain::channel_id> accruing_channels;
  std::vector<payment_pending> payments;  // recorded payments whose settlement never started
  std::vector<withdrawal_resume> withdrawals;
  /// Withdrawals requested within 24 hours of the last record and neither rejected nor failed:
  /// the cumulative limits' starting totals.
  std::vector<domain::withdrawal::counted> recent_withdrawals;
  std::uint64_t records_scanned = 0;
  std::vector<std::string> problems;  // undecodable records, for the log
};

/// Walks [1, head]. `progress` (optional) is called every ~1M records with the seq reached.
result<recovery_result> scan_unfinished(eventstore::event_store& store,
                                        const std::function<void(std::uint64_t)>& progress = {});

}  // namespace telepay::actors
