#pragma once
// Rewrites one stored log record with RocksDB itself, bypassing the event store, the way an
// attacker or a disk fault would.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace telepay::testing {

/// Opens the RocksDB at `db_dir` (which must be closed), applies `change` to the value of
/// log key `seq`, writes it back synced and closes. Fails the current test on any error.
void tamper_record(const std::filesystem::path& db_dir, std::uint64_t seq,
                   const std::function<void(std::string&)>& change);

/// Flips one bit of the payload of record `seq` (a byte 40 from the end, inside the payload for
/// any payload of 8 bytes or more).
void flip_payload_byte(const std::filesystem::path& db_dir, std::uint64_t seq);

}  // namespace telepay::testing
