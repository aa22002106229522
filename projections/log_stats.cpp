#include "projections/log_stats.hpp"

#include "domain/base/assert.hpp"

namespace telepay::projections {

std::string_view stream_category(std::string_view stream) {
  const auto dash = stream.find('-');
  return dash == std::string_view::npos ? stream : stream.substr(0, dash);
}

void apply(log_stats& model, const eventstore::record_view& record) {
  LEDGER_ASSERT(model.events == 0 || record.seq == model.last_seq + 1,
                "log_stats needs records in seq order: ", model.last_seq, " then ", record.seq);
  if (model.events == 0) {
    model.first_seq = record.seq;
    model.first_recorded_at_us = record.recorded_at_us;
  }
  model.events += 1;
  model.last_seq = record.seq;
  model.last_recorded_at_us = record.recorded_at_us;
  model.payload_bytes += record.payload.size();
  model.record_bytes += record.hashed_bytes.size() + eventstore::record_hash_bytes;
  model.events_by_type[std::string(record.type)] += 1;
  model.events_by_category[std::string(stream_category(record.stream))] += 1;
  model.streams.emplace(record.stream);
}

}  // namespace telepay::projections
