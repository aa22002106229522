// Goal: the webhook follower over a real RocksDB log, with the delivery step (the HTTP gateway's
// job, tested end to end in tools/webhooks_test.cpp) replaced by a function that records what
// it is handed: only the types an endpoint asked for, from the seq after its registration (or
// its from_seq), in log order; a process event carries the process's intent; a restart resumes
// after the last delivery; a rewind recorded while the follower was down restarts at its seq; a
// disabled endpoint gets nothing more; a deliverer that cannot deliver holds that endpoint only.

#include <gtest/gtest.h>

#include <thread>

#include "actors/webhook_feed.hpp"
#include "domain/process.hpp"
#include "domain/subscription.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

using domain::webhook::delivery;
using domain::webhook::endpoint;

template <class Variant>
std::uint64_t append(eventstore::event_store& store, const std::string& stream, const Variant& event) {
  const auto encoded = domain::encode_event(event);
  auto r = store.append(stream, eventstore::expected_version::any(),
                        {eventstore::new_event{encoded.type, encoded.version, encoded.payload}}, "");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->last_seq : 0;
}

std::uint64_t activation(eventstore::event_store& store, const std::string& purchase) {
  return append(store, "subscription-5-9",
                domain::subscription::event{domain::subscription::activated{purchase, 1, 30, 0, 1'000'000}});
}

std::uint64_t webhook_event(eventstore::event_store& store, const domain::webhook::event& e) {
  return append(store, std::string(domain::webhook::stream_name), e);
}

struct recorder {
  std::mutex mutex;
  std::vector<std::pair<std::string, delivery>> seen;  // endpoint id, delivery
  std::atomic<bool> refuse_b{false};                   // endpoint wh_b cannot be reached

  actors::webhook_deliverer deliverer() {
    return [this](const endpoint& e, const delivery& d, const std::atomic<bool>& cancelled) {
      while (e.id == "wh_b" && refuse_b.load()) {
        if (cancelled.load()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::lock_guard lock(mutex);
      seen.emplace_back(e.id, d);
      return true;
    };
  }
  std::vector<std::uint64_t> seqs(const std::string& id) {
    std::lock_guard lock(mutex);
    std::vector<std::uint64_t> out;
    for (const auto& [who, d] : seen) {
      if (who == id) out.push_back(d.seq);
    }
    return out;
  }
  bool wait_for(const std::string& id, std::size_t count) {
    for (int i = 0; i < 400; ++i) {
      if (seqs(id).size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

class WebhookFeed : public ::testing::Test {
 protected:
  WebhookFeed() { open(); }
  void open() {
    eventstore::open_options options;
    options.directory = dir.path() / "eventlog";
    auto opened = eventstore::event_store::open(options);
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(opened.value());
  }
  std::unique_ptr<actors::webhook_feed> start_feed() {
    auto feed = actors::webhook_feed::start(*store, seen.deliverer(), actors::webhook_feed_options{std::chrono::milliseconds(20)});
    EXPECT_TRUE(feed) << feed.error().message;
    return feed ? std::move(feed.value()) : nullptr;
  }
  testing::temp_dir dir;
  std::unique_ptr<eventstore::event_store> store;
  recorder seen;
};

TEST_F(WebhookFeed, WantedTypesAfterRegistrationInOrderThenResumedRewoundAndDisabled) {
  const std::uint64_t before = activation(*store, "p-0");  // before the registration: not sent
  webhook_event(*store, domain::webhook::registered{"wh_a", "https://a.example/", {"subscription.activated",
                                                                                    "purchase.completed"}, 0, "op:x"});
  const std::uint64_t a1 = activation(*store, "p-1");
  append(*store, "subscription-5-9", domain::subscription::event{domain::subscription::expired{1'000'000}});  // unwanted
  append(*store, "process-purchase-p-2",
         domain::process::event{domain::process::started{"purchase", R"({"buyer":5,"price":"10"})"}});
  const std::uint64_t p2 = append(*store, "process-purchase-p-2", domain::process::event{domain::process::completed{"completed"}});
  {
    auto feed = start_feed();
    ASSERT_TRUE(seen.wait_for("wh_a", 2));
    EXPECT_EQ(seen.seqs("wh_a"), (std::vector<std::uint64_t>{a1, p2}));
    {
      std::lock_guard lock(seen.mutex);
      EXPECT_EQ(seen.seen[1].second.type, "purchase.completed");
      EXPECT_NE(seen.seen[1].second.body.find(R"("data":{"id":"p-2","intent":{"buyer":5,"price":"10"},)"
                                              R"("kind":"purchase","outcome":"completed"})"),
                std::string::npos)
          << seen.seen[1].second.body;
    }
    auto view = feed->endpoint("wh_a");
    ASSERT_TRUE(view);
    EXPECT_GE(view->position, p2);
    EXPECT_EQ(view->delivered, 2u);
    feed->stop();
  }
  EXPECT_LT(before, a1);

  // Down: a new event and a rewind to a1 are recorded; the restart sends from a1 again.
  const std::uint64_t a3 = activation(*store, "p-3");
  webhook_event(*store, domain::webhook::rewound{"wh_a", a1, "op:x"});
  {
    auto feed = start_feed();
    ASSERT_TRUE(seen.wait_for("wh_a", 5));
    EXPECT_EQ(seen.seqs("wh_a"), (std::vector<std::uint64_t>{a1, p2, a1, p2, a3}));
    feed->stop();
  }

  // Resumed after the last delivery: nothing again; a disabled endpoint gets nothing more.
  webhook_event(*store, domain::webhook::disabled{"wh_a", "retired", "op:x"});
  activation(*store, "p-4");
  {
    auto feed = start_feed();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(seen.seqs("wh_a").size(), 5u);
    auto view = feed->endpoint("wh_a");
    ASSERT_TRUE(view);
    EXPECT_FALSE(view->endpoint.enabled);
    EXPECT_EQ(view->endpoint.disabled_reason, "retired");
  }
}

TEST_F(WebhookFeed, AnEndpointThatCannotBeReachedHoldsOnlyItself) {
  seen.refuse_b.store(true);
  auto feed = start_feed();
  webhook_event(*store, domain::webhook::registered{"wh_a", "https://a.example/", {"subscription.activated"}, 1, "op:x"});
  webhook_event(*store, domain::webhook::registered{"wh_b", "https://b.example/", {"subscription.activated"}, 1, "op:x"});
  ASSERT_TRUE(feed->catch_up());
  const std::uint64_t first = activation(*store, "p-1");
  const std::uint64_t second = activation(*store, "p-2");
  ASSERT_TRUE(seen.wait_for("wh_a", 2));
  EXPECT_EQ(seen.seqs("wh_a"), (std::vector<std::uint64_t>{first, second}));
  EXPECT_TRUE(seen.seqs("wh_b").empty());
  for (int i = 0; i < 200 && feed->endpoint("wh_b")->in_flight != first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(feed->endpoint("wh_b")->in_flight, first);
  seen.refuse_b.store(false);
  ASSERT_TRUE(seen.wait_for("wh_b", 2));
  EXPECT_EQ(seen.seqs("wh_b"), (std::vector<std::uint64_t>{first, second}));
  feed->stop();  // with wh_b refusing again, stop() would cancel its retries: covered by the e2e test
}

}  // namespace
}  // namespace telepay
