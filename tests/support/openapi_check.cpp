#include "tests/support/openapi_check.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace telepay::testing {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    const std::size_t end = path.find('/', start);
    out.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

/// The document's path template for `path`: the one whose literal segments match most.
std::string match_template(const element& paths, std::string_view path) {
  const auto asked = split_path(path);
  std::string best;
  int best_score = -1;
  simdjson::dom::object object;
  if (paths.get(object)) return best;
  for (auto [key, value] : object) {
    const auto segments = split_path(key);
    if (segments.size() != asked.size()) continue;
    int score = 0;
    bool fits = true;
    for (std::size_t i = 0; i < segments.size() && fits; ++i) {
      const bool variable = segments[i].size() > 2 && segments[i].front() == '{' && segments[i].back() == '}';
      if (variable) {
        fits = !asked[i].empty();
      } else {
        fits = segments[i] == asked[i];
        score += 1;
      }
    }
    if (fits && score > best_score) {
      best_score = score;
      best = std::string(key);
    }
  }
  return best;
}

class validator {
 public:
  explicit validator(element root) : root_(root) {}

  void check(element schema, element value, const std::string& where, std::vector<std::string>& out, int depth = 0) {
    if (depth > 32) {
      out.push_back(where + ": the schema nests too deep");
      return;
    }
    std::string_view ref;
    if (!schema["$ref"].get(ref)) {
      auto target = resolve(ref);
      if (!target) {
        out.push_back(where + ": unresolvable $ref " + std::string(ref));
        return;
      }
      check(*target, value, where, out, depth + 1);
      return;
    }
    bool nullable = false;
    if (schema["nullable"].get(nullable)) nullable = false;  // absent: not nullable
    if (value.type() == element_type::NULL_VALUE && nullable) return;
    simdjson::dom::array list;
    if (!schema["allOf"].get(list)) {
      for (element part : list) check(part, value, where, out, depth + 1);
    }
    for (const char* any : {"anyOf", "oneOf"}) {
      if (schema[any].get(list)) continue;
      bool one = false;
      for (element part : list) {
        std::vector<std::string> ignored;
        check(part, value, where, ignored, depth + 1);
        one = one || ignored.empty();
      }
      if (!one) out.push_back(where + ": matches none of " + any);
    }
    std::string_view type;
    if (!schema["type"].get(type) && !has_type(value, type)) {
      out.push_back(where + ": is " + type_of(value) + ", the document says " + std::string(type));
      return;
    }
    if (!schema["enum"].get(list)) {
      const std::string text = simdjson::minify(value);
      bool listed = false;
      for (element allowed : list) listed = listed || simdjson::minify(allowed) == text;
      if (!listed) out.push_back(where + ": " + text + " is not one of " + simdjson::minify(schema["enum"].value()));
    }
    simdjson::dom::object object;
    if (!value.get(object)) check_object(schema, object, where, out, depth);
    simdjson::dom::array items;
    element item_schema;
    if (!value.get(items) && !schema["items"].get(item_schema)) {
      std::size_t i = 0;
      for (element item : items) check(item_schema, item, where + "/" + std::to_string(i++), out, depth + 1);
    }
  }

 private:
  std::optional<element> resolve(std::string_view ref) {
    if (!ref.starts_with("#/")) return std::nullopt;
    element at = root_;
    for (const auto& part : split_path(ref.substr(1))) {
      if (at[part].get(at)) return std::nullopt;
    }
    return at;
  }

  void check_object(element schema, simdjson::dom::object object, const std::string& where,
                    std::vector<std::string>& out, int depth) {
    simdjson::dom::array required;
    if (!schema["required"].get(required)) {
      for (element name : required) {
        std::string_view key;
        if (name.get(key)) continue;
        element ignored;
        if (object[key].get(ignored)) out.push_back(where + ": lacks required field \"" + std::string(key) + "\"");
      }
    }
    simdjson::dom::object properties;
    const bool has_properties = !schema["properties"].get(properties);
    element additional;
    const bool has_additional = !schema["additionalProperties"].get(additional);
    for (auto [key, value] : object) {
      element property;
      if (has_properties && !properties[key].get(property)) {
        check(property, value, where + "/" + std::string(key), out, depth + 1);
        continue;
      }
      if (!has_additional) continue;
      bool allowed = true;
      if (!additional.get(allowed)) {
        if (!allowed) out.push_back(where + ": field \"" + std::string(key) + "\" is not in the document");
        continue;
      }
      check(additional, value, where + "/" + std::string(key), out, depth + 1);
    }
  }

  static bool has_type(element value, std::string_view type) {
    switch (value.type()) {
      case element_type::OBJECT: return type == "object";
      case element_type::ARRAY: return type == "array";
      case element_type::STRING: return type == "string";
      case element_type::INT64:
      case element_type::UINT64: return type == "integer" || type == "number";
      case element_type::DOUBLE: return type == "number";
      case element_type::BOOL: return type == "boolean";
      case element_type::NULL_VALUE: return false;
    }
    return false;
  }

  static std::string type_of(element value) {
    switch (value.type()) {
      case element_type::OBJECT: return "an object";
      case element_type::ARRAY: return "an array";
      case element_type::STRING: return "a string";
      case element_type::INT64:
      case element_type::UINT64: return "an integer";
      case element_type::DOUBLE: return "a number";
      case element_type::BOOL: return "a boolean";
      case element_type::NULL_VALUE: return "null";
    }
    return "unknown";
  }

  element root_;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::mutex ports_mutex;
std::set<std::uint16_t>& ports() {
  static std::set<std::uint16_t> registered;
  return registered;
}

const std::string& contract_document() {
  static const std::string text = [] {
    std::ifstream file(TELEPAY_OPENAPI_DOCUMENT);
    std::stringstream buffer;
    buffer << file.rdbuf();
    return buffer.str();
  }();
  return text;
}

}  // namespace

std::vector<std::string> openapi_violations(std::string_view document, std::string_view method,
                                            std::string_view target, int status, std::string_view content_type,
                                            std::string_view body) {
  std::vector<std::string> out;
  simdjson::dom::parser doc_parser;
  element root;
  if (doc_parser.parse(simdjson::padded_string(document)).get(root)) {
    out.push_back("the OpenAPI document does not parse");
    return out;
  }
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string where = std::string(method) + " " + std::string(path) + " " + std::to_string(status);
  const std::string templ = match_template(root["paths"].value(), path);
  // 413 and 431 are decided from the framing, before any route is looked up, so they may answer
  // a path or a method the document does not have.
  const bool before_routing = status == 413 || status == 431;
  if (templ.empty()) {
    if (status == 404 || before_routing) return out;  // a path nobody serves: 404 is the answer the contract implies
    out.push_back(where + ": the document has no such path");
    return out;
  }
  element operation;
  if (root["paths"][templ][lower(method)].get(operation)) {
    if (status == 405 || before_routing) return out;  // a method the path does not take: the answer the contract implies
    out.push_back(where + ": the document has no " + std::string(method) + " on " + templ);
    return out;
  }
  element response;
  if (operation["responses"][std::to_string(status)].get(response) && operation["responses"]["default"].get(response)) {
    out.push_back(where + ": the document lists no " + std::to_string(status) + " answer for " + std::string(method) +
                  " " + templ);
    return out;
  }
  validator v(root);
  std::string_view ref;
  if (!response["$ref"].get(ref)) {
    // "#/components/responses/Error"
    element at = root;
    for (const auto& part : split_path(ref.substr(1))) {
      if (at[part].get(at)) {
        out.push_back(where + ": unresolvable $ref " + std::string(ref));
        return out;
      }
    }
    response = at;
  }
  element schema;
  if (response["content"]["application/json"]["schema"].get(schema)) return out;  // no JSON body documented
  if (lower(content_type).find("application/json") == std::string::npos) {
    out.push_back(where + ": answered " + std::string(content_type) + ", the document says application/json");
    return out;
  }
  simdjson::dom::parser body_parser;
  element value;
  if (body_parser.parse(simdjson::padded_string(body)).get(value)) {
    out.push_back(where + ": the body is not JSON");
    return out;
  }
  v.check(schema, value, where + " " + templ + " body", out);
  return out;
}

void check_contract_on_port(std::uint16_t port) {
  std::lock_guard lock(ports_mutex);
  ports().insert(port);
}

void forget_contract_port(std::uint16_t port) {
  std::lock_guard lock(ports_mutex);
  ports().erase(port);
}

void check_contract(std::uint16_t port, std::string_view method, std::string_view target, int status,
                    std::string_view content_type, std::string_view body) {
  {
    std::lock_guard lock(ports_mutex);
    if (!ports().contains(port)) return;
  }
  if (status == 0) return;  // no answer: nothing to compare (the test sees status 0)
  const auto problems = openapi_violations(contract_document(), method, target, status, content_type, body);
  if (problems.empty()) return;
  if (const char* report = std::getenv("TELEPAY_OPENAPI_REPORT"); report != nullptr && *report != '\0') {
    std::ofstream file(report, std::ios::app);
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    for (const auto& p : problems) {
      file << (test ? std::string(test->test_suite_name()) + "." + test->name() : std::string("?")) << "\t" << p
           << "\n";
    }
    return;
  }
  for (const auto& p : problems) ADD_FAILURE() << "OpenAPI contract: " << p;
}

}  // namespace telepay::testing
