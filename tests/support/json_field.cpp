#include "tests/support/json_field.hpp"

#include <simdjson.h>

namespace telepay::testing {

std::string json_field(std::string_view json, std::initializer_list<std::string> path) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e) != simdjson::SUCCESS) return "";
  for (const auto& key : path) {
    simdjson::dom::element next;
    if (e.is_array()) {
      if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos ||
          e.at(std::stoul(key)).get(next) != simdjson::SUCCESS) {
        return "";
      }
    } else if (e[key].get(next) != simdjson::SUCCESS) {
      return "";
    }
    e = next;
  }
  return e.is_string() ? std::string(std::string_view(e)) : simdjson::minify(e);
}

}  // namespace telepay::testing
