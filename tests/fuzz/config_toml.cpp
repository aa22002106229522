// Fuzzes telepayd's configuration file reader (tools/telepayd/config.hpp, load_config_file:
// toml++ and the checks on every key), compiled in from tools/telepayd/config.cpp with toml++
// header-only so that its parser is instrumented too; and parse_listen.
//
// load_config_file takes a path, so each input is written to an in-memory file (memfd) and read
// back through /proc/self/fd: no disk, but a few system calls per run (see docs/FUZZING.md for
// the pure-text entry point this target would rather call).
//
// Properties beyond "no crash": a config that loads keeps its values inside the documented
// ranges (io threads 1..64, scheduler threads 1..256, positive admin ids, a known Telegram mode).

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "tests/fuzz/fuzz.hpp"
#include "tools/telepayd/config.hpp"

using namespace telepay;
using namespace telepay::tools;

namespace {

int memory_file() {
  static const int fd = [] {
    const int made = ::memfd_create("telepay-fuzz-config", 0);
    if (made < 0) fuzz::fail("memfd_create failed");
    return made;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  (void)parse_listen(text);

  const int fd = memory_file();
  if (::ftruncate(fd, 0) != 0) fuzz::fail("ftruncate failed");
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::pwrite(fd, data + written, size - written, static_cast<off_t>(written));
    if (n <= 0) fuzz::fail("pwrite failed");
    written += static_cast<std::size_t>(n);
  }
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  daemon_config config;
  if (load_config_file(path, config)) {
    TELEPAY_FUZZ_CHECK(config.http_io_threads >= 1 && config.http_io_threads <= 64, "http.io_threads");
    TELEPAY_FUZZ_CHECK(config.scheduler_threads >= 1 && config.scheduler_threads <= 256, "scheduler_threads");
    TELEPAY_FUZZ_CHECK(std::all_of(config.telegram_admins.begin(), config.telegram_admins.end(),
                                   [](std::int64_t id) { return id > 0; }),
                       "telegram.admins");
    TELEPAY_FUZZ_CHECK(config.telegram_mode == "polling" || config.telegram_mode == "webhook", config.telegram_mode);
    (void)config.gateways();
  }
  return 0;
}
