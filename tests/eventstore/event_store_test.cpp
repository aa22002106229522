// Goal: the event log's contract: gapless seqs from 1, per-stream versions, optimistic
// concurrency, idempotent appends, reads, snapshots, subscriptions without gaps or duplicates,
// and everything surviving close and reopen.
// Method: a real RocksDB in a temporary directory per test; concurrency through real threads.

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "domain/base/limits.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/keys.hpp"
#include "tests/support/tamper.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay::eventstore {
namespace {

using namespace std::chrono_literals;

new_event event(std::string type, std::string payload) {
  return new_event{std::move(type), 1, std::move(payload)};
}

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest() { reopen(); }

  void reopen() {
    store_.reset();
    open_options options;
    options.directory = dir_.path() / "db";
    auto opened = event_store::open(options);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(opened.value());
  }

  append_result must_append(const std::string& stream, expected_version expected,
                            std::vector<new_event> events, std::string key = "") {
    auto appended = store_->append(stream, expected, std::move(events), std::move(key));
    EXPECT_TRUE(appended.has_value()) << appended.error().message;
    return appended.has_value() ? *appended : append_result{};
  }

  testing::temp_dir dir_;
  std::unique_ptr<event_store> store_;
};

TEST_F(EventStoreTest, EmptyStoreHasHeadZero) {
  EXPECT_EQ(store_->head_seq(), 0u);
  EXPECT_EQ(store_->head_hash(), hash256{});
  auto version = store_->stream_version("user-1");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 0u);
  auto all = store_->read_all(1, 10);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST_F(EventStoreTest, SeqsAreGaplessFromOneAndVersionsPerStream) {
  auto a1 = must_append("user-1", expected_version::no_stream(), {event("user.registered", "{}")});
  auto b1 = must_append("user-2", expected_version::no_stream(), {event("user.registered", "{}")});
  auto a2 = must_append("user-1", expected_version::exactly(1),
                        {event("user.banned", R"({"reason":"spam"})"),
                         event("user.unbanned", "{}")});
  EXPECT_EQ(a1.first_seq, 1u);
  EXPECT_EQ(a1.first_version, 1u);
  EXPECT_EQ(b1.first_seq, 2u);
  EXPECT_EQ(b1.first_version, 1u);
  EXPECT_EQ(a2.first_seq, 3u);
  EXPECT_EQ(a2.last_seq, 4u);
  EXPECT_EQ(a2.first_version, 2u);
  EXPECT_EQ(a2.last_version, 3u);
  EXPECT_EQ(a2.outcome, append_outcome::written);
  EXPECT_EQ(store_->head_seq(), 4u);

  auto stream = store_->read_stream("user-1", 1, 100);
  ASSERT_TRUE(stream.has_value());
  ASSERT_EQ(stream->size(), 3u);
  EXPECT_EQ((*stream)[0].seq, 1u);
  EXPECT_EQ((*stream)[1].seq, 3u);
  EXPECT_EQ((*stream)[1].type, "user.banned");
  EXPECT_EQ((*stream)[1].payload, R"({"reason":"spam"})");
  EXPECT_EQ((*stream)[2].version, 3u);
}

TEST_F(EventStoreTest, ReadStreamFromTheMiddleOfAMultiEventAppend) {
  std::vector<new_event> events;
  for (int i = 0; i < 10; ++i) {
    events.push_back(event("wallet.credited", R"({"n":)" + std::to_string(i) + "}"));
  }
  must_append("other", expected_version::any(), {event("x.y", "{}")});
  must_append("wallet-1-USDT", expected_version::no_stream(), events);
  must_append("wallet-1-USDT", expected_version::exactly(10), {event("wallet.debited", "{}")});

  auto from5 = store_->read_stream("wallet-1-USDT", 5, 3);
  ASSERT_TRUE(from5.has_value());
  ASSERT_EQ(from5->size(), 3u);
  EXPECT_EQ((*from5)[0].version, 5u);
  EXPECT_EQ((*from5)[0].seq, 6u);
  EXPECT_EQ((*from5)[0].payload, R"({"n":4})");
  EXPECT_EQ((*from5)[2].version, 7u);

  auto tail = store_->read_stream("wallet-1-USDT", 10, 100);
  ASSERT_TRUE(tail.has_value());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1].type, "wallet.debited");

  auto beyond = store_->read_stream("wallet-1-USDT", 12, 100);
  ASSERT_TRUE(beyond.has_value());
  EXPECT_TRUE(beyond->empty());
  // A stream whose name is a prefix of another must not see the other's events.
  auto prefix = store_->read_stream("wallet-1", 1, 100);
  ASSERT_TRUE(prefix.has_value());
  EXPECT_TRUE(prefix->empty());
}

TEST_F(EventStoreTest, WrongExpectedVersionWritesNothing) {
  must_append("channel-7", expected_version::no_stream(), {event("channel.registered", "{}")});
  const hash256 head_hash = store_->head_hash();

  auto stale = store_->append("channel-7", expected_version::exactly(0),
                              {event("channel.disabled", "{}")}, "k1");
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.code(), errc::wrong_expected_version);
  EXPECT_NE(stale.error().message.find("channel-7 is at version 1"), std::string::npos)
      << stale.error().message;

  auto ahead = store_->append("channel-7", expected_version::exactly(5),
                              {event("channel.disabled", "{}")}, "");
  ASSERT_FALSE(ahead.has_value());
  EXPECT_EQ(ahead.code(), errc::wrong_expected_version);

  EXPECT_EQ(store_->head_seq(), 1u);
  EXPECT_EQ(store_->head_hash(), head_hash);
  // The rejected key was not consumed: a correct retry with it is written.
  auto retry = store_->append("channel-7", expected_version::exactly(1),
                              {event("channel.disabled", "{}")}, "k1");
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->outcome, append_outcome::written);
  EXPECT_EQ(retry->first_seq, 2u);
}

TEST_F(EventStoreTest, RepeatedIdempotencyKeyReturnsTheFirstResultAndWritesNothing) {
  auto first = must_append("wallet-9-USDT", expected_version::any(),
                           {event("wallet.credited", R"({"amount":"5"})")}, "deposit-abc");
  must_append("wallet-9-USDT", expected_version::any(), {event("wallet.debited", "{}")});
  auto again = store_->append("wallet-9-USDT", expected_version::any(),
                              {event("wallet.credited", R"({"amount":"5"})")}, "deposit-abc");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->outcome, append_outcome::deduplicated);
  EXPECT_EQ(again->first_seq, first.first_seq);
  EXPECT_EQ(again->last_seq, first.last_seq);
  EXPECT_EQ(again->first_version, first.first_version);
  EXPECT_EQ(store_->head_seq(), 2u);
  // A repeat does not even need the right expected version: it is answered from the key.
  auto late = store_->append("wallet-9-USDT", expected_version::exactly(0),
                             {event("wallet.credited", R"({"amount":"5"})")}, "deposit-abc");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->first_seq, first.first_seq);
}

TEST_F(EventStoreTest, SameKeyWithDifferentPayloadIsAnError) {
  must_append("wallet-9-USDT", expected_version::any(),
              {event("wallet.credited", R"({"amount":"5"})")}, "deposit-abc");
  auto changed = store_->append("wallet-9-USDT", expected_version::any(),
                                {event("wallet.credited", R"({"amount":"6"})")}, "deposit-abc");
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.code(), errc::idempotency_key_reused_with_different_payload);
  auto other_stream = store_->append("wallet-8-USDT", expected_version::any(),
                                     {event("wallet.credited", R"({"amount":"5"})")},
                                     "deposit-abc");
  ASSERT_FALSE(other_stream.has_value());
  EXPECT_EQ(other_stream.code(), errc::idempotency_key_reused_with_different_payload);
  auto other_type = store_->append("wallet-9-USDT", expected_version::any(),
                                   {event("wallet.debited", R"({"amount":"5"})")}, "deposit-abc");
  ASSERT_FALSE(other_type.has_value());
  EXPECT_EQ(store_->head_seq(), 1u);
}

TEST_F(EventStoreTest, ConcurrentDuplicatesOfOneKeyWriteOnce) {
  // Many threads race the same idempotent append, some while the original is still in flight.
  constexpr int threads = 8;
  constexpr int keys = 50;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::map<std::string, std::set<std::uint64_t>> seqs_by_key;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int k = 0; k < keys; ++k) {
        const std::string key = "cmd-" + std::to_string(k);
        auto r = store_->append("stream-" + std::to_string(k % 5), expected_version::any(),
                                {event("thing.done", R"({"k":)" + std::to_string(k) + "}")}, key);
        if (!r) {
          failures.fetch_add(1);
          continue;
        }
        std::lock_guard lock(mutex);
        seqs_by_key[key].insert(r->first_seq);
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->head_seq(), static_cast<std::uint64_t>(keys));
  for (const auto& [key, seqs] : seqs_by_key) {
    EXPECT_EQ(seqs.size(), 1u) << key << " was written more than once";
  }
  auto stats = store_->stats();
  EXPECT_EQ(stats.appends_written, static_cast<std::uint64_t>(keys));
  EXPECT_EQ(stats.appends_deduplicated, static_cast<std::uint64_t>(keys * (threads - 1)));
}

TEST_F(EventStoreTest, BadInputIsRejectedWithAClearErrorAndWritesNothing) {
  struct bad_case {
    append_request request;
    errc code;
  };
  std::vector<bad_case> cases;
  auto base = [] {
    append_request r;
    r.stream = "user-1";
    r.events = {event("user.registered", "{}")};
    return r;
  };
  {
    auto r = base();
    r.stream = "";
    cases.push_back({r, errc::stream_name_invalid});
  }
  {
    auto r = base();
    r.stream = "user 1";
    cases.push_back({r, errc::stream_name_invalid});
  }
  {
    auto r = base();
    r.stream = std::string(limits::stream_name_bytes_max + 1, 'a');
    cases.push_back({r, errc::stream_name_invalid});
  }
  {
    auto r = base();
    r.stream = std::string("user\0x", 6);
    cases.push_back({r, errc::stream_name_invalid});
  }
  {
    auto r = base();
    r.events.clear();
    cases.push_back({r, errc::events_must_not_be_empty});
  }
  {
    auto r = base();
    r.events.assign(limits::append_events_max + 1, event("a.b", "{}"));
    cases.push_back({r, errc::too_many_events});
  }
  {
    auto r = base();
    r.events[0].type = "";
    cases.push_back({r, errc::event_type_invalid});
  }
  {
    auto r = base();
    r.events[0].schema_version = 0;
    cases.push_back({r, errc::event_type_invalid});
  }
  {
    auto r = base();
    r.events[0].payload = std::string(limits::event_payload_bytes_max + 1, 'x');
    cases.push_back({r, errc::payload_too_large});
  }
  {
    auto r = base();
    r.idempotency_key = "has space";
    cases.push_back({r, errc::idempotency_key_invalid});
  }
  {
    auto r = base();
    r.idempotency_key = std::string(limits::idempotency_key_bytes_max + 1, 'k');
    cases.push_back({r, errc::idempotency_key_invalid});
  }
  {
    auto r = base();
    r.correlation_id = "line\nbreak";
    cases.push_back({r, errc::metadata_invalid});
  }
  for (auto& c : cases) {
    auto r = store_->append(c.request);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.code(), c.code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_EQ(store_->head_seq(), 0u);
  EXPECT_EQ(store_->stats().appends_rejected, cases.size());
}

TEST_F(EventStoreTest, BoundaryInputsAreAccepted) {
  append_request r;
  r.stream = std::string(limits::stream_name_bytes_max, 's');
  r.events.assign(limits::append_events_max, event("a.b", "{}"));
  r.events[0].payload = std::string(limits::event_payload_bytes_max, 'x');
  r.idempotency_key = std::string(limits::idempotency_key_bytes_max, 'k');
  auto appended = store_->append(r);
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  EXPECT_EQ(appended->last_seq, limits::append_events_max);
  auto read = store_->read_stream(r.stream, 1, 1);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->front().payload.size(), limits::event_payload_bytes_max);
}

TEST_F(EventStoreTest, RecordsCarryMetadataAndFormAHashChain) {
  append_request r;
  r.stream = "invoice-1";
  r.events = {event("invoice.created", R"({"order_id":"1"})"), event("invoice.paid", "{}")};
  r.idempotency_key = "create-1";
  r.correlation_id = "corr-7";
  r.causation_id = "cause-8";
  ASSERT_TRUE(store_->append(r).has_value());
  must_append("invoice-2", expected_version::no_stream(), {event("invoice.created", "{}")});

  auto all = store_->read_all(1, 100);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].prev_hash, hash256{});
  EXPECT_EQ((*all)[1].prev_hash, (*all)[0].hash);
  EXPECT_EQ((*all)[2].prev_hash, (*all)[1].hash);
  EXPECT_EQ(store_->head_hash(), (*all)[2].hash);
  EXPECT_EQ((*all)[0].correlation_id, "corr-7");
  EXPECT_EQ((*all)[1].causation_id, "cause-8");
  EXPECT_EQ((*all)[1].idempotency_key, "create-1");
  EXPECT_EQ((*all)[2].idempotency_key, "");
  EXPECT_GT((*all)[0].recorded_at_us, 1'700'000'000'000'000);
  EXPECT_EQ((*all)[0].recorded_at_us, (*all)[1].recorded_at_us);  // one append, one time

  auto report = store_->verify(1, {});
  EXPECT_FALSE(report.fault.has_value());
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(report.last_hash, store_->head_hash());
}

TEST_F(EventStoreTest, VerifyStopsAtTheSeqAskedForAndCallsOneBeyondTheHeadMissing) {
  must_append("a", expected_version::no_stream(), {event("t.one", "{}"), event("t.two", "{}")});
  must_append("b", expected_version::no_stream(), {event("t.one", "{}")});
  auto all = store_->read_all(1, 10);
  ASSERT_TRUE(all.has_value());
  auto through_two = store_->verify(1, {}, 2);
  EXPECT_FALSE(through_two.fault.has_value());
  EXPECT_EQ(through_two.records, 2u);
  EXPECT_EQ(through_two.last_seq, 2u);
  EXPECT_EQ(through_two.last_hash, (*all)[1].hash);
  auto beyond = store_->verify(1, {}, 4);
  ASSERT_TRUE(beyond.fault.has_value());
  EXPECT_EQ(beyond.fault->seq, 4u);
  EXPECT_NE(beyond.fault->reason.find("missing"), std::string::npos) << beyond.fault->reason;
}

TEST_F(EventStoreTest, CloseAndReopenKeepsEverythingAndContinuesTheChain) {
  must_append("a", expected_version::no_stream(), {event("t.one", "{}")}, "key-a");
  must_append("b", expected_version::no_stream(), {event("t.one", "{}"), event("t.two", "{}")});
  const hash256 head_hash = store_->head_hash();
  reopen();
  EXPECT_EQ(store_->head_seq(), 3u);
  EXPECT_EQ(store_->head_hash(), head_hash);
  auto version = store_->stream_version("b");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 2u);
  // Expected versions and idempotency keys survive the restart.
  auto stale = store_->append("b", expected_version::exactly(1), {event("t.three", "{}")}, "");
  EXPECT_EQ(stale.code(), errc::wrong_expected_version);
  auto repeat = store_->append("a", expected_version::no_stream(), {event("t.one", "{}")}, "key-a");
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->outcome, append_outcome::deduplicated);
  EXPECT_EQ(repeat->first_seq, 1u);
  auto next = must_append("b", expected_version::exactly(2), {event("t.three", "{}")});
  EXPECT_EQ(next.first_seq, 4u);
  auto all = store_->read_all(3, 10);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].prev_hash, head_hash);
  EXPECT_FALSE(store_->verify(1, {}).fault.has_value());
}

TEST_F(EventStoreTest, ConcurrentAppendersGetUniqueGaplessSeqsAndGroupCommit) {
  constexpr int threads = 16;
  constexpr int per_thread = 200;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::set<std::uint64_t> seqs;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string stream = "wallet-" + std::to_string(t) + "-USDT";
      for (int i = 0; i < per_thread; ++i) {
        auto r = store_->append(stream, expected_version::exactly(static_cast<std::uint64_t>(i)),
                                {event("wallet.credited", "{}")}, "");
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(r->first_version, static_cast<std::uint64_t>(i + 1));
        std::lock_guard lock(mutex);
        seqs.insert(r->first_seq);
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  constexpr std::uint64_t total = threads * per_thread;
  ASSERT_EQ(seqs.size(), total);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), total);
  EXPECT_EQ(store_->head_seq(), total);
  const auto stats = store_->stats();
  EXPECT_EQ(stats.events_written, total);
  // With 16 appenders waiting on fsync, batches must carry more than one append on average.
  EXPECT_LT(stats.batches_committed, total);
  EXPECT_FALSE(store_->verify(1, {}).fault.has_value());
}

TEST_F(EventStoreTest, AsyncCallbackRunsOnceAfterDurability) {
  std::atomic<int> calls{0};
  std::atomic<std::uint64_t> head_at_ack{0};
  append_request r;
  r.stream = "s";
  r.events = {event("a.b", "{}")};
  store_->append_async(r, [&](result<append_result> outcome) {
    ASSERT_TRUE(outcome.has_value());
    head_at_ack = store_->head_seq();
    calls.fetch_add(1);
  });
  ASSERT_TRUE(store_->wait_for_seq(1, 5s));
  for (int i = 0; i < 100 && calls.load() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(head_at_ack.load(), 1u);  // the durable head already covers the acknowledged append
}

TEST_F(EventStoreTest, RecordedAtNeverGoesBackwards) {
  store_.reset();
  std::atomic<std::int64_t> now{2'000'000'000'000'000};
  open_options options;
  options.directory = dir_.path() / "db";
  options.clock_us = [&] { return now.load(); };
  store_ = std::move(event_store::open(options).value());
  must_append("s", expected_version::any(), {event("a.b", "{}")});
  now = 1'000'000'000'000'000;  // the wall clock steps back
  must_append("s", expected_version::any(), {event("a.b", "{}")});
  auto all = store_->read_all(1, 10);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ((*all)[1].recorded_at_us, 2'000'000'000'000'000);
}

TEST_F(EventStoreTest, SubscriptionCatchesUpThenFollowsLive) {
  for (int i = 0; i < 10; ++i) {
    must_append("s", expected_version::any(), {event("a.b", "{}")});
  }
  std::mutex mutex;
  std::vector<std::uint64_t> seen;
  auto sub = store_->subscribe(4, [&](std::span<const record> records) {
    std::lock_guard lock(mutex);
    for (const auto& r : records) {
      seen.push_back(r.seq);
    }
    return true;
  });
  for (int i = 0; i < 5; ++i) {
    must_append("s", expected_version::any(), {event("a.b", "{}")});
  }
  for (int i = 0; i < 200 && sub->position() < 16; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  sub->stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 12u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], 4 + i);
  }
}

TEST_F(EventStoreTest, SubscriptionHasNoGapOrDuplicateWhenAppendsRaceTheSwitch) {
  // Appenders run before, during and after the subscriber's switch from history to live.
  constexpr int threads = 4;
  constexpr int per_thread = 1500;
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      for (int i = 0; i < per_thread; ++i) {
        const int events = 1 + (i % 3);
        std::vector<new_event> batch(static_cast<std::size_t>(events), event("a.b", "{}"));
        ASSERT_TRUE(store_->append("s-" + std::to_string(t), expected_version::any(), batch, "")
                        .has_value());
      }
    });
  }
  go = true;
  // Subscribe while the appenders are running.
  while (store_->head_seq() < 500) {
    std::this_thread::yield();
  }
  std::mutex mutex;
  std::vector<std::uint64_t> seen;
  auto sub = store_->subscribe(1, [&](std::span<const record> records) {
    std::lock_guard lock(mutex);
    for (const auto& r : records) {
      seen.push_back(r.seq);
    }
    return true;
  });
  for (auto& w : workers) {
    w.join();
  }
  const std::uint64_t total = store_->head_seq();
  for (int i = 0; i < 1000 && sub->position() <= total; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  sub->stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), total);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i], i + 1) << "gap or duplicate at index " << i;
  }
}

TEST_F(EventStoreTest, SubscriptionHandlerCanStopIt) {
  for (int i = 0; i < 5; ++i) {
    must_append("s", expected_version::any(), {event("a.b", "{}")});
  }
  std::atomic<int> calls{0};
  auto sub = store_->subscribe(1, [&](std::span<const record>) {
    calls.fetch_add(1);
    return false;
  });
  std::this_thread::sleep_for(100ms);
  must_append("s", expected_version::any(), {event("a.b", "{}")});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(sub->position(), 6u);
}

TEST_F(EventStoreTest, SnapshotsAreStoredPerStreamAndSurviveReopen) {
  must_append("user-5", expected_version::no_stream(),
              {event("user.registered", "{}"), event("user.banned", "{}")});
  auto none = store_->load_snapshot("user-5");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->save_snapshot("user-5", 2, "state-at-2").has_value());
  auto beyond = store_->save_snapshot("user-5", 3, "state-at-3");
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.code(), errc::snapshot_invalid);
  auto unknown = store_->save_snapshot("user-6", 1, "x");
  EXPECT_EQ(unknown.code(), errc::snapshot_invalid);

  reopen();
  auto loaded = store_->load_snapshot("user-5");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->version, 2u);
  EXPECT_EQ((*loaded)->bytes, "state-at-2");
}

TEST_F(EventStoreTest, ReadOnlyInstanceSeesThePrimaryWhileItRuns) {
  must_append("s", expected_version::any(), {event("a.b", "{}")});
  open_options options;
  options.directory = dir_.path() / "db";
  options.mode = open_mode::read_only;
  auto reader = event_store::open(options);
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  EXPECT_EQ((*reader)->head_seq(), 1u);

  must_append("s", expected_version::any(), {event("a.b", "{}")});
  ASSERT_TRUE((*reader)->refresh().has_value());
  EXPECT_EQ((*reader)->head_seq(), 2u);
  EXPECT_EQ((*reader)->head_hash(), store_->head_hash());
  auto appended = (*reader)->append("s", expected_version::any(), {event("a.b", "{}")}, "");
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.code(), errc::store_closed);
  EXPECT_FALSE((*reader)->verify(1, {}).fault.has_value());
}

TEST_F(EventStoreTest, ReadOnlyOpenOfAMissingDirectoryIsAnError) {
  open_options options;
  options.directory = dir_.path() / "nothing-here";
  options.mode = open_mode::read_only;
  auto reader = event_store::open(options);
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.code(), errc::not_found);
}

// The error_code overload of filesystem::exists: a path the OS refuses to look up (here a name
// longer than NAME_MAX, ENAMETOOLONG; as root a permission test would pass anyway) is an error
// answer, not a filesystem_error thrown through telepay-audit.
TEST_F(EventStoreTest, ReadOnlyOpenOfAnUnreadablePathIsAnErrorNotAThrow) {
  open_options options;
  options.directory = dir_.path() / std::string(300, 'x');
  options.mode = open_mode::read_only;
  auto reader = event_store::open(options);
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.code(), errc::storage_failed);
  EXPECT_NE(reader.error().message.find("cannot read"), std::string::npos) << reader.error().message;
}

TEST_F(EventStoreTest, DroppingAProjectionDeletesOnlyItsRowsAndCheckpoint) {
  must_append("s", expected_version::any(), {event("a.b", "{}")});
  ASSERT_TRUE(store_->save_projection("users", 1, {{"a", std::string("1")}, {"b", std::string("2")}}).has_value());
  // A name that extends "users" and a follower's bare checkpoint must both survive.
  ASSERT_TRUE(store_->save_projection("usersx", 1, {{"a", std::string("3")}}).has_value());
  ASSERT_TRUE(store_->save_projection("notifier", 1, {}).has_value());
  auto before = store_->projection_format("users");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, 1u);  // never recorded: what rows saved before format versions are

  ASSERT_TRUE(store_->drop_projection("users", 2).has_value());
  reopen();
  const auto rows_of = [&](std::string_view name, std::uint64_t& checkpoint) {
    std::map<std::string, std::string> rows;
    auto loaded = store_->load_projection(name, [&](std::string_view k, std::string_view v) {
      rows.emplace(std::string(k), std::string(v));
      return true;
    });
    EXPECT_TRUE(loaded.has_value());
    checkpoint = loaded.has_value() ? *loaded : 99;
    return rows;
  };
  std::uint64_t checkpoint = 0;
  EXPECT_TRUE(rows_of("users", checkpoint).empty());
  EXPECT_EQ(checkpoint, 0u);
  EXPECT_EQ(rows_of("usersx", checkpoint).size(), 1u);
  EXPECT_EQ(checkpoint, 1u);
  EXPECT_TRUE(rows_of("notifier", checkpoint).empty());
  EXPECT_EQ(checkpoint, 1u);
  auto after = store_->projection_format("users");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, 2u);
  EXPECT_EQ(*store_->projection_format("usersx"), 1u);

  EXPECT_EQ(store_->drop_projection("", 1).code(), errc::invalid_argument);
  open_options options;
  options.directory = dir_.path() / "db";
  options.mode = open_mode::read_only;
  auto reader = event_store::open(options);
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  EXPECT_EQ((*reader)->drop_projection("users", 3).code(), errc::store_closed);
  EXPECT_EQ(*(*reader)->projection_format("users"), 2u);
}

TEST_F(EventStoreTest, OpenRefusesABrokenTailAndNamesTheSeq) {
  for (int i = 0; i < 20; ++i) {
    must_append("stream-" + std::to_string(i % 3), expected_version::any(),
                {event("a.b", R"({"i":)" + std::to_string(i) + "}")});
  }
  store_.reset();
  testing::tamper_record(dir_.path() / "db", 17, [](std::string& bytes) {
    bytes[bytes.size() - 40] = static_cast<char>(bytes[bytes.size() - 40] ^ 0x20);
  });
  open_options options;
  options.directory = dir_.path() / "db";
  auto opened = event_store::open(options);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.code(), errc::chain_broken);
  EXPECT_NE(opened.error().message.find("seq 17 (stream stream-1)"), std::string::npos)
      << opened.error().message;
}

TEST_F(EventStoreTest, VerifyDetectsARecordRewrittenWithAValidOwnHash) {
  // An attacker who recomputes the tampered record's own hash still breaks the link after it.
  for (int i = 0; i < 5; ++i) {
    must_append("s", expected_version::any(), {event("a.b", R"({"i":)" + std::to_string(i) + "}")});
  }
  auto all = store_->read_all(1, 10).value();
  store_.reset();
  testing::tamper_record(dir_.path() / "db", 3, [&](std::string& bytes) {
    record_fields fields;
    const record& r = all[2];
    fields.seq = r.seq;
    fields.version = r.version;
    fields.recorded_at_us = r.recorded_at_us;
    fields.schema_version = r.schema_version;
    fields.prev_hash = r.prev_hash;
    fields.stream = r.stream;
    fields.type = r.type;
    fields.payload = R"({"i":999})";
    bytes.clear();
    encode_record(fields, bytes);
  });
  open_options options;
  options.directory = dir_.path() / "db";
  auto opened = event_store::open(options);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find("seq 4"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("prev_hash"), std::string::npos);
}

}  // namespace
}  // namespace telepay::eventstore

namespace telepay::eventstore {
namespace {

// Goal: the index written to RocksDB by the indexer (sorted SSTs) and the in-memory part agree
// with the log across flushes, reopen and a secondary reader.
class EventStoreIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<event_store> open_store(std::size_t flush_runs,
                                          open_mode mode = open_mode::read_write) {
    open_options options;
    options.directory = dir_.path() / "db";
    options.index_flush_runs = flush_runs;
    options.mode = mode;
    auto opened = event_store::open(options);
    EXPECT_TRUE(opened.has_value()) << opened.error().message;
    return opened.has_value() ? std::move(opened.value()) : nullptr;
  }

  testing::temp_dir dir_;
};

TEST_F(EventStoreIndexTest, ReadsAgreeAcrossFlushesAndReopen) {
  auto store = open_store(5);
  // 5 streams x 40 appends (some multi-event, some keyed): many flushes of 5 runs each.
  std::map<std::string, std::uint64_t> versions;
  for (int i = 0; i < 200; ++i) {
    const std::string stream = "s-" + std::to_string(i % 5);
    std::vector<new_event> events(static_cast<std::size_t>(1 + i % 3),
                                  new_event{"t.x", 1, R"({"i":)" + std::to_string(i) + "}"});
    auto r = store->append(stream, expected_version::exactly(versions[stream]), events,
                           i % 2 == 0 ? "key-" + std::to_string(i) : "");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    versions[stream] = r->last_version;
  }
  const auto check = [&](event_store& s) {
    for (const auto& [stream, version] : versions) {
      auto v = s.stream_version(stream);
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(*v, version) << stream;
      auto all = s.read_stream(stream, 1, 4096);
      ASSERT_TRUE(all.has_value()) << all.error().message;
      ASSERT_EQ(all->size(), version) << stream;
      for (std::size_t i = 0; i < all->size(); ++i) {
        EXPECT_EQ((*all)[i].version, i + 1);
      }
      auto middle = s.read_stream(stream, version / 2, 3);
      ASSERT_TRUE(middle.has_value());
      ASSERT_EQ(middle->size(), 3u);
      EXPECT_EQ(middle->front().version, version / 2);
    }
  };
  // Wait for the indexer to have written something, then check memory + RocksDB together.
  for (int i = 0; i < 500 && store->stats().index_flushes == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(store->stats().index_flushes, 0u);
  EXPECT_GT(store->stats().indexed_through, 0u);
  check(*store);
  // Keys written before and after flushes still deduplicate.
  auto again = store->append("s-0", expected_version::any(),
                             {new_event{"t.x", 1, R"({"i":0})"}}, "key-0");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->outcome, append_outcome::deduplicated);
  EXPECT_EQ(again->first_seq, 1u);

  store.reset();  // closes with a final flush
  store = open_store(1000000);
  EXPECT_EQ(store->stats().indexed_through, store->head_seq());
  check(*store);
  auto late = store->append("s-3", expected_version::any(),
                            {new_event{"t.x", 1, R"({"i":198})"}}, "key-198");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->outcome, append_outcome::deduplicated);
}

TEST_F(EventStoreIndexTest, UnflushedEntriesAreRebuiltFromTheLogOnOpen) {
  {
    auto store = open_store(1000000);  // never flushes while running
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(store->append("s-" + std::to_string(i % 3), expected_version::any(),
                                {new_event{"t.x", 1, "{}"}}, "k" + std::to_string(i))
                      .has_value());
    }
    // A secondary reader rebuilds the recent index from the log too.
    auto reader = open_store(1000000, open_mode::read_only);
    auto read = reader->read_stream("s-1", 1, 100);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(read->size(), 10u);
    ASSERT_TRUE(store->append("s-1", expected_version::any(), {new_event{"t.x", 1, "{}"}}, "")
                    .has_value());
    ASSERT_TRUE(reader->refresh().has_value());
    EXPECT_EQ(reader->read_stream("s-1", 1, 100)->size(), 11u);
  }
  // A clean close flushes the index, so the next open has nothing to rebuild.
  {
    auto store = open_store(1000000);
    EXPECT_EQ(store->stats().indexed_through, 31u);
  }
  auto store = open_store(1000000);
  auto version = store->stream_version("s-1");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 11u);
  auto repeat = store->append("s-2", expected_version::any(), {new_event{"t.x", 1, "{}"}}, "k5");
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->outcome, append_outcome::deduplicated);
}

TEST_F(EventStoreIndexTest, KeysOfACrashedProcessStillDeduplicateAfterReopen) {
  // A child appends keyed events and exits without closing (no final index flush), as a crash
  // would; the parent's open must rebuild the keys from the log.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    open_options options;
    options.directory = dir_.path() / "db";
    options.index_flush_runs = 1000000;
    auto opened = event_store::open(options);
    bool ok = opened.has_value();
    for (int i = 0; ok && i < 20; ++i) {
      ok = (*opened)
               ->append("s-" + std::to_string(i % 4), expected_version::any(),
                        {new_event{"t.x", 1, R"({"i":)" + std::to_string(i) + "}"}},
                        "crash-" + std::to_string(i))
               .has_value();
    }
    _exit(ok ? 0 : 1);
  }
  int child_status = 0;
  ASSERT_EQ(waitpid(child, &child_status, 0), child);
  ASSERT_TRUE(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);

  auto store = open_store(1000000);
  EXPECT_EQ(store->head_seq(), 20u);
  EXPECT_LT(store->stats().indexed_through, 20u);  // nothing was flushed by the child
  auto repeat = store->append("s-3", expected_version::any(),
                              {new_event{"t.x", 1, R"({"i":7})"}}, "crash-7");
  ASSERT_TRUE(repeat.has_value()) << repeat.error().message;
  EXPECT_EQ(repeat->outcome, append_outcome::deduplicated);
  EXPECT_EQ(repeat->first_seq, 8u);
  auto reused = store->append("s-3", expected_version::any(),
                              {new_event{"t.x", 1, R"({"i":99})"}}, "crash-7");
  ASSERT_FALSE(reused.has_value());
  EXPECT_EQ(reused.error().code, errc::idempotency_key_reused_with_different_payload);
  EXPECT_EQ(store->head_seq(), 20u);
}

}  // namespace
}  // namespace telepay::eventstore
