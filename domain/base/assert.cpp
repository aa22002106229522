#include "domain/base/assert.hpp"

#include <cstdio>

namespace telepay::detail {

void assert_failed(const char* file, int line, const char* condition,
                   const std::string& message) {
  std::fprintf(stderr, "LEDGER_ASSERT failed at %s:%d: %s: %s\n", file, line, condition,
               message.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace telepay::detail
