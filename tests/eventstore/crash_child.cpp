// A child process for the crash test: appends forever from several threads and prints one line
// per acknowledged append, written with one write(2) after the append is durable, so the parent
// sees exactly what was acknowledged when it kills this process with SIGKILL.
//
//   eventstore_crash_child DB_DIR PREFIX THREADS INDEX_FLUSH_RUNS
//
// A small INDEX_FLUSH_RUNS makes index ingestion frequent, so kills also land mid-ingestion.
//
// Each append carries 1..4 events; every payload names its key, its index and the event count,
// so the parent can check that no append is partly visible.

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "eventstore/event_store.hpp"

using namespace telepay;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB_DIR PREFIX THREADS INDEX_FLUSH_RUNS\n", argv[0]);
    return 2;
  }
  eventstore::open_options options;
  options.directory = argv[1];
  options.index_flush_runs = static_cast<std::size_t>(std::atoll(argv[4]));
  auto opened = eventstore::event_store::open(options);
  if (!opened) {
    std::fprintf(stderr, "open failed: %s\n", opened.error().message.c_str());
    return 3;
  }
  auto& store = *opened.value();
  const std::string prefix = argv[2];
  const int threads = std::atoi(argv[3]);
  std::printf("ready\n");
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      for (std::uint64_t i = 0;; ++i) {
        const std::string key = prefix + "-" + std::to_string(t) + "-" + std::to_string(i);
        const int count = 1 + static_cast<int>(random() % 4);
        eventstore::append_request request;
        request.stream = "crash-" + std::to_string(random() % 50);
        request.idempotency_key = key;
        for (int e = 0; e < count; ++e) {
          request.events.push_back(eventstore::new_event{
              "crash.event", 1,
              R"({"i":)" + std::to_string(e) + R"(,"key":")" + key + R"(","n":)" +
                  std::to_string(count) + "}"});
        }
        auto done = store.append(request);
        if (!done) {
          std::fprintf(stderr, "append failed: %s\n", done.error().message.c_str());
          std::_Exit(4);
        }
        const std::string line = "ack " + key + " " + std::to_string(done->first_seq) + " " +
                                 std::to_string(count) + " " +
                                 std::to_string(done->first_version) + " " + request.stream + "\n";
        // One write per line: atomic on a pipe for lines shorter than PIPE_BUF.
        if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          std::_Exit(5);
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  return 0;
}
