// The withdrawal process manager: record the request, hold the user's wallet, wait for a second
// operator above the approval limit, ask the hot wallet to send; when the chain answers, post
// the hold and credit chain clearing (money left) or void it (money back). Each step's events
// carry correlation "withdrawal:{id}" and causation = the step, so recovery resumes it.

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "actors/flows_common.hpp"

namespace telepay::actors {

std::string next_withdrawal_step(domain::withdrawal::status_kind status, const std::set<std::string>& done,
                                 bool can_send) {
  using domain::withdrawal::status_kind;
  const auto has = [&](const char* step) { return done.contains(step); };
  switch (status) {
    case status_kind::none: return "";
    case status_kind::rejected:
    case status_kind::failed:
    case status_kind::cancelled:
      // Whether this run saw the hold or not (a run begun by a decision starts with only that
      // decision done): void it once; hold_not_found means nothing was held.
      return has("void") ? "" : "void";
    case status_kind::completed:
      if (!has("post")) return "post";
      if (!has("credit_clearing")) return "credit_clearing";
      return "";
    case status_kind::awaiting_approval: return has("hold") ? "" : "hold";
    case status_kind::approved:
      if (!has("hold")) return "hold";
      return can_send && !has("send") ? "send" : "";
  }
  return "";
}

namespace {

using withdrawal_promise = caf::response_promise;

struct withdrawal_run {
  std::set<std::string> done;
  int attempts = 0;
  bool busy = false;  // a state query or a step is in flight: its answer drives the next step
  std::vector<withdrawal_promise> waiting;
  std::optional<error> refusal;  // why the hold was refused, for the requester
};

struct withdrawal_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  std::unordered_map<std::string, withdrawal_run> runs;
  /// The last 24 hours of withdrawals, per user and per operator (the cumulative limits). This
  /// actor is their only reader and writer, so checking and counting a request is one step.
  domain::withdrawal::rolling_totals totals;
};

using state_ptr = std::shared_ptr<withdrawal_state>;

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id);

void answer(withdrawal_run& run, const result<domain::withdrawal::state>& outcome) {
  for (auto& promise : run.waiting) {
    promise.deliver(run.refusal ? result<domain::withdrawal::state>(*run.refusal) : outcome);
  }
  run.waiting.clear();
}

/// Runs `id`'s steps (adding to a run in progress), answering `promise` when it waits or ends.
void begin(caf::event_based_actor* self, const state_ptr& st, const std::string& id, std::set<std::string> done,
           std::optional<withdrawal_promise> promise) {
  auto& run = st->runs[id];
  run.done.insert(done.begin(), done.end());
  if (promise) run.waiting.push_back(*promise);
  step(self, st, id);
}

/// The wallet command of a money step.
domain::wallet::command wallet_command(const std::string& next, const domain::withdrawal::state& w,
                                       std::int64_t now_us, const flow_options& options) {
  const domain::transfer_id tid(domain::withdrawal::hold_id(w.id));
  if (next == "hold") {
    const std::int64_t expires =
        now_us + std::chrono::duration_cast<std::chrono::microseconds>(options.payout_hold).count();
    const auto clearing = domain::wallet_key{domain::wallet_owner::of(domain::system_account::chain_clearing),
                                             domain::asset::usdt};
    return domain::wallet::hold{tid, w.value, expires, clearing.stream()};
  }
  if (next == "post") return domain::wallet::post{tid};
  const char* reason = "withdrawal_failed";
  if (w.status == domain::withdrawal::status_kind::rejected) reason = "withdrawal_rejected";
  if (w.status == domain::withdrawal::status_kind::cancelled) reason = "withdrawal_cancelled";
  return domain::wallet::void_hold{tid, reason};
}

void run_step(caf::event_based_actor* self, const state_ptr& st, const std::string& id,
              const domain::withdrawal::state& w, const std::string& next) {
  const command_meta meta = detail::meta_for("withdrawal", id, next, detail::wall_clock_us());
  const auto user_wallet = domain::wallet_key{domain::wallet_owner::of(w.user), domain::asset::usdt};
  auto after = [self, st, id, next](result<entity_reply> r) {
    auto it = st->runs.find(id);
    if (it == st->runs.end()) return;
    it->second.busy = false;
    if (r || (next == "void" && r.code() == errc::hold_not_found)) {  // nothing held: nothing to void
      it->second.done.insert(next);
      it->second.attempts = 0;
      step(self, st, id);
      return;
    }
    if (is_transient(r.code())) {
      if (detail::retry_or_park(self, st->options, it->second.attempts, "withdrawal", id, next, r.error(),
                                detail::resend(self, withdrawal_resume{id, it->second.done}))) {
        answer(it->second, result<domain::withdrawal::state>(detail::needs_attention("withdrawal", id, next, r.error())));
        st->runs.erase(it);
      }
      return;
    }
    if (next == "hold") {
      // Not enough money (or the wallet refused): the withdrawal fails, nothing was held.
      st->totals.remove(id);
      it->second.refusal = r.error();
      const command_meta fail_meta = detail::meta_for("withdrawal", id, "fail", detail::wall_clock_us());
      it->second.busy = true;
      // The reason is for the user's and operators' eyes: no stream names or internal texts
      // (the requester already has the precise refusal).
      send_command<withdrawal_entity>(
          self, st->r.withdrawals, id,
          domain::withdrawal::fail{r.code() == errc::insufficient_funds ? "the balance was too low"
                                                                        : "the amount could not be held",
                                   "", /*nothing_held=*/true},
          fail_meta, *st->asks, [self, st, id](result<entity_reply>) {
            if (auto run = st->runs.find(id); run != st->runs.end()) run->second.busy = false;
            step(self, st, id);
          });
      return;
    }
    // Any other refusal is for an operator: answer with it and stop (a restart resumes).
    it->second.refusal = make_error(errc::process_failed,
                                    "withdrawal " + id + " step " + next + " refused: " + r.error().message);
    answer(it->second, result<domain::withdrawal::state>(*it->second.refusal));
    st->runs.erase(it);
  };
  if (next == "send") {
    send_command<chain_send_entity>(self, st->r.chain_sends, *st->options.sender,
                                    domain::chain_send::request{domain::chain_send::withdrawal_ref(id),
                                                                domain::chain_send::purpose::withdrawal,
                                                                detail::lower_address(w.address), w.value},
                                    meta, *st->asks, after);
  } else if (next == "credit_clearing") {
    const auto clearing = domain::wallet_key{domain::wallet_owner::of(domain::system_account::chain_clearing),
                                             domain::asset::usdt};
    send_wallet(self, st->r, *st->asks, clearing,
                domain::wallet::credit{domain::transfer_id(domain::withdrawal::hold_id(id)), w.value, "withdrawal",
                                       user_wallet.stream()},
                meta, after);
  } else {
    send_wallet(self, st->r, *st->asks, user_wallet, wallet_command(next, w, meta.now_us, st->options), meta, after);
  }
}

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& id) {
  auto run = st->runs.find(id);
  // One step at a time: a step in flight calls step() again when it is answered, so a run is
  // never dropped while a command of it may still change money.
  if (run == st->runs.end() || run->second.busy) return;
  run->second.busy = true;
  query_state<withdrawal_entity>(self, st->r.withdrawals, id, *st->asks,
    [self, st, id](result<domain::withdrawal::state> w) {
      auto it = st->runs.find(id);
      if (it == st->runs.end()) return;
      if (!w) {
        it->second.busy = false;
        if (is_transient(w.code())) {
          if (detail::retry_or_park(self, st->options, it->second.attempts, "withdrawal", id, "query", w.error(),
                                    detail::resend(self, withdrawal_resume{id, it->second.done}))) {
            answer(it->second,
                   result<domain::withdrawal::state>(detail::needs_attention("withdrawal", id, "query", w.error())));
            st->runs.erase(it);
          }
          return;
        }
        answer(it->second, w);
        st->runs.erase(it);
        return;
      }
      const std::string next = next_withdrawal_step(w->status, it->second.done, st->options.sender.has_value());
      if (next.empty()) {
        answer(it->second, w);
        st->runs.erase(it);
        return;
      }
      run_step(self, st, id, *w, next);  // stays busy until the step is answered
    });
}

/// Sends a command to the withdrawal entity, then runs the steps and answers with the state.
/// `counted_here`: this request was just counted in the 24-hour totals, so a refusal uncounts it.
void command_then_run(caf::event_based_actor* self, const state_ptr& st, const std::string& id,
                      domain::withdrawal::command command, const std::string& step_name, std::int64_t now_us,
                      withdrawal_promise promise, bool counted_here = false) {
  send_command<withdrawal_entity>(self, st->r.withdrawals, id, std::move(command),
                                  detail::meta_for("withdrawal", id, step_name, now_us), *st->asks,
    [self, st, id, step_name, promise, counted_here](result<entity_reply> r) mutable {
      if (!r) {
        if (counted_here) st->totals.remove(id);
        promise.deliver(result<domain::withdrawal::state>(r.error()));
        return;
      }
      if (step_name == "reject" || step_name == "fail") st->totals.remove(id);  // the money stays
      begin(self, st, id, {step_name}, promise);
    });
}

error not_sendable(const std::string& what) {
  return make_error(errc::chain_not_configured,
                    what + ": no chain gateway with a hot-wallet key is configured on this server, so nothing "
                           "would send it; nothing was held or decided");
}

/// Ends a cancel that recorded nothing: the run it marked busy is freed (and dropped when
/// nothing else waits on it).
void release(const state_ptr& st, const std::string& id) {
  auto run = st->runs.find(id);
  if (run == st->runs.end()) return;
  run->second.busy = false;
  if (run->second.waiting.empty()) st->runs.erase(run);
}

/// Cancels a withdrawal before its transaction is signed. Its run stays busy for the whole
/// cancel, so no step of it (a send) starts meanwhile. A send already queued on the hot wallet's
/// stream is abandoned first: that stream has one writer, so once abandoned it is never signed,
/// and once signed the abandon (and so the cancel) is refused. Then the cancel is recorded and
/// the run voids the hold.
void cancel(caf::event_based_actor* self, const state_ptr& st, const withdrawal_decision& req,
            withdrawal_promise promise) {
  const std::string id = req.id;
  auto& run = st->runs[id];
  if (run.busy) {
    promise.deliver(result<domain::withdrawal::state>(
        make_error(errc::overloaded, "withdrawal " + id + " has a step in progress; retry in a moment")));
    return;
  }
  run.busy = true;
  const domain::withdrawal::cancel command{req.by, req.reason};
  auto fail = [st, id, promise](const error& e) mutable {
    release(st, id);
    promise.deliver(result<domain::withdrawal::state>(e));
  };
  auto record = [self, st, id, command, now_us = req.now_us, promise, fail]() mutable {
    send_command<withdrawal_entity>(self, st->r.withdrawals, id, command,
                                    detail::meta_for("withdrawal", id, "cancel", now_us), *st->asks,
      [self, st, id, promise, fail](result<entity_reply> r) mutable {
        if (!r) {
          fail(r.error());
          return;
        }
        st->totals.remove(id);  // the money stays
        if (auto it = st->runs.find(id); it != st->runs.end()) it->second.busy = false;
        begin(self, st, id, {"cancel"}, promise);
      });
  };
  query_state<withdrawal_entity>(self, st->r.withdrawals, id, *st->asks,
    [self, st, id, command, now_us = req.now_us, fail, record](result<domain::withdrawal::state> w) mutable {
      if (!w) {
        fail(w.error());
        return;
      }
      // The entity's own rules first (exists, not final, the user's own), before the send is touched.
      auto decided = domain::withdrawal::decide(*w, command, now_us);
      if (!decided) {
        fail(decided.error());
        return;
      }
      if (decided->empty() || !st->options.sender) {
        record();  // already cancelled (the run finishes the void), or no send was ever asked for
        return;
      }
      detail::abandon_unsigned_send(self, st->r, *st->options.sender, domain::chain_send::withdrawal_ref(id),
                                    "withdrawal " + id, errc::withdrawal_state_invalid,
                                    "withdrawal cancelled by " + command.by,
                                    detail::meta_for("withdrawal", id, "abandon_send", now_us), st->asks, fail, record);
    });
}

}  // namespace

caf::behavior withdrawal_manager(caf::event_based_actor* self, routes r, flow_options options,
                                 std::vector<domain::withdrawal::counted> recent) {
  auto st = std::make_shared<withdrawal_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  for (auto& c : recent) {
    st->totals.add(std::move(c));
  }
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](withdrawal_request& req) {
        auto promise = self->make_response_promise();
        if (!domain::is_token(req.id, domain::withdrawal::id_bytes_max)) {
          promise.deliver(result<domain::withdrawal::state>(
              make_error(errc::invalid_argument, "a withdrawal id is 1-48 of A-Z a-z 0-9 _ . : -")));
          return;
        }
        if (!st->options.sender) {
          promise.deliver(result<domain::withdrawal::state>(not_sendable("withdrawal " + req.id + " refused")));
          return;
        }
        if (detail::lower_address(req.address) == st->options.sender->address) {
          promise.deliver(result<domain::withdrawal::state>(
              make_error(errc::payout_address_invalid, "that is the hot wallet's own address")));
          return;
        }
        query_state<blacklist_entity>(self, st->r.blacklist, singleton_key{}, *st->asks,
          [self, st, req, promise](result<domain::blacklist::state> blacklist) mutable {
            if (!blacklist) {
              promise.deliver(result<domain::withdrawal::state>(blacklist.error()));
              return;
            }
            if (blacklist->address_listed(req.address)) {
              promise.deliver(result<domain::withdrawal::state>(
                  make_error(errc::blacklisted, "the address " + utf8_prefix(req.address, 64) + " is blacklisted")));
              return;
            }
            query_state<settings_entity>(self, st->r.settings, singleton_key{}, *st->asks,
              [self, st, req, promise](result<domain::settings::state> settings) mutable {
                if (!settings) {
                  promise.deliver(result<domain::withdrawal::state>(settings.error()));
                  return;
                }
                // Checked and counted in one handler of this one actor: two requests cannot
                // both see the other's room under a limit.
                std::string reason;
                const bool counted_here = !st->totals.contains(req.id);
                if (counted_here) {
                  reason = st->totals.reason_for(req.user, req.by, req.value.units(), req.now_us,
                                                 settings->withdrawal_user_daily_usdt,
                                                 settings->withdrawal_operator_daily_usdt);
                  st->totals.add(domain::withdrawal::counted{req.id, req.user, req.by, req.value.units(), req.now_us});
                }
                domain::withdrawal::request request{req.user, req.value, req.address, req.by,
                                                    settings->withdrawal_approval_usdt, reason};
                request.minimum = settings->withdrawal_min_usdt;
                command_then_run(self, st, req.id, std::move(request), "request", req.now_us, promise, counted_here);
              });
          });
      },
      [self, st](withdrawal_decision& req) {
        auto promise = self->make_response_promise();
        switch (req.verdict) {
          case withdrawal_verdict::approve:
            if (!st->options.sender) {
              promise.deliver(result<domain::withdrawal::state>(not_sendable(
                  "withdrawal " + req.id + " not approved (cancel or reject it, or configure the hot wallet)")));
              return;
            }
            command_then_run(self, st, req.id, domain::withdrawal::approve{req.by}, "approve", req.now_us, promise);
            return;
          case withdrawal_verdict::reject:
            command_then_run(self, st, req.id, domain::withdrawal::reject{req.by, req.reason}, "reject", req.now_us,
                             promise);
            return;
          case withdrawal_verdict::cancel: cancel(self, st, req, promise); return;
        }
      },
      [self, st](withdrawal_outcome& req) {
        auto promise = self->make_response_promise();
        domain::withdrawal::command command = domain::withdrawal::complete{req.tx_hash};
        if (!req.success) {
          command = domain::withdrawal::fail{req.reason, req.tx_hash};
          st->totals.remove(req.id);  // the money comes back: it no longer counts
        }
        // The hold exists by now (the send was asked for only after it).
        send_command<withdrawal_entity>(self, st->r.withdrawals, req.id, std::move(command),
                                        detail::meta_for("withdrawal", req.id, req.success ? "complete" : "fail",
                                                         req.now_us),
                                        *st->asks,
          [self, st, id = req.id, promise](result<entity_reply> recorded) mutable {
            if (!recorded) {
              promise.deliver(result<domain::withdrawal::state>(recorded.error()));
              return;
            }
            begin(self, st, id, {"hold", "send"}, promise);
          });
      },
      [self, st](resume_atom, withdrawal_resume& resume) {
        begin(self, st, resume.id, std::move(resume.done), std::nullopt);
      },
      [self, st](step_atom, const std::string& id) { step(self, st, id); },
  };
}

}  // namespace telepay::actors
