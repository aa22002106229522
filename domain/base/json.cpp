#include "domain/base/json.hpp"

#include <cstdint>

namespace telepay {

namespace {

/// The length of the well-formed UTF-8 sequence at text[i] (a lead byte >= 0x80), or 0 when it
/// is ill-formed; then `*bad` is the length of its maximal subpart (the lead and the
/// continuation bytes that were still possible, at least 1), which one U+FFFD replaces.
/// The ranges are Unicode's Table 3-7, so overlongs, surrogates and > U+10FFFF are ill-formed.
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::size_t* bad) {
  const auto c = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte (the others are 80..BF)
  unsigned char high = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) low = 0xa0;   // no overlongs
    if (c == 0xed) high = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) low = 0x90;   // no overlongs
    if (c == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    *bad = 1;  // a continuation byte, C0, C1 or F5..FF
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      *bad = k;  // truncated at the end
      return 0;
    }
    const auto cc = static_cast<unsigned char>(text[i + k]);
    if (cc < (k == 1 ? low : 0x80) || cc > (k == 1 ? high : 0xbf)) {
      *bad = k;
      return 0;
    }
  }
  return length;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  static constexpr std::string_view replacement = "\xef\xbf\xbd";  // U+FFFD
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      std::size_t bad = 0;
      if (const std::size_t length = utf8_sequence(text, i, &bad); length != 0) {
        out.append(text.substr(i, length));
        i += length - 1;
      } else {
        out.append(replacement);
        i += bad - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(digits[c >> 4]);
          out.push_back(digits[c & 0x0f]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

bool is_printable_ascii_token(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      code = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code = c & 0x07u;
    } else {
      return false;
    }
    if (i + length > n) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return false;
      }
      code = (code << 6) | (cc & 0x3fu);
    }
    const bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                          (length == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  std::size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character, which is
  // dropped with them.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

}  // namespace telepay
