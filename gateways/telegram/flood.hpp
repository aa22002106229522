#pragma once
/// Telegram's flood limits as a pure schedule (time comes in): at most 30 messages per second
/// overall, 1 per second to one chat, 20 per minute to one group (negative chat ids), and a
/// 429's retry_after honoured. The sender asks when a chat may next be written to, sends, and
/// reports the send. A 429 pauses that chat and, because Telegram's answer does not say which
/// limit tripped, everything else too until retry_after has passed.

#include <cstdint>
#include <deque>
#include <unordered_map>

namespace telepay::gateways::telegram {

struct flood_limits {
  int overall_per_second = 30;
  std::int64_t per_chat_interval_us = 1'000'000;
  int per_group_per_minute = 20;
};

class flood_control {
 public:
  explicit flood_control(flood_limits limits = {}) : limits_(limits) {}

  /// The earliest time (>= now) a message to `chat` may be sent.
  std::int64_t ready_at(std::int64_t chat, std::int64_t now_us) const;
  /// Records a send to `chat` at `now_us` (whatever its answer).
  void sent(std::int64_t chat, std::int64_t now_us);
  /// A 429 answer: nothing before now + retry_after (at least one second).
  void retry_after(std::int64_t chat, std::int64_t seconds, std::int64_t now_us);

 private:
  struct chat_state {
    std::int64_t next_us = 0;           // per-chat interval and retry_after
    std::deque<std::int64_t> minute;    // groups: sends in the last minute
  };
  void prune(std::int64_t now_us);

  flood_limits limits_;
  std::deque<std::int64_t> second_;  // all sends in the last second
  std::int64_t paused_until_us_ = 0;
  std::unordered_map<std::int64_t, chat_state> chats_;
  std::int64_t last_prune_us_ = 0;
};

}  // namespace telepay::gateways::telegram
