#pragma once
// Reading answers in integration tests: one field of a JSON document by path.

#include <initializer_list>
#include <string>
#include <string_view>

namespace telepay::testing {

/// The value at `path` (object keys, or array indexes as decimal text): strings unquoted,
/// anything else minified; "" when the document does not parse or the path is absent.
std::string json_field(std::string_view json, std::initializer_list<std::string> path);

}  // namespace telepay::testing
