#include "projections/point_in_time.hpp"

#include "domain/base/limits.hpp"

namespace telepay::projections {

result<balance_row> balance_at(eventstore::event_store& store, const domain::wallet_key& wallet,
                               std::uint64_t at_seq) {
  balances fold;
  const std::string stream = wallet.stream();
  std::uint64_t next_version = 1;
  while (true) {
    auto page = store.read_stream(stream, next_version, limits::read_batch_events_max);
    if (!page) {
      return page.error();
    }
    for (const auto& r : *page) {
      if (r.seq > at_seq) {
        page->clear();
        break;
      }
      auto event = decode_any(r.view());
      if (!event) {
        return make_error(event.code(), "seq " + std::to_string(r.seq) + ": " + event.error().message);
      }
      fold.apply(r.view(), *event);
      next_version = r.version + 1;
    }
    if (page->size() < limits::read_batch_events_max) {
      break;
    }
  }
  if (const balance_row* row = fold.find(stream)) {
    return *row;
  }
  balance_row empty;
  empty.owner = wallet.owner.text();
  empty.currency = wallet.currency;
  return empty;
}

result<std::uint64_t> seq_at_time(eventstore::event_store& store, std::int64_t at_us) {
  std::uint64_t low = 1;
  std::uint64_t high = store.head_seq();
  std::uint64_t found = 0;
  while (low <= high) {
    const std::uint64_t mid = low + (high - low) / 2;
    auto records = store.read_all(mid, 1);
    if (!records) {
      return records.error();
    }
    if (records->empty()) {
      break;
    }
    if (records->front().recorded_at_us <= at_us) {
      found = mid;
      low = mid + 1;
    } else {
      if (mid == 0) {
        break;
      }
      high = mid - 1;
    }
  }
  return found;
}

}  // namespace telepay::projections
