#pragma once
/// log_stats: a read model of the log's shape (event counts by type and stream category,
/// distinct streams, time range, bytes), folded from records alone. Used by `telepay-audit stats`
/// and by the server's health and metrics.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>

#include "eventstore/record.hpp"

namespace telepay::projections {

struct log_stats {
  std::uint64_t events = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::int64_t first_recorded_at_us = 0;
  std::int64_t last_recorded_at_us = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t record_bytes = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  /// Category = the stream name up to its first '-' (`user`, `wallet`, `channel`, ...).
  std::map<std::string, std::uint64_t> events_by_category;
  std::unordered_set<std::string> streams;
};

/// Folds one record into the model. Records must arrive in seq order.
void apply(log_stats& model, const eventstore::record_view& record);

/// The category of a stream name (the part before the first '-', or the whole name).
std::string_view stream_category(std::string_view stream);

}  // namespace telepay::projections
