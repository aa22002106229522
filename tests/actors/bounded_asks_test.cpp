// Goal: no wait inside the ledger is unbounded. A process whose entity never answers times the
// step out, retries it a bounded number of times and is parked as needing attention; a quote
// whose entity never answers is answered with request_timeout.
// Method: the real process managers in a real CAF actor system, routed to an actor that keeps
// every request and never answers (a wedged entity: a stalled disk under its appends looks the
// same from outside). Bounds shortened to milliseconds.

#include <gtest/gtest.h>

#include <chrono>

#include <caf/all.hpp>

#include "actors/flows.hpp"
#include "actors/runtime.hpp"

namespace telepay::actors {
namespace {

using namespace std::chrono_literals;
using namespace telepay::domain;

/// Takes every message and never answers (skipped messages stay in its mailbox). `name` is only
/// there because CAF 0.17 spawning a function without arguments binds a null tuple (UBSan).
caf::behavior silent_actor(caf::event_based_actor* self, const std::string& name) {
  (void)name;
  self->set_default_handler(caf::skip);
  return {[](tick_atom) {}};
}

struct wedged_ledger {
  runtime rt{runtime_options{}};
  caf::actor silent = rt.system().spawn(silent_actor, std::string("wedged entity"));
  routes r;
  flow_options options;

  wedged_ledger() {
    rt.keep(silent);
    r.wallets = {silent};
    for (caf::actor* reg : {&r.users, &r.channels, &r.subscriptions, &r.payouts, &r.coupons, &r.settings,
                            &r.blacklist, &r.processes, &r.tokens, &r.manual_deposits, &r.admin_logs, &r.invoices,
                            &r.notices, &r.conversations, &r.broadcasts, &r.chain_deposits, &r.chain_scans,
                            &r.chain_sends, &r.withdrawals}) {
      *reg = silent;
    }
    r.ask_bound = 50ms;
    options.retry_attempts_max = 2;
    options.retry_first = 1ms;
    options.retry_max = 5ms;
    options.attention = std::make_shared<attention_board>();
  }

  template <class Reply, class... Ts>
  result<Reply> call(const caf::actor& to, Ts&&... message) {
    caf::scoped_actor self{rt.system()};
    result<Reply> out = make_error(errc::internal, "no answer");
    self->request(to, 10s, std::forward<Ts>(message)...)
        .receive([&](result<Reply>& reply) { out = std::move(reply); },
                 [&](caf::error& e) {
                   out = make_error(errc::internal, "no answer within 10 s: " + caf::to_string(e));
                 });
    return out;
  }
};

TEST(BoundedAsks, ATransferWhoseWalletNeverAnswersIsParkedNotLeftWaiting) {
  wedged_ledger w;
  auto manager = w.rt.system().spawn(transfer_manager, w.r, w.options);
  w.rt.keep(manager);
  const wallet_key from{wallet_owner::of(user_id(7)), asset::usdt};
  const wallet_key to{wallet_owner::of(user_id(8)), asset::usdt};
  const auto started = std::chrono::steady_clock::now();
  auto r = w.call<process_reply>(manager, transfer_request{"t1", from, to, *parse_amount("1", asset::usdt), 1});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.code(), errc::process_failed) << r.error().message;
  EXPECT_NE(r.error().message.find("needs attention"), std::string::npos) << r.error().message;
  EXPECT_LT(took, 5s) << "three tries of 50-63 ms each";
  const auto parked = w.options.attention->list();
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].kind, "transfer");
  EXPECT_EQ(parked[0].id, "t1");
  EXPECT_EQ(parked[0].step, "hold");
  EXPECT_EQ(parked[0].attempts, 2);
  EXPECT_EQ(parked[0].last_error.code, errc::request_timeout) << parked[0].last_error.message;
}

TEST(BoundedAsks, AQuoteWhoseEntitiesNeverAnswerIsAnsweredWithATimeout) {
  wedged_ledger w;
  auto payouts = w.rt.system().spawn(payout_manager, w.r, w.options);
  auto manager = w.rt.system().spawn(purchase_manager, w.r, w.options, payouts);
  w.rt.keep(payouts);
  w.rt.keep(manager);
  purchase_request quote;
  quote.purchase_id = "p1";
  quote.buyer = user_id(7);
  quote.channel = channel_id(-1001);
  quote.tier = 1;
  auto r = w.call<process::purchase_intent>(manager, quote_atom::value, quote);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.code(), errc::request_timeout) << r.error().message;
}

}  // namespace
}  // namespace telepay::actors
