#pragma once
// telepay-bench projections: replay of a large log into every read model (the auditor's
//   `replay` and a server's cold start), after seeding it with real domain events.
// telepay-bench http: wrk against the real telepayd: balance lookups over N users, and a mix of
//   reads and admin writes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace telepay::tools {

struct projections_bench_options {
  std::filesystem::path directory;
  std::uint64_t events = 10'000'000;
  bool keep = false;
};

struct projections_bench_result {
  std::uint64_t events = 0;
  double seed_seconds = 0;
  double replay_seconds = 0;
  double events_per_second = 0;
  std::vector<std::pair<std::string, std::size_t>> rows;
  std::string error;
};

projections_bench_result run_projections_bench(const projections_bench_options& options);

struct http_bench_options {
  std::filesystem::path directory;
  std::filesystem::path telepayd;  // the binary; default: next to telepay-bench
  std::uint64_t users = 1'000'000;
  double seconds = 10;
  std::size_t connections = 64;
  std::size_t threads = 2;
  bool keep = false;
};

struct wrk_figure {
  std::string name;
  double requests_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::uint64_t requests = 0;
  std::uint64_t non_2xx = 0;
};

struct http_bench_result {
  std::uint64_t users = 0;
  double seed_seconds = 0;
  double catch_up_seconds = 0;
  std::vector<wrk_figure> runs;
  std::string error;
};

http_bench_result run_http_bench(const http_bench_options& options);

}  // namespace telepay::tools
