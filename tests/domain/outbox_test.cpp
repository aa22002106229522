// Goal: the bot's durable state rules, given/when/then without threads: a user's conversation
// records each Telegram update once (repeats by update_id ignored, even out of order), keeps
// its receipt times for the per-user rate, and takes a dialogue change only once per source;
// the notice outbox takes a request once per origin and source, validates what Telegram would
// refuse (callback data over 64 bytes), and records each delivery once.

#include <gtest/gtest.h>

#include "domain/broadcast.hpp"
#include "domain/conversation.hpp"
#include "domain/notice.hpp"

namespace telepay::domain {
namespace {

template <class State, class Event>
void fold(State& s, const std::vector<Event>& events) {
  for (const auto& e : events) {
    if constexpr (std::is_same_v<State, conversation::state>) conversation::evolve(s, e);
    else notice::evolve(s, e);
  }
}

TEST(Conversation, RecordsEachUpdateOnceAndCountsTheRate) {
  conversation::state s(make_user_id(42).value());
  constexpr std::int64_t t0 = 1'800'000'000'000'000;
  auto first = conversation::decide(s, conversation::receive{100, "message", R"({"update_id":100})"}, t0);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  fold(s, *first);
  EXPECT_EQ(std::get<conversation::update_received>((*first)[0]).received_at_us, t0);
  // A repeat, and a repeat after a later update, decide nothing.
  EXPECT_TRUE(conversation::decide(s, conversation::receive{100, "message", "{}"}, t0 + 1)->empty());
  fold(s, conversation::decide(s, conversation::receive{102, "message", "{}"}, t0 + 2).value());
  EXPECT_TRUE(conversation::decide(s, conversation::receive{100, "message", "{}"}, t0 + 3)->empty());
  // An older id not seen before is new (ids are a set, not an order).
  EXPECT_EQ(conversation::decide(s, conversation::receive{101, "message", "{}"}, t0 + 4)->size(), 1u);
  EXPECT_EQ(s.received_within_minute(t0 + 2), 2u);
  EXPECT_EQ(s.received_within_minute(t0 + 61'000'000), 0u);
  // Bad input changes nothing.
  EXPECT_FALSE(conversation::decide(s, conversation::receive{-1, "message", "{}"}, t0));
  EXPECT_FALSE(conversation::decide(s, conversation::receive{5, "poll", "{}"}, t0));
  EXPECT_FALSE(conversation::decide(s, conversation::receive{5, "message", ""}, t0));
  EXPECT_FALSE(conversation::decide(s, conversation::receive{5, "message", std::string(17 * 1024, 'x')}, t0));
  EXPECT_FALSE(conversation::decide(s, conversation::receive{5, "message", "\xff"}, t0));
}

TEST(Conversation, KeepsOnlyTheRecentIdsBounded) {
  conversation::state s(make_user_id(42).value());
  for (std::int64_t id = 1; id <= 300; ++id) {
    fold(s, conversation::decide(s, conversation::receive{id, "message", "{}"}, id).value());
  }
  EXPECT_EQ(s.recent.size(), conversation::recent_updates_kept);
  EXPECT_EQ(s.updates, 300u);
  EXPECT_TRUE(s.seen(300));
  EXPECT_FALSE(s.seen(1));
}

TEST(Conversation, TakesADialogueChangeOncePerSource) {
  conversation::state s(make_user_id(42).value());
  conversation::dialogue keypad{conversation::mode::donation, -1001, 0, "12.5", 81, 5, ""};
  auto e = conversation::decide(s, conversation::change{10, keypad}, 0);
  ASSERT_EQ(e->size(), 1u);
  fold(s, *e);
  EXPECT_EQ(s.dialogue, keypad);
  keypad.digits = "12.55";
  EXPECT_TRUE(conversation::decide(s, conversation::change{10, keypad}, 0)->empty());  // replayed source
  EXPECT_TRUE(conversation::decide(s, conversation::change{9, keypad}, 0)->empty());
  EXPECT_EQ(conversation::decide(s, conversation::change{11, keypad}, 0)->size(), 1u);
  for (const char* bad : {"1.2.3", "12.555", "12345678", "1a"}) {
    keypad.digits = bad;
    EXPECT_FALSE(conversation::decide(s, conversation::change{12, keypad}, 0)) << bad;
  }
}

TEST(NoticeOutbox, TakesEachSourceOncePerOriginAndEachDeliveryOnce) {
  notice::state s(make_user_id(42).value());
  notice::item hello{notice::kind::message, 0, "", 0, "hello", {}, 0};
  fold(s, notice::decide(s, notice::request{120, {hello}, "ledger"}, 0).value());
  // A bot reply caused by an earlier update is not hidden by the ledger's later source.
  auto bot = notice::decide(s, notice::request{100, {hello, hello}, "bot"}, 0);
  ASSERT_EQ(bot->size(), 2u);
  fold(s, *bot);
  EXPECT_TRUE(notice::decide(s, notice::request{100, {hello}, "bot"}, 0)->empty());
  EXPECT_TRUE(notice::decide(s, notice::request{120, {hello}, "ledger"}, 0)->empty());
  EXPECT_EQ(s.pending, (std::set<std::uint64_t>{1, 2, 3}));
  // Deliveries: once each, in any order; unknown notices refused.
  auto d2 = notice::decide(s, notice::deliver{2, true, "77"}, 0);
  ASSERT_EQ(d2->size(), 1u);
  fold(s, *d2);
  EXPECT_TRUE(notice::decide(s, notice::deliver{2, true, "77"}, 0)->empty());
  EXPECT_FALSE(notice::decide(s, notice::deliver{9, true, ""}, 0));
  EXPECT_EQ(s.pending, (std::set<std::uint64_t>{1, 3}));
  EXPECT_EQ(s.version, 4u);
}

TEST(NoticeOutbox, RefusesWhatTelegramWouldRefuse) {
  notice::state s(make_user_id(42).value());
  auto with_button = [](std::string data) {
    return notice::item{notice::kind::message, 0, "", 0, "pick", {{{"b", std::move(data), ""}}}, 0};
  };
  EXPECT_TRUE(notice::decide(s, notice::request{1, {with_button(std::string(64, 'a'))}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {with_button(std::string(65, 'a'))}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {with_button("")}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {notice::item{notice::kind::edit, 0, "", 0, "x", {}, 0}}, "bot"}, 0));
  // An edit without text replaces only the buttons (editMessageReplyMarkup); it still needs the message.
  EXPECT_TRUE(notice::decide(s, notice::request{1, {notice::item{notice::kind::edit, 0, "", 0, "", {}, 7}}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {notice::item{notice::kind::edit, 0, "", 0, "", {}, 0}}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {notice::item{notice::kind::answer, 0, "", 0, "", {}, 0}}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {notice::item{notice::kind::approve, 0, "", 0, "", {}, 0}}, "bot"}, 0));
  EXPECT_FALSE(notice::decide(s, notice::request{1, {with_button("x")}, "Bad Origin"}, 0));
}

TEST(Conversation, ABlockedBotIsInactiveUntilTheUserWritesAgain) {
  conversation::state s(make_user_id(42).value());
  auto b = conversation::decide(s, conversation::mark_blocked{"blocked: Forbidden"}, 0);
  ASSERT_EQ(b->size(), 1u);
  fold(s, *b);
  EXPECT_TRUE(s.bot_blocked);
  EXPECT_TRUE(conversation::decide(s, conversation::mark_blocked{"again"}, 0)->empty());
  fold(s, conversation::decide(s, conversation::receive{7, "message", "{}"}, 1).value());
  EXPECT_FALSE(s.bot_blocked);
}

TEST(Broadcast, StartsOnceMovesForwardAndFinishesOnce) {
  broadcast::state s("bc-1");
  EXPECT_FALSE(broadcast::decide(s, broadcast::progress{"a", 1, 0}, 0)) << "not started";
  EXPECT_FALSE(broadcast::decide(s, broadcast::start{"", "all", "t"}, 0));
  EXPECT_FALSE(broadcast::decide(s, broadcast::start{"hi", "channel:0", "t"}, 0));
  EXPECT_FALSE(broadcast::decide(s, broadcast::start{"hi", "some", "t"}, 0));
  EXPECT_FALSE(broadcast::decide(broadcast::state("bad id!"), broadcast::start{"hi", "all", "t"}, 0));
  auto started = broadcast::decide(s, broadcast::start{"hi", "channel:-1001", "t"}, 0);
  ASSERT_EQ(started->size(), 1u);
  for (const auto& e : *started) broadcast::evolve(s, e);
  EXPECT_TRUE(broadcast::decide(s, broadcast::start{"hi", "channel:-1001", "t"}, 0)->empty());
  EXPECT_FALSE(broadcast::decide(s, broadcast::start{"other", "all", "t"}, 0));
  for (const auto& e : broadcast::decide(s, broadcast::progress{"0005", 5, 1}, 0).value()) broadcast::evolve(s, e);
  EXPECT_FALSE(broadcast::decide(s, broadcast::progress{"0004", 6, 1}, 0)) << "the cursor never goes back";
  EXPECT_FALSE(broadcast::decide(s, broadcast::progress{"0006", 4, 1}, 0)) << "nor the count";
  EXPECT_TRUE(broadcast::decide(s, broadcast::progress{"0005", 5, 1}, 0)->empty());
  auto done = broadcast::decide(s, broadcast::finish{}, 0);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(std::get<broadcast::finished>((*done)[0]).queued, 5u);
  for (const auto& e : *done) broadcast::evolve(s, e);
  EXPECT_TRUE(broadcast::decide(s, broadcast::finish{}, 0)->empty());
  EXPECT_FALSE(broadcast::decide(s, broadcast::progress{"0009", 9, 1}, 0)) << "finished";
}

TEST(Broadcast, AnOperatorCancelsOneThatHasNotFinishedAndNothingMoreIsWalked) {
  broadcast::state s("bc-2");
  auto never = broadcast::decide(s, broadcast::cancel{"token:op", "typo"}, 0);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.code(), errc::broadcast_not_found);
  for (const auto& e : broadcast::decide(s, broadcast::start{"hi", "all", "t"}, 0).value()) broadcast::evolve(s, e);
  for (const auto& e : broadcast::decide(s, broadcast::progress{"0007", 6, 1}, 0).value()) broadcast::evolve(s, e);
  EXPECT_FALSE(broadcast::decide(s, broadcast::cancel{"token:op", std::string(501, 'x')}, 0)) << "reason too long";
  auto cancelled = broadcast::decide(s, broadcast::cancel{"token:op", "typo in the price"}, 0);
  ASSERT_TRUE(cancelled.has_value());
  ASSERT_EQ(cancelled->size(), 1u);
  EXPECT_EQ(std::get<broadcast::cancelled>((*cancelled)[0]),
            (broadcast::cancelled{"token:op", "typo in the price", 6, 1}));
  for (const auto& e : *cancelled) broadcast::evolve(s, e);
  EXPECT_TRUE(s.is_over());
  EXPECT_EQ(s.cancel_reason, "typo in the price");
  EXPECT_TRUE(broadcast::decide(s, broadcast::cancel{"token:op2", "again"}, 0)->empty()) << "a repeat decides nothing";
  EXPECT_EQ(broadcast::decide(s, broadcast::progress{"0009", 9, 1}, 0).code(), errc::broadcast_state_invalid)
      << "no walking on after a cancel";
  EXPECT_EQ(broadcast::decide(s, broadcast::finish{}, 0).code(), errc::broadcast_state_invalid) << "nor finishing";

  broadcast::state done("bc-3");
  for (const auto& e : broadcast::decide(done, broadcast::start{"hi", "all", "t"}, 0).value()) broadcast::evolve(done, e);
  for (const auto& e : broadcast::decide(done, broadcast::finish{}, 0).value()) broadcast::evolve(done, e);
  // Its walk finished, but messages may still wait behind the sender: those are dropped.
  auto late = broadcast::decide(done, broadcast::cancel{"token:op", "stuck sender"}, 0);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->size(), 1u);
}

}  // namespace
}  // namespace telepay::domain
