#pragma once
// The design telepay replaces, measured on this machine: PostgreSQL 15 with balances as rows,
// each transfer a transaction of two row-locking UPDATEs and one INSERT into a ledger table,
// synchronous_commit on. A throwaway server in a temporary directory, driven by pgbench.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/bench/ledger_bench.hpp"

namespace telepay::tools {

struct postgres_result {
  std::vector<postgres_figure> figures;
  std::string note;  // set when the baseline could not run (and why)
};

postgres_result run_postgres_baseline(const std::filesystem::path& directory, std::size_t users,
                                      const std::vector<std::string>& mixes, double seconds,
                                      const std::vector<std::size_t>& clients);

}  // namespace telepay::tools
