// Goal: an ask that gets no reply is answered with request_timeout once its bound has passed,
// exactly once, and a reply that comes first wins; the watch holds only asks still waiting and
// asks for ticks only while some wait.
// Method: the watch alone, with the time passed in (no threads, no actors).

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "actors/ask_watch.hpp"

namespace telepay::actors {
namespace {

using namespace std::chrono_literals;
using clock_type = ask_watch::clock;

TEST(AskWatch, AnAskWithoutAReplyIsAnsweredWithATimeoutOnceItsBoundHasPassed) {
  ask_watch watch(100ms);
  const auto t0 = clock_type::now();
  int calls = 0;
  std::optional<result<int>> got;
  auto ask = watch.watch<int>([&](result<int> r) {
    ++calls;
    got = std::move(r);
  }, t0);
  EXPECT_EQ(watch.sweep(t0 + 99ms), 0u);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(watch.sweep(t0 + 100ms), 1u);
  ASSERT_EQ(calls, 1);
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->code(), errc::request_timeout);
  EXPECT_NE(got->error().message.find("100 ms"), std::string::npos) << got->error().message;
  ask->answer(7);  // the late reply is dropped
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(watch.empty());
  EXPECT_EQ(watch.expired_total(), 1u);
}

TEST(AskWatch, AReplyBeforeTheBoundWinsAndLeavesNothingToExpire) {
  ask_watch watch(100ms);
  const auto t0 = clock_type::now();
  std::vector<int> values;
  auto first = watch.watch<int>([&](result<int> r) { values.push_back(r ? *r : -1); }, t0);
  auto second = watch.watch<int>([&](result<int> r) { values.push_back(r ? *r : -1); }, t0 + 10ms);
  EXPECT_EQ(watch.size(), 2u);
  second->answer(2);  // replies may come in any order
  EXPECT_EQ(watch.size(), 1u);
  EXPECT_EQ(watch.sweep(t0 + 1s), 1u);
  EXPECT_EQ(values, (std::vector<int>{2, -1}));
  first->answer(1);
  EXPECT_EQ(values.size(), 2u) << "an expired ask is answered once";
}

TEST(AskWatch, OnlyOverdueAsksExpireAndInTheOrderTheyWereMade) {
  ask_watch watch(100ms);
  const auto t0 = clock_type::now();
  std::vector<int> expired;
  std::vector<std::shared_ptr<watched_ask<int>>> asks;
  for (int i = 0; i < 5; ++i) {
    asks.push_back(watch.watch<int>([&expired, i](result<int>) { expired.push_back(i); }, t0 + i * 10ms));
  }
  EXPECT_EQ(watch.sweep(t0 + 125ms), 3u);  // made at 0, 10, 20 ms
  EXPECT_EQ(expired, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(watch.size(), 2u);
}

TEST(AskWatch, AnAskDroppedBeforeItsReplyLeavesTheWatch) {
  ask_watch watch(100ms);
  int calls = 0;
  auto ask = watch.watch<int>([&](result<int>) { ++calls; });
  EXPECT_EQ(watch.size(), 1u);
  ask.reset();  // CAF dropped the handler (the asking actor went down)
  EXPECT_TRUE(watch.empty());
  EXPECT_EQ(watch.sweep(clock_type::now() + 1h), 0u);
  EXPECT_EQ(calls, 0);
}

TEST(AskWatch, AnAskThatOutlivesItsWatchIsDetached) {
  std::shared_ptr<watched_ask<int>> ask;
  int calls = 0;
  {
    ask_watch watch(100ms);
    ask = watch.watch<int>([&](result<int>) { ++calls; });
  }
  ask->answer(1);  // the actor's state went first: the reply still reaches its callback
  EXPECT_EQ(calls, 1);
}

TEST(AskWatch, AnExpiryThatAsksAgainDoesNotExpireTheNewAsk) {
  ask_watch watch(100ms);
  auto now = clock_type::now();
  std::vector<std::shared_ptr<watched_ask<int>>> retries;
  int timeouts = 0;
  std::function<void(result<int>)> retry = [&](result<int> r) {
    if (!r) ++timeouts;
    retries.push_back(watch.watch<int>(retry, now));  // a process retries its step at once
  };
  auto ask = watch.watch<int>(retry, now);
  now += 150ms;
  EXPECT_EQ(watch.sweep(now), 1u);
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(watch.size(), 1u) << "the retry waits its own bound";
  now += 100ms;
  EXPECT_EQ(watch.sweep(now), 1u);
  EXPECT_EQ(timeouts, 2);
}

TEST(AskWatch, TicksAreAskedForOnlyWhileAsksWait) {
  std::vector<std::chrono::milliseconds> armed;
  ask_watch watch(100ms, [&](std::chrono::milliseconds delay) { armed.push_back(delay); });
  auto a = watch.watch<int>([](result<int>) {});
  auto b = watch.watch<int>([](result<int>) {});
  ASSERT_EQ(armed.size(), 1u) << "one tick armed for any number of asks";
  EXPECT_EQ(armed[0], 25ms);
  watch.on_tick(ask_watch::clock::now());
  EXPECT_EQ(armed.size(), 2u) << "asks still wait: the next tick is armed";
  a->answer(1);
  b->answer(2);
  watch.on_tick(ask_watch::clock::now());
  EXPECT_EQ(armed.size(), 2u) << "nothing waits: no tick";
  auto c = watch.watch<int>([](result<int>) {});
  EXPECT_EQ(armed.size(), 3u);
}

}  // namespace
}  // namespace telepay::actors
