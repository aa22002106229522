#pragma once
// Progress lines on stderr for long walks, only when stderr is a terminal (so logs and pipes
// stay clean): done/total, percent, rate and ETA, redrawn at most five times a second.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace telepay::tools {

class progress_meter {
 public:
  progress_meter(std::string label, std::uint64_t total)
      : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()), last_(start_) {}

  void update(std::uint64_t done) {
    if (!enabled_) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) {
      return;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double percent = total_ > 0 ? 100.0 * static_cast<double>(done) /
                                            static_cast<double>(total_)
                                      : 0;
    const double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0;
    std::fprintf(stderr, "\r%s: %llu/%llu events (%.1f%%) %.0f events/s ETA %.0fs   ",
                 label_.c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), percent, rate, eta);
    std::fflush(stderr);
    drawn_ = true;
  }

  void finish() {
    if (enabled_ && drawn_) {
      std::fprintf(stderr, "\r%*s\r", 80, "");
      std::fflush(stderr);
    }
  }

 private:
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace telepay::tools
