// The purchase process manager: a subscription or donation paid from the buyer's wallet.

#include <memory>
#include <unordered_map>
#include <vector>

#include "actors/flows_common.hpp"

namespace telepay::actors {
namespace {

using domain::process::purchase_intent;
using domain::process::purchase_step;
using domain::process::refund_intent;
using domain::process::refund_step;

/// A refund of a completed purchase (process "refund-{purchase_id}").
struct refund_run {
  refund_intent intent;
  std::set<std::string> done;
  bool failure = false;
  bool platform_bears_commission = false;  // the referrer's debit was refused for lack of funds
  std::optional<error> failure_error;
  std::vector<caf::response_promise> promises;
  int attempts = 0;
  std::uint64_t last_seq = 0;
};

struct purchase_run {
  purchase_intent intent;
  std::set<std::string> done;
  bool failure = false;
  std::optional<error> failure_error;
  std::vector<caf::response_promise> promises;
  int attempts = 0;
  std::uint64_t last_seq = 0;
};

struct purchase_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  caf::actor payouts;
  std::unordered_map<std::string, purchase_run> runs;
  std::unordered_map<std::string, refund_run> refunds;  // by purchase id
};

using state_ptr = std::shared_ptr<purchase_state>;

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id);

std::string process_key(const std::string& id) { return "purchase-" + id; }

void deliver(std::vector<caf::response_promise>& promises, const result<process_reply>& outcome) {
  for (auto& promise : promises) {
    promise.deliver(outcome);
  }
}

/// Answers everyone waiting on run `id` of `runs` (purchases or refunds) and forgets it: the
/// run's failure (`what` failed, when it has no error of its own) or the process's outcome.
template <class Runs>
void finish_run(Runs& runs, const std::string& id, std::string_view kind, std::string_view outcome,
                const std::string& what) {
  auto found = runs.find(id);
  auto& run = found->second;
  if (run.failure) {
    deliver(run.promises,
            result<process_reply>(run.failure_error.value_or(make_error(errc::process_failed, what + " failed"))));
  } else {
    deliver(run.promises, result<process_reply>(process_reply{domain::process::correlation(kind, id),
                                                              std::string(outcome), run.last_seq}));
  }
  runs.erase(found);
}

void finish(const state_ptr& st, const std::string& id) {
  finish_run(st->runs, id, "purchase", "completed", "purchase " + id);
}

void on_reply(caf::event_based_actor* self, const state_ptr& st, const std::string& id,
              purchase_step done_step, result<entity_reply> r) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  purchase_run& run = found->second;
  if (r) {
    run.done.insert(std::string(domain::process::step_name(done_step)));
    run.attempts = 0;
    if (r->last_seq != 0) {
      run.last_seq = r->last_seq;
    }
    if (done_step == purchase_step::accrue) {
      self->send(st->payouts, accrued_atom::value, run.intent.channel, id);
    }
  } else if (is_transient(r.code())) {
    const std::string_view step_text = domain::process::step_name(done_step);
    if (!detail::retry_or_park(self, st->options, run.attempts, "purchase", id, step_text, r.error(),
                               detail::resend(self, process_resume{"purchase", id, run.intent.to_json(), run.done}))) {
      return;
    }
    run.failure = true;
    run.failure_error = detail::needs_attention("purchase", id, step_text, r.error());
    finish(st, id);
    return;
  } else if (done_step == purchase_step::hold || done_step == purchase_step::redeem_coupon ||
             done_step == purchase_step::activate) {
    run.failure = true;  // refused before any money moved to anyone: void and record
    run.failure_error = r.error();
  } else {
    // Refused after credits: the process cannot undo them by itself. Record it for operators.
    run.failure = true;
    run.failure_error = make_error(errc::process_failed,
                                   "purchase " + id + " step " +
                                       std::string(domain::process::step_name(done_step)) +
                                       " refused: " + r.error().message);
    run.done.insert("void");  // do not void a hold whose money was partly credited
  }
  step(self, st, id);
}

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  purchase_run& run = found->second;
  const purchase_intent& in = run.intent;
  const purchase_step next = domain::process::next_purchase_step(in, run.done, run.failure);
  if (next == purchase_step::done) {
    finish(st, id);
    return;
  }
  const std::int64_t now = detail::wall_clock_us();
  const command_meta meta = detail::meta_for("purchase", id, domain::process::step_name(next), now);
  auto after = [self, st, id, next](result<entity_reply> r) { on_reply(self, st, id, next, std::move(r)); };
  const auto buyer_wallet = domain::wallet_key{domain::wallet_owner::of(in.buyer), domain::asset::usdt};
  const domain::transfer_id tid(id);
  const std::string from = buyer_wallet.stream();
  const auto credit = [&](domain::wallet_key to, std::string suffix, domain::amount value,
                          std::string kind) {
    send_wallet(self, st->r, *st->asks, to,
                                domain::wallet::credit{domain::transfer_id(id + "." + suffix), value,
                                                       std::move(kind), from},
                                meta, after);
  };
  switch (next) {
    case purchase_step::hold:
      send_wallet(self, st->r, *st->asks, buyer_wallet,
                                  domain::wallet::hold{tid, in.paid, in.hold_expires_at_us,
                                                       domain::process::stream(process_key(id))},
                                  meta, after);
      return;
    case purchase_step::redeem_coupon:
      send_command<coupon_entity>(self, st->r.coupons, in.coupon,
                                  domain::coupon::redeem{in.buyer, in.channel, in.tier, in.list_price, id},
                                  meta, *st->asks, after);
      return;
    case purchase_step::activate:
      send_command<subscription_entity>(self, st->r.subscriptions,
                                        subscription_key{in.buyer, in.channel},
                                        domain::subscription::activate{id, in.tier, in.days}, meta,
                                        *st->asks, after);
      return;
    case purchase_step::credit_fee:
      credit({domain::wallet_owner::of(domain::system_account::platform_revenue), domain::asset::usdt},
             "fee", in.fee, "fee");
      return;
    case purchase_step::credit_referrer:
      credit({domain::wallet_owner::of(*in.referrer), domain::asset::usdt}, "ref", in.commission,
             "commission");
      return;
    case purchase_step::credit_channel:
      credit({domain::wallet_owner::of(in.channel), domain::asset::usdt}, "ch", in.channel_share,
             in.donation ? "donation" : "sale");
      return;
    case purchase_step::accrue:
      send_command<payout_entity>(self, st->r.payouts, in.channel,
                                  domain::payout::accrue{id, in.channel_share}, meta, *st->asks, after);
      return;
    case purchase_step::post:
      send_wallet(self, st->r, *st->asks, buyer_wallet,
                                  domain::wallet::post{tid}, meta, after);
      return;
    case purchase_step::void_hold:
      send_wallet(self, st->r, *st->asks, buyer_wallet,
                                  domain::wallet::void_hold{tid, "purchase_refused"}, meta,
                                  after);
      return;
    case purchase_step::complete:
      send_command<process_entity>(self, st->r.processes, process_key(id),
                                   domain::process::complete{"completed"}, meta, *st->asks, after);
      return;
    case purchase_step::fail: {
      const error why = run.failure_error.value_or(make_error(errc::process_failed, "failed"));
      send_command<process_entity>(self, st->r.processes, process_key(id),
                                   domain::process::fail{std::string(errc_name(why.code)), why.message},
                                   meta, *st->asks, after);
      return;
    }
    case purchase_step::done:
      return;
  }
}

void begin(caf::event_based_actor* self, const state_ptr& st, purchase_intent intent,
           std::set<std::string> done, std::optional<caf::response_promise> promise) {
  const std::string id = intent.purchase_id;
  if (auto running = st->runs.find(id); running != st->runs.end()) {
    if (promise) {
      running->second.promises.push_back(*promise);
    }
    return;
  }
  purchase_run run;
  run.intent = std::move(intent);
  run.done = std::move(done);
  if (promise) {
    run.promises.push_back(*promise);
  }
  st->runs.emplace(id, std::move(run));
  step(self, st, id);
}

/// The facts a purchase is priced from, gathered one query after another.
struct gathering {
  purchase_request request;
  caf::response_promise promise;
  /// Set for a quote: gets the priced intent (or the refusal) instead of starting it.
  std::function<void(result<purchase_intent>)> quoted;
  std::optional<domain::user::state> buyer;
  std::optional<domain::channel::state> channel;
  std::optional<domain::coupon::state> coupon;
  std::optional<domain::settings::state> settings;
  bool blacklisted = false;
};

void price_and_start(caf::event_based_actor* self, const state_ptr& st,
                     std::shared_ptr<gathering> g) {
  domain::process::purchase_facts facts;
  facts.buyer = &*g->buyer;
  facts.channel = &*g->channel;
  facts.coupon = g->coupon ? &*g->coupon : nullptr;
  facts.settings = &*g->settings;
  facts.buyer_blacklisted = g->blacklisted;
  facts.paid_by_invoice = g->request.paid_by_invoice;
  const purchase_request& req = g->request;
  auto intent = domain::process::price_purchase(req.purchase_id, facts, req.tier, req.donation_usd,
                                                req.now_us);
  if (g->quoted) {
    g->quoted(std::move(intent));
    return;
  }
  if (!intent) {
    g->promise.deliver(result<process_reply>(intent.error()));
    return;
  }
  const command_meta meta = detail::meta_for("purchase", req.purchase_id, "start", req.now_us);
  send_command<process_entity>(
      self, st->r.processes, process_key(req.purchase_id),
      domain::process::start{"purchase", intent->to_json()}, meta, *st->asks,
      [self, st, g, in = *intent](result<entity_reply> started) mutable {
        if (!started) {
          g->promise.deliver(result<process_reply>(started.error()));
          return;
        }
        begin(self, st, std::move(in), {}, g->promise);
      });
}

template <class T>
bool failed(const result<T>& r, gathering& g) {
  if (r) {
    return false;
  }
  if (g.quoted) {
    g.quoted(result<purchase_intent>(r.error()));
  } else {
    g.promise.deliver(result<process_reply>(r.error()));
  }
  return true;
}

void gather(caf::event_based_actor* self, const state_ptr& st, std::shared_ptr<gathering> g) {
  const auto& req = g->request;
  query_state<user_entity>(self, st->r.users, req.buyer, *st->asks,
    [self, st, g](result<domain::user::state> buyer) {
      if (failed(buyer, *g)) return;
      g->buyer = std::move(*buyer);
      query_state<channel_entity>(self, st->r.channels, g->request.channel, *st->asks,
        [self, st, g](result<domain::channel::state> channel) {
          if (failed(channel, *g)) return;
          g->channel = std::move(*channel);
          query_state<settings_entity>(self, st->r.settings, singleton_key{}, *st->asks,
            [self, st, g](result<domain::settings::state> settings) {
              if (failed(settings, *g)) return;
              g->settings = std::move(*settings);
              query_state<blacklist_entity>(self, st->r.blacklist, singleton_key{}, *st->asks,
                [self, st, g](result<domain::blacklist::state> blacklist) {
                  if (failed(blacklist, *g)) return;
                  g->blacklisted = blacklist->contains(domain::blacklist::kind::telegram_id,
                                                       std::to_string(g->request.buyer.value()));
                  if (g->request.coupon.empty()) {
                    price_and_start(self, st, g);
                    return;
                  }
                  auto code = domain::coupon::normalize_code(g->request.coupon);
                  if (failed(code, *g)) return;
                  query_state<coupon_entity>(self, st->r.coupons, *code, *st->asks,
                    [self, st, g](result<domain::coupon::state> coupon) {
                      if (failed(coupon, *g)) return;
                      g->coupon = std::move(*coupon);
                      price_and_start(self, st, g);
                    });
                });
            });
        });
    });
}


// ---- refunds ----

std::string refund_key(const std::string& id) { return "refund-" + id; }

void refund_next(caf::event_based_actor* self, const state_ptr& st, const std::string& id);

void refund_finish(const state_ptr& st, const std::string& id) {
  finish_run(st->refunds, id, "refund", "refunded", "refund of purchase " + id);
}

void refund_reply(caf::event_based_actor* self, const state_ptr& st, const std::string& id, refund_step done_step,
                  result<entity_reply> r) {
  auto found = st->refunds.find(id);
  if (found == st->refunds.end()) {
    return;
  }
  refund_run& run = found->second;
  const std::string_view step_text = domain::process::step_name(done_step);
  if (r) {
    run.done.insert(std::string(step_text));
    run.attempts = 0;
    if (r->last_seq != 0) {
      run.last_seq = r->last_seq;
    }
    if (done_step == refund_step::restore_accrual) {
      self->send(st->payouts, accrued_atom::value, run.intent.purchase.channel, id);
    }
  } else if (is_transient(r.code())) {
    if (!detail::retry_or_park(self, st->options, run.attempts, "refund", id, step_text, r.error(),
                               detail::resend(self, process_resume{"refund", id, run.intent.to_json(), run.done}))) {
      return;
    }
    run.failure = true;
    run.failure_error = detail::needs_attention("refund", id, step_text, r.error());
    refund_finish(st, id);
    return;
  } else if (done_step == refund_step::debit_referrer && r.code() == errc::insufficient_funds) {
    run.platform_bears_commission = true;  // the referrer spent it: the referral expense pays
  } else if (done_step == refund_step::complete || done_step == refund_step::fail) {
    run.failure = true;  // the process stream refused its own end: nothing more to try
    run.failure_error = r.error();
    refund_finish(st, id);
    return;
  } else if (done_step == refund_step::restore_accrual) {
    run.done.insert(std::string(step_text));  // recorded as the failure's reason below
    run.failure_error = make_error(errc::process_failed, "refund of purchase " + id +
                                                             ": the reversed accrual could not be restored: " +
                                                             r.error().message);
  } else if (done_step == refund_step::reverse_accrual) {
    run.failure = true;  // refused before anything moved (the share is in a payout batch)
    run.failure_error = r.error();
  } else {
    run.failure = true;
    const bool moved = run.done.contains("debit_channel") || run.done.contains("debit_fee") ||
                       run.done.contains("debit_referrer") || run.done.contains("debit_expense");
    run.failure_error = moved ? make_error(errc::process_failed, "refund of purchase " + id + " step " +
                                                                     std::string(step_text) + " refused: " +
                                                                     r.error().message)
                              : r.error();
  }
  refund_next(self, st, id);
}

void refund_next(caf::event_based_actor* self, const state_ptr& st, const std::string& id) {
  auto found = st->refunds.find(id);
  if (found == st->refunds.end()) {
    return;
  }
  refund_run& run = found->second;
  const refund_intent& in = run.intent;
  const purchase_intent& p = in.purchase;
  const refund_step next =
      domain::process::next_refund_step(in, run.done, run.failure, run.platform_bears_commission);
  if (next == refund_step::done) {
    refund_finish(st, id);
    return;
  }
  const command_meta meta =
      detail::meta_for("refund", id, domain::process::step_name(next), detail::wall_clock_us());
  auto after = [self, st, id, next](result<entity_reply> r) { refund_reply(self, st, id, next, std::move(r)); };
  const auto buyer_wallet = domain::wallet_key{domain::wallet_owner::of(p.buyer), domain::asset::usdt};
  const auto debit = [&](domain::wallet_key from, std::string_view suffix, domain::amount value) {
    send_wallet(self, st->r, *st->asks, from,
                domain::wallet::debit{domain::transfer_id(id + std::string(suffix)), value, "refund",
                                      buyer_wallet.stream()},
                meta, after);
  };
  const auto usdt_of = [](domain::wallet_owner owner) { return domain::wallet_key{owner, domain::asset::usdt}; };
  switch (next) {
    case refund_step::reverse_accrual:
      send_command<payout_entity>(self, st->r.payouts, p.channel, domain::payout::reverse_accrual{id, in.reason},
                                  meta, *st->asks, after);
      return;
    case refund_step::debit_channel:
      debit(usdt_of(domain::wallet_owner::of(p.channel)), ".rch", p.channel_share);
      return;
    case refund_step::debit_fee:
      debit(usdt_of(domain::wallet_owner::of(domain::system_account::platform_revenue)), ".rfee", p.fee);
      return;
    case refund_step::debit_referrer:
      debit(usdt_of(domain::wallet_owner::of(*p.referrer)), ".rref", p.commission);
      return;
    case refund_step::debit_expense:
      debit(usdt_of(domain::wallet_owner::of(domain::system_account::referral_expense)), ".rexp", p.commission);
      return;
    case refund_step::credit_buyer:
      send_wallet(self, st->r, *st->asks, buyer_wallet,
                  domain::wallet::credit{domain::transfer_id(id + ".rbuy"), p.paid, "refund",
                                         domain::process::stream(refund_key(id))},
                  meta, after);
      return;
    case refund_step::shorten:
      send_command<subscription_entity>(self, st->r.subscriptions, subscription_key{p.buyer, p.channel},
                                        domain::subscription::shorten{id, p.days, in.reason}, meta, *st->asks,
                                        after);
      return;
    case refund_step::restore_accrual:
      send_command<payout_entity>(self, st->r.payouts, p.channel,
                                  domain::payout::accrue{id + ".restored", p.channel_share}, meta, *st->asks, after);
      return;
    case refund_step::complete:
      send_command<process_entity>(self, st->r.processes, refund_key(id), domain::process::complete{"refunded"},
                                   meta, *st->asks, after);
      return;
    case refund_step::fail: {
      const error why = run.failure_error.value_or(make_error(errc::process_failed, "failed"));
      send_command<process_entity>(self, st->r.processes, refund_key(id),
                                   domain::process::fail{std::string(errc_name(why.code)), why.message}, meta,
                                   *st->asks, after);
      return;
    }
    case refund_step::done:
      return;
  }
}

void refund_begin(caf::event_based_actor* self, const state_ptr& st, refund_intent intent, std::set<std::string> done,
                  std::optional<caf::response_promise> promise) {
  const std::string id = intent.purchase.purchase_id;
  if (auto running = st->refunds.find(id); running != st->refunds.end()) {
    if (promise) running->second.promises.push_back(*promise);
    return;
  }
  refund_run run;
  run.intent = std::move(intent);
  run.done = std::move(done);
  // Resumed after the platform took the commission: never ask the referrer as well.
  run.platform_bears_commission = run.done.contains("debit_expense");
  if (promise) run.promises.push_back(*promise);
  st->refunds.emplace(id, std::move(run));
  refund_next(self, st, id);
}

/// A refund request: a refund already recorded answers with its outcome (once per purchase);
/// a new one is priced from the purchase's own intent and started.
void refund(caf::event_based_actor* self, const state_ptr& st, refund_request req, caf::response_promise promise) {
  const std::string id = req.purchase_id;
  query_state<process_entity>(
      self, st->r.processes, refund_key(id), *st->asks,
      [self, st, req = std::move(req), promise](result<domain::process::state> existing) mutable {
        if (!existing) {
          promise.deliver(result<process_reply>(existing.error()));
          return;
        }
        const std::string pid = req.purchase_id;  // a copy: req moves into the next query's handler
        if (existing->is_started) {
          if (auto running = st->refunds.find(pid); running != st->refunds.end()) {
            running->second.promises.push_back(promise);
            return;
          }
          if (existing->is_completed) {
            promise.deliver(result<process_reply>(
                process_reply{domain::process::correlation("refund", pid), "refunded", 0}));
          } else if (existing->is_failed) {
            promise.deliver(result<process_reply>(make_error(
                errc::refund_refused, "the refund of purchase " + pid + " failed: " + existing->failure_reason)));
          } else {
            // Started, not running here: parked after repeated transient failures. Its steps
            // done are in the log; the operator's retry resumes it from them.
            promise.deliver(result<process_reply>(make_error(
                errc::refund_refused, "the refund of purchase " + pid +
                                          " is parked as needing attention: POST /v1/admin/processes/refund/" + pid +
                                          "/retry resumes it")));
          }
          return;
        }
        query_state<process_entity>(
            self, st->r.processes, process_key(pid), *st->asks,
            [self, st, req = std::move(req), promise](result<domain::process::state> purchase) mutable {
              if (!purchase) {
                promise.deliver(result<process_reply>(purchase.error()));
                return;
              }
              auto intent = domain::process::price_refund(*purchase, req.by, req.reason);
              if (!intent) {
                promise.deliver(result<process_reply>(intent.error()));
                return;
              }
              // Refused before the process starts when a payout batch holds the share, so the
              // refund can be asked again once that batch is cancelled. (The process's first
              // step checks it again: a batch made in between fails the refund.)
              const domain::channel_id channel = intent->purchase.channel;
              query_state<payout_entity>(
                  self, st->r.payouts, channel, *st->asks,
                  [self, st, req = std::move(req), promise, in = std::move(*intent)](
                      result<domain::payout::state> payouts) mutable {
                    if (!payouts) {
                      promise.deliver(result<process_reply>(payouts.error()));
                      return;
                    }
                    const std::string refund_id = req.purchase_id;
                    if (!in.purchase.channel_share.is_zero()) {
                      if (auto reversible = domain::payout::check_reversible(*payouts, refund_id); !reversible) {
                        promise.deliver(result<process_reply>(reversible.error()));
                        return;
                      }
                    }
                    if (st->refunds.contains(refund_id)) {  // a second request raced this one
                      st->refunds.at(refund_id).promises.push_back(promise);
                      return;
                    }
                    const command_meta meta = detail::meta_for("refund", refund_id, "start", req.now_us);
                    send_command<process_entity>(
                        self, st->r.processes, refund_key(refund_id), domain::process::start{"refund", in.to_json()}, meta,
                        *st->asks, [self, st, promise, in](result<entity_reply> started) mutable {
                          if (!started) {
                            promise.deliver(result<process_reply>(started.error()));
                            return;
                          }
                          refund_begin(self, st, std::move(in), {}, promise);
                        });
                  });
            });
      });
}

}  // namespace

caf::behavior purchase_manager(caf::event_based_actor* self, routes r, flow_options options,
                               caf::actor payouts) {
  auto st = std::make_shared<purchase_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  st->payouts = std::move(payouts);
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](purchase_request& req) {
        auto promise = self->make_response_promise();
        if (!domain::is_token(req.purchase_id, domain::transfer_id_bytes_max)) {
          promise.deliver(result<process_reply>(
              make_error(errc::invalid_argument, "purchase id must be a 1-64 character token")));
          return;
        }
        if (auto running = st->runs.find(req.purchase_id); running != st->runs.end()) {
          if (auto same = domain::process::check_same_purchase(running->second.intent, req.buyer, req.channel,
                                                               req.tier, req.donation_usd, req.coupon);
              !same) {
            promise.deliver(result<process_reply>(same.error()));
            return;
          }
          running->second.promises.push_back(promise);
          return;
        }
        // A purchase id seen before keeps its first intent and outcome: never price it twice.
        auto g = std::make_shared<gathering>(gathering{std::move(req), promise, {}, {}, {}, {}, {}, false});
        query_state<process_entity>(
            self, st->r.processes, process_key(g->request.purchase_id), *st->asks,
            [self, st, g](result<domain::process::state> existing) {
              if (failed(existing, *g)) return;
              if (!existing->is_started) {
                gather(self, st, g);
                return;
              }
              auto intent = purchase_intent::from_json(existing->intent);
              if (failed(intent, *g)) return;
              // The same id for something else is no retry: refused, not answered with the
              // first purchase's outcome.
              const auto& asked = g->request;
              if (auto same = domain::process::check_same_purchase(*intent, asked.buyer, asked.channel, asked.tier,
                                                                   asked.donation_usd, asked.coupon);
                  !same) {
                g->promise.deliver(result<process_reply>(same.error()));
                return;
              }
              if (existing->is_failed) {
                g->promise.deliver(result<process_reply>(make_error(
                    errc::process_failed, "purchase " + g->request.purchase_id + " failed earlier: " +
                                              existing->failure_reason)));
                return;
              }
              std::set<std::string> done;
              if (existing->is_completed) {
                done.insert("complete");
              }
              begin(self, st, std::move(*intent), std::move(done), g->promise);
            });
      },
      [self, st](quote_atom, purchase_request& req) {
        // Prices without starting anything (an invoice is priced like the purchase it pays).
        auto promise = self->make_response_promise();
        auto g = std::make_shared<gathering>(gathering{std::move(req), promise, {}, {}, {}, {}, {}, false});
        g->quoted = [promise](result<purchase_intent> priced) mutable { promise.deliver(std::move(priced)); };
        gather(self, st, g);
      },
      [self, st](refund_request& req) {
        auto promise = self->make_response_promise();
        if (!domain::is_token(req.purchase_id, domain::transfer_id_bytes_max)) {
          promise.deliver(result<process_reply>(
              make_error(errc::invalid_argument, "purchase id must be a 1-64 character token")));
          return;
        }
        refund(self, st, std::move(req), promise);
      },
      [self, st](resume_atom, process_resume& resume) {
        if (resume.kind == "refund") {
          auto refund_in = refund_intent::from_json(resume.intent);
          if (refund_in) refund_begin(self, st, std::move(*refund_in), std::move(resume.done), std::nullopt);
          return;  // undecodable intent: recovery already logged it
        }
        auto intent = purchase_intent::from_json(resume.intent);
        if (!intent) {
          return;  // undecodable intent: recovery already logged it
        }
        begin(self, st, std::move(*intent), std::move(resume.done), std::nullopt);
      },
      [self, st](step_atom, const std::string& id) { step(self, st, id); },
  };
}

}  // namespace telepay::actors
