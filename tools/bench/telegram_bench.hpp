#pragma once
/// telepay-bench telegram: Telegram updates processed end to end and the outbox's throughput
/// under the flood limits. In process: the ledger, the projections, the Telegram gateway in
/// webhook mode behind the real HTTP server; the peer is the Telegram simulator
/// (tools/telegram-sim, Node) over loopback. Updates ("/help" from many users) are POSTed to
/// the webhook with the secret over keep-alive connections; each is answered once durable, then
/// handled by the bot, whose replies go out through the rate-limited sender.

#include <cstdint>
#include <filesystem>
#include <string>

namespace telepay::tools {

struct telegram_bench_options {
  std::filesystem::path directory = "./bench-data";
  std::uint64_t users = 2000;
  std::uint64_t updates = 20000;
  std::size_t connections = 16;
  std::uint64_t outbox_seconds = 20;  // how long the sender is watched
  std::string sim_script;             // tools/telegram-sim/sim.js
  bool keep = false;
};

struct telegram_bench_result {
  std::uint64_t updates = 0;
  std::uint64_t accepted = 0;  // webhook answered 200
  double intake_seconds = 0;
  double intake_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  double processed_seconds = 0;  // first POST -> the bot handled every update
  double processed_per_second = 0;
  std::uint64_t outbox_sent = 0;  // messages the simulator accepted in the window
  double outbox_per_second = 0;
  std::uint64_t max_in_one_second = 0;  // most sendMessage calls within any 1 s
  std::int64_t min_chat_gap_ms = -1;    // smallest gap between two sends to one chat
  std::uint64_t flood_refusals = 0;     // 429s the simulator gave
  std::string error;
};

telegram_bench_result run_telegram_bench(const telegram_bench_options& options);

}  // namespace telepay::tools
