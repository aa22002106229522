#pragma once
/// UTC timestamps as microseconds since the Unix epoch, and their ISO 8601 text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telepay {

/// "2026-11-24T10:15:30.123456Z".
std::string format_utc_micros(std::int64_t micros_since_epoch);

/// Parses "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (1 to 6 fraction digits). nullopt on anything else.
std::optional<std::int64_t> parse_utc_micros(std::string_view text);

}  // namespace telepay
