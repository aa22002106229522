#include "tests/support/process.hpp"

#include <chrono>
#include <fstream>
#include <thread>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace telepay::testing {

std::uint16_t wait_port_file(const std::filesystem::path& file, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    std::ifstream in(file);
    int port = 0;
    if (in >> port && port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}
namespace {

std::vector<char*> make_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) {
    out.push_back(const_cast<char*>(a.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

int decode_status(int status, int* signal_out) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (signal_out != nullptr && WIFSIGNALED(status)) {
    *signal_out = WTERMSIG(status);
  }
  return -1;
}

}  // namespace

command_result run_command(const std::vector<std::string>& argv) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  auto args = make_argv(argv);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(err_pipe[0]);
    execvp(args[0], args.data());  // PATH lookup for tools (openssl, node)
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  command_result result;
  // Read both pipes without deadlocking on a full one.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = decode_status(status, &result.signal);
  return result;
}

child_process::child_process(const std::vector<std::string>& argv, bool capture_stderr) {
  int out_pipe[2];
  if (pipe(out_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  auto args = make_argv(argv);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    if (capture_stderr) {
      dup2(out_pipe[1], STDERR_FILENO);
    }
    close(out_pipe[0]);
    execvp(args[0], args.data());  // PATH lookup for tools (openssl, node)
    _exit(127);
  }
  close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
}

child_process::~child_process() {
  if (!reaped_ && pid_ > 0) {
    kill_hard();
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
  }
}

bool child_process::read_some(std::string& buffer, int timeout_ms) {
  pollfd fd{stdout_fd_, POLLIN, 0};
  const int ready = poll(&fd, 1, timeout_ms);
  if (ready <= 0) {
    return true;
  }
  char chunk[65536];
  const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
  if (n > 0) {
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && errno == EINTR;
}

void child_process::kill_hard() {
  if (reaped_) {
    return;
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
  // Whatever the child wrote before dying is still in the pipe; callers may drain it.
}

int child_process::wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return decode_status(status_, nullptr);
}

int child_process::terminate_and_wait() {
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
  }
  return wait();
}

}  // namespace telepay::testing
