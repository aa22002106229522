// The transfer process manager: hold the source, credit the target, post (or void).

#include <memory>
#include <unordered_map>
#include <vector>

#include "actors/flows_common.hpp"

namespace telepay::actors {
namespace {

using domain::process::transfer_step;

struct transfer_run {
  transfer_resume t;
  bool failure = false;
  std::optional<error> failure_error;
  std::vector<caf::response_promise> promises;
  int attempts = 0;
  std::uint64_t last_seq = 0;
};

struct transfer_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  std::unordered_map<std::string, transfer_run> runs;
};

using state_ptr = std::shared_ptr<transfer_state>;

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id);

void finish(const state_ptr& st, const std::string& id) {
  auto found = st->runs.find(id);
  transfer_run& run = found->second;
  for (auto& promise : run.promises) {
    if (run.failure) {
      promise.deliver(result<process_reply>(run.failure_error.value_or(
          make_error(errc::process_failed, "transfer " + id + " failed"))));
    } else {
      promise.deliver(result<process_reply>(
          process_reply{domain::process::correlation("transfer", id), "completed", run.last_seq}));
    }
  }
  st->runs.erase(found);
}

void on_reply(caf::event_based_actor* self, const state_ptr& st, const std::string& id,
              transfer_step done_step, result<entity_reply> r) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  transfer_run& run = found->second;
  if (r) {
    run.t.done.insert(std::string(domain::process::step_name(done_step)));
    run.attempts = 0;
    if (r->last_seq != 0) {
      run.last_seq = r->last_seq;
    }
  } else if (is_transient(r.code())) {
    const std::string_view step_text = domain::process::step_name(done_step);
    if (!detail::retry_or_park(self, st->options, run.attempts, "transfer", id, step_text, r.error(),
                               detail::resend(self, run.t))) {
      return;
    }
    run.failure = true;
    run.failure_error = detail::needs_attention("transfer", id, step_text, r.error());
    finish(st, id);
    return;
  } else if (done_step == transfer_step::hold || done_step == transfer_step::credit) {
    run.failure = true;  // refused: nothing moved yet (hold) or the hold is voided next (credit)
    run.failure_error = r.error();
  } else {
    // A post or void refused means the hold is gone: nothing left that this process can do.
    run.failure = true;
    run.failure_error = make_error(errc::process_failed, "transfer " + id + ": " +
                                                             std::string(domain::process::step_name(done_step)) +
                                                             " refused: " + r.error().message);
    run.t.done.insert("void");
  }
  step(self, st, id);
}

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) {
    return;
  }
  transfer_run& run = found->second;
  const transfer_step next = domain::process::next_transfer_step(run.t.done, run.failure);
  if (next == transfer_step::done) {
    finish(st, id);
    return;
  }
  const command_meta meta =
      detail::meta_for("transfer", id, domain::process::step_name(next), detail::wall_clock_us());
  auto after = [self, st, id, next](result<entity_reply> r) { on_reply(self, st, id, next, std::move(r)); };
  const domain::transfer_id tid(id);
  switch (next) {
    case transfer_step::hold:
      send_wallet(self, st->r, *st->asks, run.t.from,
                                  domain::wallet::hold{tid, run.t.value, run.t.expires_at_us,
                                                       run.t.to.stream()},
                                  meta, after);
      return;
    case transfer_step::credit:
      send_wallet(self, st->r, *st->asks, run.t.to,
                                  domain::wallet::credit{tid, run.t.value, "transfer",
                                                         run.t.from.stream()},
                                  meta, after);
      return;
    case transfer_step::post:
      send_wallet(self, st->r, *st->asks, run.t.from,
                                  domain::wallet::post{tid}, meta, after);
      return;
    case transfer_step::void_hold:
      send_wallet(self, st->r, *st->asks, run.t.from,
                                  domain::wallet::void_hold{tid, "credit_refused"}, meta, after);
      return;
    case transfer_step::done:
      return;
  }
}

status validate(const transfer_request& req) {
  if (!domain::make_transfer_id(req.transfer_id)) {
    return make_error(errc::transfer_id_invalid,
                      "transfer id must be 1-64 characters of A-Z a-z 0-9 _ . : -");
  }
  if (req.from == req.to) {
    return make_error(errc::invalid_argument, "a transfer needs two different wallets");
  }
  if (req.from.currency != req.to.currency || req.value.currency() != req.from.currency) {
    return make_error(errc::asset_mismatch, "both wallets and the amount must be one asset");
  }
  if (req.value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "amount must be greater than zero");
  }
  return {};
}

}  // namespace

caf::behavior transfer_manager(caf::event_based_actor* self, routes r, flow_options options) {
  auto st = std::make_shared<transfer_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](transfer_request& req) {
        auto promise = self->make_response_promise();
        if (auto valid = validate(req); !valid) {
          promise.deliver(result<process_reply>(valid.error()));
          return;
        }
        if (auto running = st->runs.find(req.transfer_id); running != st->runs.end()) {
          running->second.promises.push_back(promise);  // the same transfer is in flight
          return;
        }
        transfer_run run;
        run.t.id = req.transfer_id;
        run.t.from = req.from;
        run.t.to = req.to;
        run.t.value = req.value;
        run.t.expires_at_us =
            req.now_us + std::chrono::duration_cast<std::chrono::microseconds>(st->options.transfer_hold).count();
        run.promises.push_back(promise);
        const std::string id = req.transfer_id;
        st->runs.emplace(id, std::move(run));
        step(self, st, id);
      },
      [self, st](resume_atom, transfer_resume& t) {
        const std::string id = t.id;
        if (st->runs.contains(id)) {
          return;
        }
        transfer_run run;
        run.t = std::move(t);
        st->runs.emplace(id, std::move(run));
        step(self, st, id);
      },
      [self, st](step_atom, const std::string& id) { step(self, st, id); },
  };
}

}  // namespace telepay::actors
