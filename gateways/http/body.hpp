#pragma once
/// A JSON request body parsed strictly: an object whose member names are all allowed and
/// appear once, with getters that name the field they refuse ("field 'username' must be a
/// string"). Nothing here asserts on what a client sends: every problem is an invalid_argument.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "domain/codec/json.hpp"

namespace telepay::gateways::http {

class body {
 public:
  /// Text fields longer than this are refused (names, reasons, references, labels).
  static constexpr std::size_t text_bytes_max = 4096;

  /// An empty text is the empty object. Errors: not JSON (or not UTF-8), not an object, a
  /// member not in `allowed`, a member twice.
  static result<body> parse(std::string_view text, std::initializer_list<std::string_view> allowed);

  result<std::string> text(std::string_view key) const;
  /// The text at `key`, or `fallback` when the field is absent (present but not a string: an error).
  result<std::string> optional_text(std::string_view key, std::string fallback) const;
  result<std::int64_t> integer(std::string_view key) const;
  /// An integer in [low, high].
  result<std::int64_t> integer_in(std::string_view key, std::int64_t low, std::int64_t high) const;
  result<std::uint64_t> unsigned_integer(std::string_view key) const;
  result<bool> flag(std::string_view key) const;
  result<domain::amount> money(std::string_view key, domain::asset a) const;
  bool has(std::string_view key) const { return root_.has(key); }
  const domain::json_value& root() const { return root_; }

 private:
  body(domain::json_document document, domain::json_value root)
      : document_(std::move(document)), root_(root) {}
  template <class T>
  result<T> with_field(result<T> r, std::string_view key, std::string_view expected) const;

  domain::json_document document_;
  domain::json_value root_;
};

}  // namespace telepay::gateways::http
