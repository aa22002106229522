#pragma once
/// Telegram's flood limits as a pure schedule (time comes in): at most 30 messages per second
/// overall, 1 per second to one chat, 20 per minute to one group (negative chat ids), and a
/// 429's retry_after honoured. The sender asks when a chat may next be written to, sends, and
/// reports the send. A 429 pauses that chat and, because Telegram's answer does not say which
/// limit tripped, everything else too until retry_after has passed.

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "domain/base/assert.hpp"

namespace telepay::gateways::telegram {

/// Bounds on a 429's retry_after. Telegram asks for seconds to minutes; a larger value is a
/// broken or hostile upstream, and honouring it would stop every send (the pause is global)
/// for as long as it says, so it is cut to an hour.
inline constexpr std::int64_t retry_after_s_min = 1;
inline constexpr std::int64_t retry_after_s_max = 3600;

/// `retry_after_s` clamped to [retry_after_s_min, retry_after_s_max].
std::int64_t bounded_retry_after_s(std::int64_t retry_after_s);
/// The time (microseconds) a 429 received at `now_us` allows the next try: now plus the
/// bounded retry_after, so the multiplication cannot overflow.
std::int64_t retry_at_us(std::int64_t now_us, std::int64_t retry_after_s);

struct flood_limits {
  int overall_per_second = 30;
  std::int64_t per_chat_interval_us = 1'000'000;
  int per_group_per_minute = 20;
};

class flood_control {
 public:
  explicit flood_control(flood_limits limits = {}) : limits_(limits) {
    // ready_at indexes the recent sends by these counts; zero would read before the window.
    LEDGER_ASSERT(limits.overall_per_second >= 1 && limits.per_group_per_minute >= 1,
                  "flood limits must allow at least one send");
  }

  /// The earliest time (>= now) a message to `chat` may be sent.
  std::int64_t ready_at(std::int64_t chat, std::int64_t now_us) const;
  /// Records a send to `chat` at `now_us` (whatever its answer).
  void sent(std::int64_t chat, std::int64_t now_us);
  /// A 429 answer: nothing before now + retry_after (clamped to 1 s .. 1 h).
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
