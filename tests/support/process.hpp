#pragma once
// Child processes for tests that drive the real binaries: spawn with pipes, read output,
// wait, or kill -9.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace telepay::testing {

struct command_result {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

/// Waits up to timeout_ms for a child to write its port number into `file`; 0 if it did not.
std::uint16_t wait_port_file(const std::filesystem::path& file, int timeout_ms = 6000);

/// Runs argv[0] with arguments, waits, and captures stdout and stderr.
command_result run_command(const std::vector<std::string>& argv);

/// A running child whose stdout can be read line by line.
class child_process {
 public:
  explicit child_process(const std::vector<std::string>& argv, bool capture_stderr = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  /// Reads whatever stdout has ready within timeout_ms into `buffer`; false at end of stream.
  bool read_some(std::string& buffer, int timeout_ms);
  /// Sends SIGKILL and reaps the child.
  void kill_hard();
  /// Sends SIGTERM and waits; returns the exit code (-1 if signalled).
  int terminate_and_wait();
  /// Waits for exit; returns the exit code (-1 if signalled).
  int wait();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace telepay::testing
