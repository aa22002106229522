#include "domain/codec/json.hpp"

#include <cstring>
#include <type_traits>

#include <simdjson.h>

#include "domain/base/json.hpp"
#include "domain/base/time.hpp"

namespace telepay::domain {
namespace {

static_assert(sizeof(simdjson::dom::element) <= 16 && alignof(simdjson::dom::element) <= 8);
static_assert(std::is_trivially_copyable_v<simdjson::dom::element>);

}  // namespace

struct json_value_access {
  static json_value make(const simdjson::dom::element& element) {
    json_value out;
    std::memcpy(out.storage_, &element, sizeof(element));
    out.valid_ = true;
    return out;
  }
  static simdjson::dom::element get(const json_value& value) {
    LEDGER_ASSERT(value.valid_, "json_value used without a document");
    simdjson::dom::element element;
    std::memcpy(&element, value.storage_, sizeof(element));
    return element;
  }
};

namespace {

simdjson::dom::element as_element(const json_value& value) { return json_value_access::get(value); }

error decode_error(std::string_view key, std::string_view what) {
  return make_error(errc::event_decode_failed,
                    "field '" + std::string(key) + "': " + std::string(what));
}

}  // namespace

json_object_writer::json_object_writer(std::string& out) : out_(out) { out_.push_back('{'); }

json_object_writer::~json_object_writer() { out_.push_back('}'); }

void json_object_writer::key(std::string_view key) {
  LEDGER_ASSERT(first_ || key > last_key_, "canonical JSON keys out of order: '", key,
                "' after '", last_key_, "'");
  if (!first_) {
    out_.push_back(',');
  }
  first_ = false;
  last_key_.assign(key);
  append_json_string(out_, key);
  out_.push_back(':');
}

json_object_writer& json_object_writer::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

json_object_writer& json_object_writer::u64(std::string_view k, std::uint64_t value) {
  key(k);
  out_.append(std::to_string(value));
  return *this;
}

json_object_writer& json_object_writer::i64(std::string_view k, std::int64_t value) {
  key(k);
  out_.append(std::to_string(value));
  return *this;
}

json_object_writer& json_object_writer::boolean(std::string_view k, bool value) {
  key(k);
  out_.append(value ? "true" : "false");
  return *this;
}

json_object_writer& json_object_writer::money(std::string_view k, const amount& value) {
  return str(k, format_amount(value));
}

json_object_writer& json_object_writer::time(std::string_view k, std::int64_t micros) {
  return str(k, format_utc_micros(micros));
}

json_object_writer& json_object_writer::units(std::string_view k, u128 value) {
  return str(k, u128_to_string(value));
}

json_object_writer& json_object_writer::raw(std::string_view k, std::string_view json) {
  key(k);
  out_.append(json);
  return *this;
}

std::string json_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.append(values[i]);
  }
  out.push_back(']');
  return out;
}

std::string json_string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    append_json_string(out, values[i]);
  }
  out.push_back(']');
  return out;
}

namespace {

/// Parsers are costly to create (they size their buffers to the document): each thread keeps
/// the ones its documents returned and reuses them.
std::vector<std::unique_ptr<simdjson::dom::parser>>& parser_pool() {
  thread_local std::vector<std::unique_ptr<simdjson::dom::parser>> pool;
  return pool;
}

}  // namespace

struct json_document::impl {
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element root;

  impl() {
    auto& pool = parser_pool();
    if (pool.empty()) {
      parser = std::make_unique<simdjson::dom::parser>();
    } else {
      parser = std::move(pool.back());
      pool.pop_back();
    }
  }
  ~impl() {
    auto& pool = parser_pool();
    if (pool.size() < 8) {
      pool.push_back(std::move(parser));
    }
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
};

json_document::json_document(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
json_document::json_document(json_document&&) noexcept = default;
json_document& json_document::operator=(json_document&&) noexcept = default;
json_document::~json_document() = default;

result<json_document> json_document::parse(std::string_view text) {
  auto state = std::make_unique<impl>();
  // realloc_if_needed: the parser copies the text into its own padded buffer (reused).
  auto parsed = state->parser->parse(text.data(), text.size(), true);
  if (parsed.error() != simdjson::SUCCESS) {
    return make_error(errc::event_decode_failed,
                      std::string("malformed JSON: ") + simdjson::error_message(parsed.error()));
  }
  state->root = parsed.value_unsafe();
  return json_document(std::move(state));
}

json_value json_document::root() const { return json_value_access::make(impl_->root); }

bool json_value::is_object() const { return as_element(*this).is_object(); }
bool json_value::is_array() const { return as_element(*this).is_array(); }

result<json_value> json_value::field(std::string_view key) const {
  const auto element = as_element(*this);
  if (!element.is_object()) {
    return decode_error(key, "parent is not an object");
  }
  simdjson::dom::element child;
  if (element.get_object().at_key(key).get(child) != simdjson::SUCCESS) {
    return decode_error(key, "missing");
  }
  return json_value_access::make(child);
}

bool json_value::has(std::string_view key) const {
  const auto element = as_element(*this);
  simdjson::dom::element child;
  return element.is_object() && element.get_object().at_key(key).get(child) == simdjson::SUCCESS;
}

result<std::string> json_value::str(std::string_view key) const {
  auto child = field(key);
  if (!child) {
    return child.error();
  }
  std::string_view value;
  if (as_element(*child).get_string().get(value) != simdjson::SUCCESS) {
    return decode_error(key, "not a string");
  }
  return std::string(value);
}

result<std::uint64_t> json_value::u64(std::string_view key) const {
  auto child = field(key);
  if (!child) {
    return child.error();
  }
  std::uint64_t value = 0;
  if (as_element(*child).get_uint64().get(value) != simdjson::SUCCESS) {
    return decode_error(key, "not an unsigned integer");
  }
  return value;
}

result<std::uint32_t> json_value::u32(std::string_view key) const {
  auto value = u64(key);
  if (!value) {
    return value.error();
  }
  if (*value > UINT32_MAX) {
    return decode_error(key, "out of range (at most 4294967295)");
  }
  return static_cast<std::uint32_t>(*value);
}

result<std::int64_t> json_value::i64(std::string_view key) const {
  auto child = field(key);
  if (!child) {
    return child.error();
  }
  std::int64_t value = 0;
  if (as_element(*child).get_int64().get(value) != simdjson::SUCCESS) {
    return decode_error(key, "not an integer");
  }
  return value;
}

result<bool> json_value::boolean(std::string_view key) const {
  auto child = field(key);
  if (!child) {
    return child.error();
  }
  bool value = false;
  if (as_element(*child).get_bool().get(value) != simdjson::SUCCESS) {
    return decode_error(key, "not a boolean");
  }
  return value;
}

result<amount> json_value::money(std::string_view key, asset a) const {
  auto text = str(key);
  if (!text) {
    return text.error();
  }
  auto parsed = parse_amount(*text, a);
  if (!parsed) {
    return decode_error(key, parsed.error().message);
  }
  return parsed;
}

result<std::int64_t> json_value::time(std::string_view key) const {
  auto text = str(key);
  if (!text) {
    return text.error();
  }
  const auto micros = parse_utc_micros(*text);
  if (!micros) {
    return decode_error(key, "not an ISO 8601 UTC timestamp");
  }
  return *micros;
}

result<u128> json_value::units(std::string_view key) const {
  auto text = str(key);
  if (!text) {
    return text.error();
  }
  const auto value = parse_u128(*text);
  if (!value) {
    return decode_error(key, "not a decimal u128");
  }
  return *value;
}

result<std::vector<std::string>> json_value::keys() const {
  simdjson::dom::object object;
  if (as_element(*this).get_object().get(object) != simdjson::SUCCESS) {
    return decode_error("{}", "not an object");
  }
  std::vector<std::string> out;
  for (auto field : object) {
    out.emplace_back(field.key);
  }
  return out;
}

std::string_view json_value::kind() const {
  switch (as_element(*this).type()) {
    case simdjson::dom::element_type::OBJECT: return "object";
    case simdjson::dom::element_type::ARRAY: return "array";
    case simdjson::dom::element_type::STRING: return "string";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return "number";
    case simdjson::dom::element_type::BOOL: return "bool";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

result<std::string> json_value::compact(std::string_view key) const {
  auto child = field(key);
  if (!child) {
    return child.error();
  }
  return simdjson::minify(as_element(*child));
}

result<std::vector<json_value>> json_value::elements() const {
  simdjson::dom::array array;
  if (as_element(*this).get_array().get(array) != simdjson::SUCCESS) {
    return decode_error("[]", "not an array");
  }
  std::vector<json_value> out;
  for (simdjson::dom::element child : array) {
    out.push_back(json_value_access::make(child));
  }
  return out;
}

result<std::vector<std::string>> json_value::string_elements() const {
  auto items = elements();
  if (!items) {
    return items.error();
  }
  std::vector<std::string> out;
  for (const json_value& item : *items) {
    std::string_view value;
    if (as_element(item).get_string().get(value) != simdjson::SUCCESS) {
      return decode_error("[]", "array element is not a string");
    }
    out.emplace_back(value);
  }
  return out;
}

}  // namespace telepay::domain
