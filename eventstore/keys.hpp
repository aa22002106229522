#pragma once
/// Column families and key/value encodings of the log (docs/STORAGE.md is the auditor's copy).

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/bytes.hpp"

namespace telepay::eventstore::keys {

inline constexpr std::string_view cf_log = "log";
inline constexpr std::string_view cf_streams = "streams";
inline constexpr std::string_view cf_idempotency = "idempotency";
inline constexpr std::string_view cf_snapshots = "snapshots";
inline constexpr std::string_view cf_meta = "meta";
inline constexpr std::string_view cf_projections = "projections";

inline constexpr std::string_view meta_format_key = "format";
inline constexpr std::string_view meta_format_value = "telepay-eventstore/1";
/// be64 seq: every record up to it has its index entries in `streams` / `idempotency`.
inline constexpr std::string_view meta_indexed_through_key = "indexed_through";
/// meta key of a projection's checkpoint: "projection:" + name -> be64 seq.
inline std::string projection_checkpoint_key(std::string_view name) {
  return "projection:" + std::string(name);
}
/// projections: projection name, 0x00, row key -> row value (canonical JSON).
inline std::string projection_row_key(std::string_view name, std::string_view row) {
  std::string key(name);
  key.push_back('\0');
  key.append(row);
  return key;
}

/// streams: stream bytes, 0x00, be64 first version of one append -> be64 first seq, be32 count.
/// Stream names are printable ASCII, so the 0x00 separator keeps one stream's keys contiguous.
inline std::string stream_key(std::string_view stream, std::uint64_t first_version) {
  std::string key;
  key.reserve(stream.size() + 9);
  key.append(stream);
  key.push_back('\0');
  put_be64(key, first_version);
  return key;
}

inline constexpr std::size_t stream_value_bytes = 12;
inline constexpr std::size_t idempotency_value_bytes = 8 + 4 + 8 + 32;

}  // namespace telepay::eventstore::keys
