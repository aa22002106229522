#pragma once
/// JSON as JavaScript sees it, for NOWPayments signatures. NOWPayments signs
/// JSON.stringify(sortObject(body)) (or, in older code, JSON.stringify(body, sorted top-level
/// keys)), so checking a signature means re-printing the body exactly as Node would: numbers
/// through ECMAScript Number::toString (1e-7, 6.0 -> 6), strings with only `"`, `\` and control
/// characters escaped (UTF-8 and '/' raw), keys in JavaScript's property order.
///
/// Pure code: no I/O, no OpenSSL. Every number keeps its source text too, so amounts are read
/// exactly (domain::parse_decimal), never through a double.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::gateways::nowpayments {

struct js_value {
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };
  // Declared, defined below: clang with libstdc++ cannot instantiate pair<string, js_value>
  // while js_value is still incomplete if the constructor is implicit (the fuzz build's clang).
  js_value();
  kind type = kind::null;
  bool flag = false;    // boolean
  double number = 0;    // number, as JSON.parse reads it
  std::string text;     // string: its UTF-8 contents; number: its source token
  std::vector<js_value> items;                            // array
  std::vector<std::pair<std::string, js_value>> members;  // object, in source order

  /// An object member, or nullptr.
  const js_value* find(std::string_view key) const;
};

inline js_value::js_value() = default;

/// Strict RFC 8259 JSON (at most 64 levels deep). Refuses what JavaScript would accept but we
/// never expect and could not round-trip exactly: duplicate keys, lone surrogates, numbers that
/// overflow a double. Errors: invalid_argument naming the byte offset.
result<js_value> parse_js_json(std::string_view text);

/// ECMAScript Number::toString: shortest round-trip digits, plain notation when the decimal
/// exponent n satisfies -6 < n <= 21, else "1e-7" / "1.5e+21"; -0 prints as "0".
std::string js_number(double value);

/// JSON.stringify(value) with no replacer.
std::string js_stringify(const js_value& value);

/// JSON.stringify(sortObject(value)), sortObject being NOWPayments' documented helper:
/// every object and every array (typeof [] === 'object') becomes an object with its keys
/// sorted, integer-like keys first in numeric order (JavaScript property order).
std::string stringify_sorted_recursive(const js_value& value);

/// JSON.stringify(value, Object.keys(value).sort()): the sorted top-level keys act as a filter
/// at every level, so nested objects keep only members named like a top-level key (the IPN's
/// "fee" object prints as {}).
std::string stringify_sorted_legacy(const js_value& value);

}  // namespace telepay::gateways::nowpayments
