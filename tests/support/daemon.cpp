#include "tests/support/daemon.hpp"

#include "tests/support/openapi_check.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace telepay::testing {

daemon_process::daemon_process(const std::string& binary, const std::filesystem::path& data_dir,
                               const std::vector<std::string>& extra_args,
                               const std::vector<std::string>& environment) {
  std::filesystem::create_directories(data_dir);
  const auto port_file = data_dir / "telepayd.port";
  std::filesystem::remove(port_file);
  log_file_ = data_dir / "telepayd.log";
  std::vector<std::string> args = {binary,        "--data",      data_dir.string(),
                                   "--listen",    "127.0.0.1:0", "--port-file",
                                   port_file.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = environment;
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    for (auto& e : env_storage) {
      putenv(e.data());
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_status_ = status;
      return;
    }
    std::ifstream in(port_file);
    unsigned port = 0;
    if (in >> port && port != 0) {
      port_ = static_cast<std::uint16_t>(port);
      check_contract_on_port(port_);  // every answer it gives a test is held to docs/openapi.json
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

daemon_process::~daemon_process() {
  kill_hard();
  if (port_ != 0) forget_contract_port(port_);
}

namespace {
int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
}  // namespace

int daemon_process::stop() {
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
    waitpid(pid_, &exit_status_, 0);
    reaped_ = true;
  }
  return decode(exit_status_);
}

void daemon_process::kill_hard() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &exit_status_, 0);
    reaped_ = true;
  }
}

int daemon_process::wait_exit(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!reaped_ && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return reaped_ ? decode(exit_status_) : -2;
}

std::string daemon_process::log() const {
  std::ifstream in(log_file_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace telepay::testing
