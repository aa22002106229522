// A small strict JSON parser and JavaScript-exact printers (see js_json.hpp).

#include "gateways/nowpayments/js_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

#include "domain/base/json.hpp"

namespace telepay::gateways::nowpayments {
namespace {

constexpr int depth_max = 64;

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  result<js_value> document() {
    js_value out;
    if (auto ok = value(out, 0); !ok) return ok.error();
    skip_ws();
    if (at_ != text_.size()) return fail("trailing characters after the JSON value");
    return out;
  }

 private:
  error fail(std::string_view why) const {
    return make_error(errc::invalid_argument,
                      "invalid JSON at byte " + std::to_string(at_) + ": " + std::string(why));
  }

  void skip_ws() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) == word) {
      at_ += word.size();
      return true;
    }
    return false;
  }

  result<void> value(js_value& out, int depth) {
    if (depth > depth_max) return fail("nested too deeply");
    skip_ws();
    if (at_ >= text_.size()) return fail("unexpected end");
    const char c = text_[at_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.type = js_value::kind::string;
      return string(out.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    if (literal("true")) {
      out.type = js_value::kind::boolean;
      out.flag = true;
      return {};
    }
    if (literal("false")) {
      out.type = js_value::kind::boolean;
      return {};
    }
    if (literal("null")) {
      out.type = js_value::kind::null;
      return {};
    }
    return fail("unexpected character");
  }

  result<void> object(js_value& out, int depth) {
    out.type = js_value::kind::object;
    ++at_;  // '{'
    skip_ws();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      return {};
    }
    std::set<std::string, std::less<>> seen;
    while (true) {
      skip_ws();
      if (at_ >= text_.size() || text_[at_] != '"') return fail("expected a member name");
      std::string key;
      if (auto ok = string(key); !ok) return ok;
      if (!seen.insert(key).second) return fail("duplicate member '" + utf8_prefix(key, 64) + "'");
      skip_ws();
      if (at_ >= text_.size() || text_[at_] != ':') return fail("expected ':'");
      ++at_;
      js_value member;
      if (auto ok = value(member, depth + 1); !ok) return ok;
      out.members.emplace_back(std::move(key), std::move(member));
      skip_ws();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == '}') {
        ++at_;
        return {};
      }
      return fail("expected ',' or '}'");
    }
  }

  result<void> array(js_value& out, int depth) {
    out.type = js_value::kind::array;
    ++at_;  // '['
    skip_ws();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      return {};
    }
    while (true) {
      js_value item;
      if (auto ok = value(item, depth + 1); !ok) return ok;
      out.items.push_back(std::move(item));
      skip_ws();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == ']') {
        ++at_;
        return {};
      }
      return fail("expected ',' or ']'");
    }
  }

  result<void> number(js_value& out) {
    const std::size_t start = at_;
    const auto digits = [&] {
      const std::size_t from = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      return at_ - from;
    };
    if (text_[at_] == '-') ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
      ++at_;
    } else if (digits() == 0) {
      return fail("a number needs digits");
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (digits() == 0) return fail("a number needs digits after '.'");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (digits() == 0) return fail("a number needs exponent digits");
    }
    out.type = js_value::kind::number;
    out.text = std::string(text_.substr(start, at_ - start));
    const char* first = out.text.data();
    const char* last = first + out.text.size();
    const auto [end, ec] = std::from_chars(first, last, out.number);
    if (ec != std::errc() || end != last || !std::isfinite(out.number)) {
      return fail("number out of range");
    }
    return {};
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  result<std::uint32_t> hex4() {
    if (at_ + 4 > text_.size()) return fail("short \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return v;
  }

  result<void> string(std::string& out) {
    ++at_;  // '"'
    const std::size_t start = at_;
    while (true) {
      if (at_ >= text_.size()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        break;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++at_;
        continue;
      }
      ++at_;
      if (at_ >= text_.size()) return fail("unterminated escape");
      const char e = text_[at_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto first = hex4();
          if (!first) return first.error();
          std::uint32_t cp = *first;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(at_, 2) != "\\u") return fail("lone surrogate");
            at_ += 2;
            auto second = hex4();
            if (!second) return second.error();
            if (*second < 0xDC00 || *second > 0xDFFF) return fail("lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (*second - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("lone surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: return fail("unknown escape");
      }
    }
    if (!is_valid_utf8(out)) {
      at_ = start;
      return fail("string is not valid UTF-8");
    }
    return {};
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

/// A canonical array index ("0", "17"; not "01", not >= 2^32 - 1): JavaScript enumerates
/// these keys first, in numeric order.
std::optional<std::uint64_t> array_index(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v >= 4294967295ULL) return std::nullopt;
  return v;
}

/// UTF-16 code units of a UTF-8 string (Array.prototype.sort compares these).
std::u16string utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    int extra = 0;
    if (c < 0x80) { cp = c; extra = 0; }
    else if (c < 0xE0) { cp = c & 0x1F; extra = 1; }
    else if (c < 0xF0) { cp = c & 0x0F; extra = 2; }
    else { cp = c & 0x07; extra = 3; }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

bool js_sort_less(const std::string& a, const std::string& b) { return utf16(a) < utf16(b); }

/// The order JavaScript enumerates an object's own keys that were inserted in `inserted`
/// order: array indices ascending, then the rest as inserted.
std::vector<std::string> property_order(std::vector<std::string> inserted) {
  std::stable_partition(inserted.begin(), inserted.end(),
                        [](const std::string& k) { return array_index(k).has_value(); });
  const auto indices_end = std::find_if(inserted.begin(), inserted.end(), [](const std::string& k) {
    return !array_index(k).has_value();
  });
  std::sort(inserted.begin(), indices_end, [](const std::string& a, const std::string& b) {
    return *array_index(a) < *array_index(b);
  });
  return inserted;
}

/// Object.keys(v) for an object or an array.
std::vector<std::string> own_keys(const js_value& v) {
  std::vector<std::string> keys;
  if (v.type == js_value::kind::array) {
    for (std::size_t i = 0; i < v.items.size(); ++i) keys.push_back(std::to_string(i));
    return keys;
  }
  for (const auto& [k, _] : v.members) keys.push_back(k);
  return property_order(std::move(keys));
}

const js_value* own_property(const js_value& v, const std::string& key) {
  if (v.type == js_value::kind::array) {
    const auto index = array_index(key);
    return index && *index < v.items.size() ? &v.items[*index] : nullptr;
  }
  return v.find(key);
}

bool is_object_like(const js_value& v) {
  return v.type == js_value::kind::object || v.type == js_value::kind::array;
}

void print(std::string& out, const js_value& v);

void print_scalar(std::string& out, const js_value& v) {
  switch (v.type) {
    case js_value::kind::null: out += "null"; return;
    case js_value::kind::boolean: out += v.flag ? "true" : "false"; return;
    case js_value::kind::number: out += js_number(v.number); return;
    case js_value::kind::string: append_json_string(out, v.text); return;
    default: return;
  }
}

void print(std::string& out, const js_value& v) {
  if (v.type == js_value::kind::array) {
    out.push_back('[');
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      if (i) out.push_back(',');
      print(out, v.items[i]);
    }
    out.push_back(']');
    return;
  }
  if (v.type == js_value::kind::object) {
    out.push_back('{');
    bool first = true;
    for (const auto& key : own_keys(v)) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, key);
      out.push_back(':');
      print(out, *v.find(key));
    }
    out.push_back('}');
    return;
  }
  print_scalar(out, v);
}

/// sortObject(v) printed: sorted keys inserted into a fresh object, which JavaScript then
/// enumerates with array indices first.
void print_sorted(std::string& out, const js_value& v) {
  std::vector<std::string> keys = own_keys(v);
  std::sort(keys.begin(), keys.end(), js_sort_less);
  keys = property_order(std::move(keys));
  out.push_back('{');
  bool first = true;
  for (const auto& key : keys) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    const js_value& member = *own_property(v, key);
    if (is_object_like(member)) {
      print_sorted(out, member);
    } else {
      print_scalar(out, member);
    }
  }
  out.push_back('}');
}

/// JSON.stringify with a property list: objects at every level print only the listed keys
/// they have, in list order; arrays print every element.
void print_filtered(std::string& out, const js_value& v, const std::vector<std::string>& list) {
  if (v.type == js_value::kind::array) {
    out.push_back('[');
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      if (i) out.push_back(',');
      print_filtered(out, v.items[i], list);
    }
    out.push_back(']');
    return;
  }
  if (v.type != js_value::kind::object) {
    print_scalar(out, v);
    return;
  }
  out.push_back('{');
  bool first = true;
  for (const auto& key : list) {
    const js_value* member = v.find(key);
    if (member == nullptr) continue;
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    print_filtered(out, *member, list);
  }
  out.push_back('}');
}

}  // namespace

const js_value* js_value::find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

result<js_value> parse_js_json(std::string_view text) { return parser(text).document(); }

std::string js_number(double value) {
  if (value == 0) {
    return "0";
  }
  if (value < 0) {
    return "-" + js_number(-value);
  }
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const auto e_at = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_at)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_at + 1 + (sci[e_at + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;
  if (k <= n && n <= 21) {
    return digits + std::string(static_cast<std::size_t>(n - k), '0');
  }
  if (0 < n && n <= 21) {
    return digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) {
    return "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  }
  const int e = n - 1;
  std::string out = digits.substr(0, 1);
  if (k > 1) {
    out += "." + digits.substr(1);
  }
  out += e < 0 ? "e-" : "e+";
  out += std::to_string(e < 0 ? -e : e);
  return out;
}

std::string js_stringify(const js_value& value) {
  std::string out;
  print(out, value);
  return out;
}

std::string stringify_sorted_recursive(const js_value& value) {
  std::string out;
  if (is_object_like(value)) {
    print_sorted(out, value);
  } else {
    print_scalar(out, value);
  }
  return out;
}

std::string stringify_sorted_legacy(const js_value& value) {
  std::vector<std::string> list = own_keys(value);
  std::sort(list.begin(), list.end(), js_sort_less);
  list.erase(std::unique(list.begin(), list.end()), list.end());
  std::string out;
  print_filtered(out, value, list);
  return out;
}

}  // namespace telepay::gateways::nowpayments
