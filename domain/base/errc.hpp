#pragma once
/// Error codes shared by every layer. Values are pinned: never renumber, never reuse a value.
/// Switches over errc have no `default:` so -Wswitch reports a missing case.

#include <cstdint>
#include <string_view>

namespace telepay {

enum class errc : std::uint32_t {
  // Bad input (1..99): the caller sent something we refuse; nothing was written.
  invalid_argument = 1,
  stream_name_invalid = 2,
  event_type_invalid = 3,
  events_must_not_be_empty = 4,
  too_many_events = 5,
  payload_too_large = 6,
  metadata_invalid = 7,
  idempotency_key_invalid = 8,
  snapshot_invalid = 9,

  // Event store outcomes (100..199).
  wrong_expected_version = 100,
  idempotency_key_reused_with_different_payload = 101,
  store_closed = 102,
  storage_failed = 103,
  chain_broken = 104,
  record_corrupt = 105,
  not_found = 106,
  format_mismatch = 107,
  append_queue_full = 108,
};

/// A short, stable, human-readable name for each code (used in logs and HTTP errors).
constexpr std::string_view errc_name(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::stream_name_invalid: return "stream_name_invalid";
    case errc::event_type_invalid: return "event_type_invalid";
    case errc::events_must_not_be_empty: return "events_must_not_be_empty";
    case errc::too_many_events: return "too_many_events";
    case errc::payload_too_large: return "payload_too_large";
    case errc::metadata_invalid: return "metadata_invalid";
    case errc::idempotency_key_invalid: return "idempotency_key_invalid";
    case errc::snapshot_invalid: return "snapshot_invalid";
    case errc::wrong_expected_version: return "wrong_expected_version";
    case errc::idempotency_key_reused_with_different_payload:
      return "idempotency_key_reused_with_different_payload";
    case errc::store_closed: return "store_closed";
    case errc::storage_failed: return "storage_failed";
    case errc::chain_broken: return "chain_broken";
    case errc::record_corrupt: return "record_corrupt";
    case errc::not_found: return "not_found";
    case errc::format_mismatch: return "format_mismatch";
    case errc::append_queue_full: return "append_queue_full";
  }
  return "unknown";  // Unreachable for valid enumerators; keeps -Wreturn-type quiet.
}

/// Every enumerator, for tests that check names are unique and non-empty.
inline constexpr errc errc_all[] = {
    errc::invalid_argument,
    errc::stream_name_invalid,
    errc::event_type_invalid,
    errc::events_must_not_be_empty,
    errc::too_many_events,
    errc::payload_too_large,
    errc::metadata_invalid,
    errc::idempotency_key_invalid,
    errc::snapshot_invalid,
    errc::wrong_expected_version,
    errc::idempotency_key_reused_with_different_payload,
    errc::store_closed,
    errc::storage_failed,
    errc::chain_broken,
    errc::record_corrupt,
    errc::not_found,
    errc::format_mismatch,
    errc::append_queue_full,
};

}  // namespace telepay
