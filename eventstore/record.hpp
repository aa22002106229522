#pragma once
/// The stored form of one event: a binary, hash-chained record in column family `log`.
/// Layout (all integers big-endian), documented for auditors in docs/STORAGE.md:
///
///   u8   format            (record_format_version = 1)
///   u64  seq               (global, gapless, from 1; equals the 8-byte key)
///   u64  version           (per stream, from 1)
///   i64  recorded_at_us    (microseconds since the Unix epoch, UTC; never decreases)
///   u16  schema_version    (of the event payload, >= 1)
///   u8[32] prev_hash       (hash of record seq-1; zeros for seq 1)
///   u16+bytes stream, u16+bytes type, u16+bytes correlation_id, u16+bytes causation_id,
///   u16+bytes idempotency_key, u32+bytes payload (canonical JSON)
///   u8[32] hash            = SHA-256 of every byte above (so it covers prev_hash)

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/bytes.hpp"
#include "domain/base/result.hpp"

namespace telepay::eventstore {

inline constexpr std::uint8_t record_format_version = 1;
inline constexpr std::size_t record_fixed_header_bytes = 1 + 8 + 8 + 8 + 2 + 32;
inline constexpr std::size_t record_hash_bytes = 32;
inline constexpr std::size_t record_bytes_min =
    record_fixed_header_bytes + 5 * 2 + 4 + record_hash_bytes;
static_assert(record_fixed_header_bytes == 59);

/// A decoded record whose strings point into the stored bytes. Valid only while those bytes are.
struct record_view {
  std::uint64_t seq = 0;
  std::uint64_t version = 0;
  std::int64_t recorded_at_us = 0;
  std::uint16_t schema_version = 0;
  hash256 prev_hash{};
  std::string_view stream;
  std::string_view type;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view idempotency_key;
  std::string_view payload;
  hash256 hash{};
  /// The bytes the hash covers (everything but the trailing hash).
  std::string_view hashed_bytes;
};

/// An owning record, returned by reads.
struct record {
  std::uint64_t seq = 0;
  std::uint64_t version = 0;
  std::int64_t recorded_at_us = 0;
  std::uint16_t schema_version = 0;
  hash256 prev_hash{};
  std::string stream;
  std::string type;
  std::string correlation_id;
  std::string causation_id;
  std::string idempotency_key;
  std::string payload;
  hash256 hash{};

  static record from_view(const record_view& view);
  /// A view of this record (valid while it lives; hashed_bytes is left empty).
  record_view view() const;
  friend bool operator==(const record&, const record&) = default;
};

/// The fields a writer supplies; the hash is computed by encode_record.
struct record_fields {
  std::uint64_t seq = 0;
  std::uint64_t version = 0;
  std::int64_t recorded_at_us = 0;
  std::uint16_t schema_version = 0;
  hash256 prev_hash{};
  std::string_view stream;
  std::string_view type;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view idempotency_key;
  std::string_view payload;
};

/// Appends the encoded record to `out` and returns its hash.
/// REQUIRES: field lengths within domain/base/limits.hpp (asserted).
hash256 encode_record(const record_fields& fields, std::string& out);

/// Parses the layout; checks lengths and format, not the hash (see verify_record_hash).
result<record_view> decode_record(std::string_view bytes);

/// True if the stored hash equals SHA-256 of the hashed bytes.
bool verify_record_hash(const record_view& view);

/// Size of the encoding of `fields`.
std::size_t encoded_record_bytes(const record_fields& fields);

}  // namespace telepay::eventstore
