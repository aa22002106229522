#pragma once
/// LEDGER_ASSERT: checks a programmer invariant in every build type (release included).
/// On failure it prints the location, the condition and the message parts, then traps.

#include <sstream>
#include <string>

namespace telepay::detail {

[[noreturn]] void assert_failed(const char* file, int line, const char* condition,
                                const std::string& message);

template <class... Parts>
[[noreturn]] void assert_failed_parts(const char* file, int line, const char* condition,
                                      const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  assert_failed(file, line, condition, out.str());
}

}  // namespace telepay::detail

#define LEDGER_ASSERT(condition, ...)                                                      \
  do {                                                                                     \
    if (!(condition)) [[unlikely]] {                                                       \
      ::telepay::detail::assert_failed_parts(__FILE__, __LINE__, #condition, __VA_ARGS__); \
    }                                                                                      \
  } while (false)
