// Goal: the ledger's invariants hold for any sequence of commands: per asset all wallets sum to
// zero once processes settle, no wallet is negative, replaying the log reproduces every wallet
// actor's state, and a repeated command changes nothing.
// Method: seeded random command streams (deposits, transfers, purchases, donations, some
// refused, some concurrent, some exact repeats of earlier ones) against a real ledger; the seed
// is printed and TELEPAY_PROPERTY_SEED replays a failing run.

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <thread>
#include <variant>

#include "tests/support/ledger_audit.hpp"
#include "tests/support/ledger_fixture.hpp"

namespace telepay::actors {
namespace {

using namespace domain;
using testing::test_now_us;

const std::string address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
constexpr std::int64_t channel = -1001;
constexpr int users = 8;

using request = std::variant<deposit_request, transfer_request, purchase_request>;

wallet_key user_wallet(std::int64_t id) { return {wallet_owner::of(user_id(id)), asset::usdt}; }

amount random_usdt(std::mt19937_64& rng, int max_cents) {
  std::uniform_int_distribution<int> cents(1, max_cents);
  return amount(asset::usdt, static_cast<u128>(cents(rng)) * pow10_u128(16));
}

request random_request(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<std::int64_t> user(1, users);
  const std::string id = "op" + std::to_string(n);
  const int k = kind(rng);
  if (k < 3) {
    return deposit_request{id, user_id(user(rng)), random_usdt(rng, 5000),
                           system_account::nowpayments_clearing, "np:" + id, test_now_us()};
  }
  if (k < 7) {
    const auto from = user(rng);
    auto to = user(rng);
    if (to == from) to = from % users + 1;
    return transfer_request{id, user_wallet(from), user_wallet(to), random_usdt(rng, 4000), test_now_us()};
  }
  std::uniform_int_distribution<int> tier(0, 2);
  const int t = tier(rng);
  return purchase_request{id, user_id(user(rng)), channel_id(channel), static_cast<std::uint32_t>(t),
                          t == 0 ? *parse_amount("5.5", asset::usd) : amount(asset::usd, 0), "", test_now_us()};
}

class LedgerProperty : public ::testing::Test {
 protected:
  testing::ledger_fixture fx{testing::with_hot_wallet()};  // so that payouts are batched and held

  result<process_reply> send(const request& r) {
    return std::visit([&](const auto& req) { return fx.call<process_reply>(req); }, r);
  }

  std::map<std::string, std::string> balances() {
    std::map<std::string, std::string> out;
    for (const auto& [stream, w] : testing::fold_wallets(fx.store()).wallets) {
      auto live = fx.call<wallet::state>(wallet_query{w.key});
      out[stream] = live ? live->balance_text() : "error";
    }
    return out;
  }

  void setup_world() {
    for (int u = 1; u <= users; ++u) {
      auto code = u > 1 ? referral_code_for(user_id(u - 1)) : std::string();
      ASSERT_TRUE(fx.call<entity_reply>(register_user_request{user_id(u), "u", code, test_now_us()}).has_value());
    }
    channel::register_channel c;
    c.owner = user_id(1);
    c.title = "C";
    c.tiers = {channel::tier{*parse_amount("3", asset::usd), 30}, channel::tier{*parse_amount("7.77", asset::usd), 90}};
    c.donations_enabled = true;
    c.strategy = channel::payout_strategy::threshold;
    c.threshold = *parse_amount("20", asset::usd);
    c.payout_address = address;
    ASSERT_TRUE(fx.call<entity_reply>(channel_request{channel_id(channel), c, test_now_us()}).has_value());
  }
};

TEST_F(LedgerProperty, InvariantsHoldForRandomCommandStreams) {
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("TELEPAY_PROPERTY_SEED")) {
    seed = std::strtoull(fixed, nullptr, 10);
  }
  std::printf("property seed: %llu (TELEPAY_PROPERTY_SEED=%llu replays it)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  setup_world();
  std::vector<request> sent;
  int n = 0;
  for (int round = 0; round < 12; ++round) {
    // A concurrent burst of fresh commands.
    std::vector<request> burst;
    for (int i = 0; i < 8; ++i) {
      burst.push_back(random_request(rng, n++));
    }
    std::vector<std::thread> threads;
    std::vector<char> ok(burst.size(), 0);
    for (std::size_t i = 0; i < burst.size(); ++i) {
      threads.emplace_back([this, &burst, &ok, i] { ok[i] = send(burst[i]).has_value() ? 1 : 0; });
    }
    for (auto& t : threads) {
      t.join();
    }
    for (std::size_t i = 0; i < burst.size(); ++i) {
      if (ok[i]) {
        sent.push_back(burst[i]);  // a refused command wrote nothing; its id is free again
      }
    }
    if (sent.empty()) {
      continue;
    }
    // Repeating a command that succeeded changes nothing and succeeds again.
    std::uniform_int_distribution<std::size_t> pick(0, sent.size() - 1);
    const auto before = balances();
    for (int repeat = 0; repeat < 2; ++repeat) {
      auto again = send(sent[pick(rng)]);
      EXPECT_TRUE(again.has_value()) << again.error().message;
    }
    ASSERT_EQ(balances(), before) << "a repeated command moved money";
  }
  // Wait for payouts the purchases triggered to take their holds, then settle the chain side
  // of every batch so that no hold stays pending.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto payouts = fx.call<payout::state>(payout_query{channel_id(channel)});
  ASSERT_TRUE(payouts.has_value());
  for (const auto& [batch, b] : payouts->batches) {
    ASSERT_TRUE(fx.call<entity_reply>(payout_request{channel_id(channel), payout::mark_submitted{batch, "0x1"}, test_now_us()}).has_value());
    auto confirmed = fx.call<entity_reply>(payout_request{channel_id(channel), payout::mark_confirmed{batch}, test_now_us()});
    ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  }
  const auto fold = testing::fold_wallets(fx.store());
  EXPECT_EQ(testing::check_settled(fold), "");
  // Replaying the log gives each wallet actor's state exactly.
  for (const auto& [stream, folded] : fold.wallets) {
    auto live = fx.call<wallet::state>(wallet_query{folded.key});
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(*live, folded) << stream;
  }
  // And so does a restart (snapshots + tails).
  fx.reopen();
  for (const auto& [stream, folded] : fold.wallets) {
    auto live = fx.call<wallet::state>(wallet_query{folded.key});
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(*live, folded) << stream << " after restart";
  }
}

}  // namespace
}  // namespace telepay::actors
