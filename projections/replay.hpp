#pragma once
/// Replays a range of the log into a model set on two threads: one reads and decodes records,
/// the other applies them in seq order (decoding is independent per record, applying is not).
/// Used by the auditor's replay, the benchmark and anything that rebuilds from seq 1.

#include <cstdint>
#include <functional>

#include "eventstore/event_store.hpp"
#include "projections/models.hpp"

namespace telepay::projections {

struct replay_result {
  std::uint64_t events = 0;
};

/// Applies records [from_seq, to_seq] to `models`. `after_each(seq)` (optional) runs on the
/// applying thread after each record. Errors: a record that does not decode, a storage error.
result<replay_result> replay(eventstore::event_store& store, model_set& models,
                             std::uint64_t from_seq, std::uint64_t to_seq,
                             const std::function<void(std::uint64_t seq)>& after_each = {});

}  // namespace telepay::projections
