#pragma once
// Shared by the process managers (internal to actors/).

#include <chrono>
#include <cstdint>

#include "actors/flows.hpp"

namespace telepay::actors::detail {

inline std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::chrono::milliseconds backoff(const flow_options& options, int attempts) {
  auto delay = options.retry_first;
  for (int i = 0; i < attempts && delay < options.retry_max; ++i) {
    delay *= 2;
  }
  return std::min(delay, options.retry_max);
}

inline command_meta meta_for(std::string_view kind, std::string_view id, std::string_view step,
                             std::int64_t now_us) {
  return command_meta{now_us, domain::process::correlation(kind, id), std::string(step)};
}

}  // namespace telepay::actors::detail
