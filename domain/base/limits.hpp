#pragma once
/// Every queue, batch, body and name bound in one place, with the relations between them.

#include <cstddef>
#include <cstdint>

namespace telepay::limits {

// Event store: one append.
inline constexpr std::size_t stream_name_bytes_max = 200;
inline constexpr std::size_t event_type_bytes_max = 100;
inline constexpr std::size_t metadata_id_bytes_max = 128;  // correlation / causation id
inline constexpr std::size_t idempotency_key_bytes_max = 128;
inline constexpr std::size_t event_payload_bytes_max = 1024 * 1024;
inline constexpr std::size_t append_events_max = 1024;
inline constexpr std::size_t append_bytes_max = 16 * 1024 * 1024;
inline constexpr std::size_t snapshot_bytes_max = 16 * 1024 * 1024;

// Event store: group commit.
inline constexpr std::size_t append_queue_appends_max = 65536;
inline constexpr std::size_t commit_batch_events_max = 8192;
inline constexpr std::size_t commit_batch_bytes_max = 64 * 1024 * 1024;

// Event store: reads.
inline constexpr std::size_t read_batch_events_max = 4096;

// HTTP server.
inline constexpr std::size_t http_request_body_bytes_max = 64 * 1024;
inline constexpr std::size_t http_request_header_bytes_max = 8 * 1024;
inline constexpr std::size_t http_connections_max = 1024;

static_assert(append_events_max <= commit_batch_events_max,
              "one append must always fit in one group commit");
static_assert(event_payload_bytes_max * 4 <= append_bytes_max,
              "an append holds several maximal events");
static_assert(append_bytes_max * 2 <= commit_batch_bytes_max,
              "a batch holds several maximal appends");
static_assert(stream_name_bytes_max <= 0xffff && event_type_bytes_max <= 0xffff &&
                  metadata_id_bytes_max <= 0xffff && idempotency_key_bytes_max <= 0xffff,
              "record fields carry 16-bit lengths");
static_assert(event_payload_bytes_max <= 0xffffffffu, "payload carries a 32-bit length");

}  // namespace telepay::limits
