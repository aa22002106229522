#pragma once
/// Helpers shared by the fuzz targets: the input as text, a reader that splits it into the
/// parts a target needs, and the check that turns a broken property (a round trip that does not
/// round-trip) into a crash libFuzzer records with its input.
///
/// Every target treats its input as hostile: a decoder refusing it is the expected outcome, a
/// crash, a sanitizer report, a leak or a timeout is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace telepay::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Prints what broke and aborts: libFuzzer saves the input as a crash artifact.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz property broken: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) {
    std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

/// Consumes an input from the front: single bytes and '\n'-terminated lines, then the rest.
class reader {
 public:
  explicit reader(std::string_view input) : rest_(input) {}

  bool empty() const { return rest_.empty(); }
  /// The next byte, 0 when none is left.
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  /// Up to (not including) the next '\n', which is consumed; everything left when there is none.
  std::string_view line() {
    const auto end = rest_.find('\n');
    const std::string_view out = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return out;
  }
  std::string_view rest() {
    const std::string_view out = rest_;
    rest_ = {};
    return out;
  }

 private:
  std::string_view rest_;
};

/// True when the environment variable is set (targets use it for a listing or seeding mode).
inline bool env_set(const char* name) { return std::getenv(name) != nullptr; }

}  // namespace telepay::fuzz

#define TELEPAY_FUZZ_CHECK(condition, detail)                 \
  do {                                                        \
    if (!(condition)) ::telepay::fuzz::fail(#condition, detail); \
  } while (false)
