// The deposit process manager: external money credited to a user, then the referral commission.

#include <memory>
#include <unordered_map>
#include <vector>

#include "actors/flows_common.hpp"

namespace telepay::actors {
namespace {

using domain::process::deposit_intent;
using domain::process::deposit_step;

struct deposit_run {
  deposit_intent intent;
  std::set<std::string> done;
  bool failure = false;
  std::optional<error> failure_error;
  std::vector<caf::response_promise> promises;
  int attempts = 0;
  std::uint64_t last_seq = 0;
};

struct deposit_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  std::unordered_map<std::string, deposit_run> runs;
};

using state_ptr = std::shared_ptr<deposit_state>;

std::string process_key(const std::string& id) { return "deposit-" + id; }

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id);

void finish(const state_ptr& st, const std::string& id) {
  auto found = st->runs.find(id);
  deposit_run& run = found->second;
  for (auto& promise : run.promises) {
    if (run.failure) {
      promise.deliver(result<process_reply>(run.failure_error.value_or(
          make_error(errc::process_failed, "deposit " + id + " failed"))));
    } else {
      promise.deliver(result<process_reply>(
          process_reply{domain::process::correlation("deposit", id), "completed", run.last_seq}));
    }
  }
  st->runs.erase(found);
}

void on_reply(caf::event_based_actor* self, const state_ptr& st, const std::string& id,
              deposit_step done_step, result<entity_reply> r) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  deposit_run& run = found->second;
  if (r) {
    run.done.insert(std::string(domain::process::step_name(done_step)));
    run.attempts = 0;
    if (r->last_seq != 0) {
      run.last_seq = r->last_seq;
    }
  } else if (is_transient(r.code())) {
    const std::string_view step_text = domain::process::step_name(done_step);
    if (!detail::retry_or_park(self, st->options, run.attempts, "deposit", id, step_text, r.error(),
                               detail::resend(self, process_resume{"deposit", id, run.intent.to_json(), run.done}))) {
      return;
    }
    run.failure = true;
    run.failure_error = detail::needs_attention("deposit", id, step_text, r.error());
    finish(st, id);
    return;
  } else {
    // Credits to a user and debits of clearing accounts are only refused for overflow or
    // malformed input: record the failure for an operator.
    run.failure = true;
    run.failure_error = make_error(errc::process_failed,
                                   "deposit " + id + " step " +
                                       std::string(domain::process::step_name(done_step)) +
                                       " refused: " + r.error().message);
  }
  step(self, st, id);
}

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  deposit_run& run = found->second;
  const deposit_intent& in = run.intent;
  const deposit_step next = domain::process::next_deposit_step(in, run.done, run.failure);
  if (next == deposit_step::done) {
    finish(st, id);
    return;
  }
  const command_meta meta = detail::meta_for("deposit", id, domain::process::step_name(next),
                                             detail::wall_clock_us());
  auto after = [self, st, id, next](result<entity_reply> r) { on_reply(self, st, id, next, std::move(r)); };
  const auto user_wallet = domain::wallet_key{domain::wallet_owner::of(in.user), domain::asset::usdt};
  const auto source = domain::wallet_key{domain::wallet_owner::of(in.source), domain::asset::usdt};
  const auto expense = domain::wallet_key{
      domain::wallet_owner::of(domain::system_account::referral_expense), domain::asset::usdt};
  switch (next) {
    case deposit_step::credit_user:
      send_wallet(self, st->r, *st->asks, user_wallet,
                                  domain::wallet::credit{domain::transfer_id(id), in.value, "deposit",
                                                         source.stream()},
                                  meta, after);
      return;
    case deposit_step::debit_source:
      send_wallet(self, st->r, *st->asks, source,
                                  domain::wallet::debit{domain::transfer_id(id), in.value, "deposit",
                                                        user_wallet.stream()},
                                  meta, after);
      return;
    case deposit_step::debit_expense:
      send_wallet(self, st->r, *st->asks, expense,
                                  domain::wallet::debit{domain::transfer_id(id + ".ref"),
                                                        in.commission, "commission",
                                                        user_wallet.stream()},
                                  meta, after);
      return;
    case deposit_step::credit_referrer: {
      const auto referrer =
          domain::wallet_key{domain::wallet_owner::of(*in.referrer), domain::asset::usdt};
      send_wallet(self, st->r, *st->asks, referrer,
                                  domain::wallet::credit{domain::transfer_id(id + ".ref"),
                                                         in.commission, "commission",
                                                         expense.stream()},
                                  meta, after);
      return;
    }
    case deposit_step::complete:
      send_command<process_entity>(self, st->r.processes, process_key(id),
                                   domain::process::complete{"completed"}, meta, *st->asks, after);
      return;
    case deposit_step::fail: {
      const error why = run.failure_error.value_or(make_error(errc::process_failed, "failed"));
      send_command<process_entity>(self, st->r.processes, process_key(id),
                                   domain::process::fail{std::string(errc_name(why.code)), why.message},
                                   meta, *st->asks, after);
      return;
    }
    case deposit_step::done:
      return;
  }
}

void begin(caf::event_based_actor* self, const state_ptr& st, deposit_intent intent,
           std::set<std::string> done, std::optional<caf::response_promise> promise) {
  const std::string id = intent.deposit_id;
  if (auto running = st->runs.find(id); running != st->runs.end()) {
    if (promise) {
      running->second.promises.push_back(*promise);
    }
    return;
  }
  deposit_run run;
  run.intent = std::move(intent);
  run.done = std::move(done);
  if (promise) {
    run.promises.push_back(*promise);
  }
  st->runs.emplace(id, std::move(run));
  step(self, st, id);
}

}  // namespace

caf::behavior deposit_manager(caf::event_based_actor* self, routes r, flow_options options) {
  auto st = std::make_shared<deposit_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](deposit_request& req) {
        auto promise = self->make_response_promise();
        if (!domain::is_token(req.deposit_id, domain::transfer_id_bytes_max)) {
          promise.deliver(result<process_reply>(
              make_error(errc::invalid_argument, "deposit id must be a 1-64 character token")));
          return;
        }
        if (auto running = st->runs.find(req.deposit_id); running != st->runs.end()) {
          running->second.promises.push_back(promise);
          return;
        }
        auto request = std::make_shared<deposit_request>(std::move(req));
        query_state<process_entity>(self, st->r.processes, process_key(request->deposit_id), *st->asks,
          [self, st, request, promise](result<domain::process::state> existing) mutable {
            if (!existing) {
              promise.deliver(result<process_reply>(existing.error()));
              return;
            }
            if (existing->is_started) {
              if (existing->is_failed) {
                promise.deliver(result<process_reply>(make_error(
                    errc::process_failed, "deposit " + request->deposit_id + " failed earlier: " +
                                              existing->failure_reason)));
                return;
              }
              auto intent = deposit_intent::from_json(existing->intent);
              if (!intent) {
                promise.deliver(result<process_reply>(intent.error()));
                return;
              }
              std::set<std::string> done;
              if (existing->is_completed) done.insert("complete");
              begin(self, st, std::move(*intent), std::move(done), promise);
              return;
            }
            query_state<user_entity>(self, st->r.users, request->user, *st->asks,
              [self, st, request, promise](result<domain::user::state> user) mutable {
                if (!user) {
                  promise.deliver(result<process_reply>(user.error()));
                  return;
                }
                query_state<settings_entity>(self, st->r.settings, singleton_key{}, *st->asks,
                  [self, st, request, promise, user = std::move(*user)](
                      result<domain::settings::state> settings) mutable {
                    if (!settings) {
                      promise.deliver(result<process_reply>(settings.error()));
                      return;
                    }
                    query_state<blacklist_entity>(self, st->r.blacklist, singleton_key{}, *st->asks,
                      [self, st, request, promise, user, settings = std::move(*settings)](
                          result<domain::blacklist::state> blacklist) mutable {
                        if (!blacklist) {
                          promise.deliver(result<process_reply>(blacklist.error()));
                          return;
                        }
                        const bool listed = blacklist->contains(
                            domain::blacklist::kind::telegram_id, std::to_string(request->user.value()));
                        auto intent = domain::process::price_deposit(
                            request->deposit_id, user, listed, request->value, request->source,
                            request->external_ref, settings, request->with_commission);
                        if (!intent) {
                          promise.deliver(result<process_reply>(intent.error()));
                          return;
                        }
                        const command_meta meta = detail::meta_for("deposit", request->deposit_id,
                                                                   "start", request->now_us);
                        send_command<process_entity>(
                            self, st->r.processes, process_key(request->deposit_id),
                            domain::process::start{"deposit", intent->to_json()}, meta, *st->asks,
                            [self, st, promise, in = *intent](result<entity_reply> started) mutable {
                              if (!started) {
                                promise.deliver(result<process_reply>(started.error()));
                                return;
                              }
                              begin(self, st, std::move(in), {}, promise);
                            });
                      });
                  });
              });
          });
      },
      [self, st](resume_atom, process_resume& resume) {
        auto intent = deposit_intent::from_json(resume.intent);
        if (!intent) {
          return;
        }
        begin(self, st, std::move(*intent), std::move(resume.done), std::nullopt);
      },
      [self, st](step_atom, const std::string& id) { step(self, st, id); },
  };
}

}  // namespace telepay::actors
