#pragma once
// Runs the real telepayd binary for integration tests: a temporary data directory, an ephemeral
// loopback port (read back from --port-file), output captured to a log file.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace telepay::testing {

class daemon_process {
 public:
  /// Starts telepayd with --data data_dir --listen 127.0.0.1:0 plus `extra_args`; waits up to
  /// 30 s for the port file. started() tells whether it came up.
  daemon_process(const std::string& binary, const std::filesystem::path& data_dir,
                 const std::vector<std::string>& extra_args = {},
                 const std::vector<std::string>& environment = {});
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  bool started() const { return port_ != 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  /// SIGTERM and wait; the exit code (-1 if killed by a signal).
  int stop();
  /// SIGKILL and reap.
  void kill_hard();
  /// Waits for the process to exit on its own (e.g. a refused start); the exit code.
  int wait_exit(int timeout_ms);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_status_ = 0;
  std::uint16_t port_ = 0;
  std::filesystem::path log_file_;
};

}  // namespace telepay::testing
