#pragma once
/// Canonical JSON for event payloads and snapshots: keys sorted (byte order), no whitespace,
/// strings escaped as JavaScript's JSON.stringify does, integers as JSON numbers, amounts and
/// timestamps as strings. The writer asserts the key order, so an unsorted encoder cannot ship.
/// The reader is a thin layer over simdjson's DOM that never reads a number as a double.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/base/result.hpp"
#include "domain/money/amount.hpp"

namespace telepay::domain {

/// Writes one JSON object into `out`. Keys must be added in strictly increasing byte order.
class json_object_writer {
 public:
  explicit json_object_writer(std::string& out);
  json_object_writer(const json_object_writer&) = delete;
  json_object_writer& operator=(const json_object_writer&) = delete;
  ~json_object_writer();

  json_object_writer& str(std::string_view key, std::string_view value);
  json_object_writer& u64(std::string_view key, std::uint64_t value);
  json_object_writer& i64(std::string_view key, std::int64_t value);
  json_object_writer& boolean(std::string_view key, bool value);
  /// Amount as its exact decimal string ("12.34").
  json_object_writer& money(std::string_view key, const amount& value);
  /// Timestamp (microseconds since the epoch) as ISO 8601 UTC text.
  json_object_writer& time(std::string_view key, std::int64_t micros);
  /// A bare u128 (base units, wei, gas prices) as its decimal string.
  json_object_writer& units(std::string_view key, u128 value);
  /// An already canonical JSON value (object or array) built by another writer.
  json_object_writer& raw(std::string_view key, std::string_view json);

 private:
  void key(std::string_view key);
  std::string& out_;
  std::string last_key_;
  bool first_ = true;
};

/// Joins canonical JSON values into an array.
std::string json_array(const std::vector<std::string>& values);
std::string json_string_array(const std::vector<std::string>& values);

class json_value;

/// A parsed JSON document. Owns its parser; values borrowed from it die with it.
class json_document {
 public:
  /// Parses `text` (any size up to the payload limit). Errors: event_decode_failed.
  static result<json_document> parse(std::string_view text);
  json_document(json_document&&) noexcept;
  json_document& operator=(json_document&&) noexcept;
  ~json_document();

  json_value root() const;

 private:
  struct impl;
  explicit json_document(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// A borrowed view of one JSON value. Every getter returns event_decode_failed with the field's
/// name when the value is missing or has the wrong type.
class json_value {
 public:
  json_value() = default;

  bool is_object() const;
  bool is_array() const;

  /// Object members.
  result<json_value> field(std::string_view key) const;
  bool has(std::string_view key) const;
  result<std::string> str(std::string_view key) const;
  result<std::uint64_t> u64(std::string_view key) const;
  /// An unsigned integer that must fit 32 bits: larger values are refused ("out of range"),
  /// never narrowed (a stored burst of 2^32 must not read back as 0).
  result<std::uint32_t> u32(std::string_view key) const;
  result<std::int64_t> i64(std::string_view key) const;
  result<bool> boolean(std::string_view key) const;
  result<amount> money(std::string_view key, asset a) const;
  result<std::int64_t> time(std::string_view key) const;
  /// A u128 written by json_object_writer::units (a decimal string of digits only).
  result<u128> units(std::string_view key) const;
  /// A member (object or array) re-serialized compactly in document order: equal to its
  /// original text when that was canonical JSON.
  result<std::string> compact(std::string_view key) const;
  /// The member names of an object, in document order.
  result<std::vector<std::string>> keys() const;
  /// The kind of value: "object", "array", "string", "number", "bool", "null".
  std::string_view kind() const;
  /// Array elements.
  result<std::vector<json_value>> elements() const;
  result<std::vector<std::string>> string_elements() const;

 private:
  friend class json_document;
  friend struct json_value_access;
  // A simdjson::dom::element (a document pointer and a tape index) stored by value, kept
  // opaque so that simdjson stays out of this header.
  alignas(8) unsigned char storage_[16] = {};
  bool valid_ = false;
};

}  // namespace telepay::domain
