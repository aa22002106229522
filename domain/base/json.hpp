#pragma once
/// Minimal JSON text helpers for writing canonical JSON (std only, no parsing).

#include <string>
#include <string_view>

namespace telepay {

/// Appends `text` as a JSON string literal, escaped the way JavaScript's JSON.stringify does:
/// `"` and `\` escaped, \b \f \n \r \t short forms, other control characters as \u00xx
/// (lower-case hex), everything else (including UTF-8) copied as is.
void append_json_string(std::string& out, std::string_view text);

/// True if every byte is printable ASCII (0x21..0x7e, so no spaces or controls).
bool is_printable_ascii_token(std::string_view text);

/// True if `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace telepay
