#include "gateways/http/body.hpp"

#include <algorithm>
#include <set>

#include "domain/base/json.hpp"

namespace telepay::gateways::http {

result<body> body::parse(std::string_view text, std::initializer_list<std::string_view> allowed) {
  if (text.empty()) {
    text = "{}";
  }
  auto parsed = domain::json_document::parse(text);
  if (!parsed) {
    return make_error(errc::invalid_argument, "the body is not valid JSON (UTF-8): " + parsed.error().message);
  }
  const domain::json_value root = parsed->root();
  if (!root.is_object()) {
    return make_error(errc::invalid_argument, "the body must be a JSON object");
  }
  TELEPAY_TRY(names, root.keys());
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return make_error(errc::invalid_argument, "unknown field '" + utf8_prefix(name, 64) + "'");
    }
    if (!seen.insert(name).second) {
      return make_error(errc::invalid_argument, "field '" + name + "' appears twice");
    }
  }
  return body(std::move(*parsed), root);
}

template <class T>
result<T> body::with_field(result<T> r, std::string_view key, std::string_view expected) const {
  if (r) {
    return r;
  }
  const std::string name(key);
  if (!root_.has(key)) {
    return make_error(errc::invalid_argument, "field '" + name + "' is required");
  }
  return make_error(errc::invalid_argument, "field '" + name + "' must be " + std::string(expected));
}

result<std::string> body::text(std::string_view key) const {
  TELEPAY_TRY(value, with_field(root_.str(key), key, "a string"));
  if (!is_valid_utf8(value)) {  // e.g. a lone surrogate escape: stored, it could not be read back
    return make_error(errc::invalid_argument, "field '" + std::string(key) + "' is not valid UTF-8");
  }
  if (value.size() > text_bytes_max) {
    return make_error(errc::invalid_argument, "field '" + std::string(key) + "' is longer than " +
                                                  std::to_string(text_bytes_max) + " bytes");
  }
  return value;
}

result<std::string> body::optional_text(std::string_view key, std::string fallback) const {
  return root_.has(key) ? text(key) : result<std::string>(std::move(fallback));
}

result<std::int64_t> body::integer(std::string_view key) const {
  return with_field(root_.i64(key), key, "an integer (-2^63..2^63-1)");
}

result<std::int64_t> body::integer_in(std::string_view key, std::int64_t low, std::int64_t high) const {
  TELEPAY_TRY(value, integer(key));
  if (value < low || value > high) {
    return make_error(errc::invalid_argument, "field '" + std::string(key) + "' must be " +
                                                  std::to_string(low) + ".." + std::to_string(high));
  }
  return value;
}

result<std::uint64_t> body::unsigned_integer(std::string_view key) const {
  return with_field(root_.u64(key), key, "a non-negative integer (0..2^64-1)");
}

result<bool> body::flag(std::string_view key) const {
  return with_field(root_.boolean(key), key, "true or false");
}

result<domain::amount> body::money(std::string_view key, domain::asset a) const {
  TELEPAY_TRY(raw, text(key));
  auto parsed = domain::parse_amount(raw, a);
  if (!parsed) {
    return make_error(parsed.code(), "field '" + std::string(key) + "': " + parsed.error().message);
  }
  return parsed;
}

}  // namespace telepay::gateways::http
