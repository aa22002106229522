#pragma once
// Latency percentiles and timing helpers shared by the benchmarks.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace telepay::tools {

struct latency_summary {
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

/// Nearest-rank percentiles of latencies in microseconds. Sorts the input.
inline latency_summary summarize(std::vector<std::uint32_t>& micros) {
  latency_summary out;
  if (micros.empty()) {
    return out;
  }
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1) + 0.5);
    return static_cast<double>(micros[std::min(rank, micros.size() - 1)]);
  };
  out.p50_us = at(0.50);
  out.p99_us = at(0.99);
  out.max_us = static_cast<double>(micros.back());
  return out;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace telepay::tools
