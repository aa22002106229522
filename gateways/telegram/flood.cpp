#include "gateways/telegram/flood.hpp"

#include <algorithm>
#include <limits>

namespace telepay::gateways::telegram {
namespace {
constexpr std::int64_t second_us = 1'000'000;
constexpr std::int64_t minute_us = 60 * second_us;
}  // namespace

std::int64_t bounded_retry_after_s(std::int64_t retry_after_s) {
  return std::clamp(retry_after_s, retry_after_s_min, retry_after_s_max);
}

std::int64_t retry_at_us(std::int64_t now_us, std::int64_t retry_after_s) {
  static_assert(retry_after_s_max <= std::numeric_limits<std::int64_t>::max() / second_us / 2,
                "now plus the longest retry_after must fit in int64 microseconds");
  return now_us + bounded_retry_after_s(retry_after_s) * second_us;
}

std::int64_t flood_control::ready_at(std::int64_t chat, std::int64_t now_us) const {
  std::int64_t t = std::max(now_us, paused_until_us_);
  // Overall: the send that would be the (N+1)th within a second waits for the oldest to age out.
  const auto overall = static_cast<std::size_t>(limits_.overall_per_second);
  if (second_.size() >= overall) t = std::max(t, second_[second_.size() - overall] + second_us);
  auto it = chats_.find(chat);
  if (it != chats_.end()) {
    t = std::max(t, it->second.next_us);
    const auto per_group = static_cast<std::size_t>(limits_.per_group_per_minute);
    const auto& minute = it->second.minute;
    if (chat < 0 && minute.size() >= per_group) t = std::max(t, minute[minute.size() - per_group] + minute_us);
  }
  return t;
}

void flood_control::sent(std::int64_t chat, std::int64_t now_us) {
  second_.push_back(now_us);
  while (!second_.empty() && second_.front() + second_us <= now_us) second_.pop_front();
  chat_state& c = chats_[chat];
  c.next_us = std::max(c.next_us, now_us + limits_.per_chat_interval_us);
  if (chat < 0) {
    c.minute.push_back(now_us);
    while (!c.minute.empty() && c.minute.front() + minute_us <= now_us) c.minute.pop_front();
  }
  prune(now_us);
}

void flood_control::retry_after(std::int64_t chat, std::int64_t seconds, std::int64_t now_us) {
  const std::int64_t until = retry_at_us(now_us, seconds);
  paused_until_us_ = std::max(paused_until_us_, until);
  chat_state& c = chats_[chat];
  c.next_us = std::max(c.next_us, until);
}

void flood_control::prune(std::int64_t now_us) {
  if (now_us - last_prune_us_ < minute_us) return;
  last_prune_us_ = now_us;
  for (auto it = chats_.begin(); it != chats_.end();) {
    const bool idle = it->second.next_us <= now_us &&
                      (it->second.minute.empty() || it->second.minute.back() + minute_us <= now_us);
    it = idle ? chats_.erase(it) : std::next(it);
  }
}

}  // namespace telepay::gateways::telegram
