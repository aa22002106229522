#pragma once
// telepay-bench ipn: NOWPayments IPN ingestion end to end in one process - the HTTP server,
// the IPN endpoint (parse, verify both signature variants, decode), the invoice entities
// (deduplicate, order, record durably) and the settlements they start (deposit from NOWPayments
// clearing, purchase, subscription activation) - fed signed IPNs over loopback keep-alive
// connections.

#include <cstdint>
#include <filesystem>
#include <string>

namespace telepay::tools {

struct ipn_bench_options {
  std::filesystem::path directory;
  std::uint64_t orders = 20'000;
  std::size_t connections = 32;
  /// Each status is delivered this many times (NOWPayments re-sends; duplicates must be free).
  std::size_t duplicates = 2;
  bool keep = false;
};

struct ipn_bench_result {
  std::uint64_t orders = 0;
  std::uint64_t requests = 0;
  std::uint64_t recorded = 0;     // statuses recorded (new)
  std::uint64_t duplicates = 0;   // answered 200 without writing
  std::uint64_t failures = 0;     // anything but 200
  double ingest_seconds = 0;      // first IPN sent -> last answer received
  double settle_seconds = 0;      // first IPN sent -> every order's settlement completed
  double requests_per_second = 0;
  double recorded_per_second = 0;
  double settlements_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t activations = 0;
  std::string error;
};

ipn_bench_result run_ipn_bench(const ipn_bench_options& options);

}  // namespace telepay::tools
