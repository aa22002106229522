#pragma once
/// Minimal JSON text helpers for writing canonical JSON (std only, no parsing).

#include <string>
#include <string_view>

namespace telepay {

/// Appends `text` as a JSON string literal, escaped the way JavaScript's JSON.stringify does:
/// `"` and `\` escaped, \b \f \n \r \t short forms, other control characters as \u00xx
/// (lower-case hex), well-formed UTF-8 copied as is. Never emits invalid UTF-8: each ill-formed
/// sequence (a stray continuation byte, C0/C1/F5..FF, an overlong, a surrogate, above U+10FFFF,
/// or a sequence cut short) becomes one U+FFFD per maximal subpart, as Unicode recommends and
/// browsers decode. An event payload written with it therefore always parses back (simdjson
/// refuses invalid UTF-8, which would leave the event undecodable in an immutable log); valid
/// text is unchanged, so canonical encodings of valid input do not move.
void append_json_string(std::string& out, std::string_view text);

/// True if every byte is printable ASCII (0x21..0x7e, so no spaces or controls).
bool is_printable_ascii_token(std::string_view text);

/// True if `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8
/// sequence (for echoing external text in messages without cutting a character in two).
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace telepay
