#pragma once
/// The project's OpenAPI document (docs/openapi.json) for tests that compare it with the code.
/// Needs TELEPAY_TEST_DATA_DIR (the tests/ folder).

#include <fstream>
#include <sstream>
#include <string>

#include <simdjson.h>

namespace telepay::testing {

/// The document's text; empty when it cannot be read.
inline std::string openapi_text() {
  std::ifstream file(std::string(TELEPAY_TEST_DATA_DIR) + "/../docs/openapi.json");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace telepay::testing
