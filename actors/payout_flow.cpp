// The payout process manager: batch accruals when the channel's strategy says so, hold the
// channel's wallet for the batch, and settle the hold when the chain confirms or finally fails.

#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "actors/flows_common.hpp"
#include "domain/base/visit.hpp"

namespace telepay::actors {

std::string next_payout_step(const std::set<std::string>& done, bool can_send) {
  const auto has = [&](const char* step) { return done.contains(step); };
  // Failed finally (by the chain, or cancelled) before anything was held: nothing to undo.
  if (has("fail_final") && !has("hold")) return "";
  if (!has("hold")) return "hold";
  if (has("confirm")) {
    if (!has("post")) return "post";
    if (!has("credit_clearing")) return "credit_clearing";
    return "";
  }
  if (has("fail_final")) return has("void") ? "" : "void";
  if (can_send && !has("send")) return "send";
  return "";
}

namespace {

struct payout_run {
  payout_resume b;
  int attempts = 0;
  std::vector<std::pair<caf::response_promise, entity_reply>> waiting;  // replies after settling
};

struct payout_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  std::unordered_map<std::string, payout_run> runs;  // by batch id
  /// Batches an operator is cancelling: no step of theirs starts meanwhile (a send above all).
  std::set<std::string> cancelling;
};

using state_ptr = std::shared_ptr<payout_state>;

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& batch);

void settle_replies(payout_run& run) {
  for (auto& [promise, reply] : run.waiting) {
    promise.deliver(result<entity_reply>(reply));
  }
  run.waiting.clear();
}

void step(caf::event_based_actor* self, const state_ptr& st, const std::string& batch) {
  auto found = st->runs.find(batch);
  if (found == st->runs.end()) {
    return;
  }
  if (st->cancelling.contains(batch)) {
    return;  // the cancel goes on with this run when it has decided
  }
  payout_run& run = found->second;
  const std::string next = next_payout_step(run.b.done, st->options.sender.has_value());
  if (next.empty()) {
    settle_replies(run);
    st->runs.erase(found);
    return;
  }
  const command_meta meta = detail::meta_for("payout", batch, next, detail::wall_clock_us());
  const auto channel_wallet =
      domain::wallet_key{domain::wallet_owner::of(run.b.channel), domain::asset::usdt};
  const domain::transfer_id tid(batch);
  auto after = [self, st, batch, next](result<entity_reply> r) {
    auto it = st->runs.find(batch);
    if (it == st->runs.end()) {
      return;
    }
    if (r) {
      it->second.b.done.insert(next);
      it->second.attempts = 0;
    } else if (is_transient(r.code())) {
      // Retried with backoff, then parked for an operator (the held money stays held).
      if (detail::retry_or_park(self, st->options, it->second.attempts, "payout", batch, next, r.error(),
                                detail::resend(self, it->second.b))) {
        for (auto& waiting : it->second.waiting) {
          waiting.first.deliver(result<entity_reply>(detail::needs_attention("payout", batch, next, r.error())));
        }
        st->runs.erase(it);
      }
      return;
    } else {
      // A refused settlement step (the hold is gone) is for an operator: report and stop.
      for (auto& waiting : it->second.waiting) {
        waiting.first.deliver(result<entity_reply>(make_error(
            errc::process_failed, "payout " + batch + " step " + next + " refused: " + r.error().message)));
      }
      st->runs.erase(it);
      return;
    }
    step(self, st, batch);
  };
  if (next == "hold") {
    const std::int64_t expires =
        meta.now_us + std::chrono::duration_cast<std::chrono::microseconds>(st->options.payout_hold).count();
    send_wallet(self, st->r, *st->asks, channel_wallet,
                                domain::wallet::hold{tid, run.b.value, expires, "payout:" + batch},
                                meta, after);
  } else if (next == "send") {
    send_command<chain_send_entity>(
        self, st->r.chain_sends, *st->options.sender,
        domain::chain_send::request{domain::chain_send::payout_ref(run.b.channel, batch),
                                    domain::chain_send::purpose::payout, detail::lower_address(run.b.address),
                                    run.b.value},
        meta, *st->asks, after);
  } else if (next == "post") {
    send_wallet(self, st->r, *st->asks, channel_wallet,
                                domain::wallet::post{tid}, meta, after);
  } else if (next == "credit_clearing") {
    const auto clearing = domain::wallet_key{
        domain::wallet_owner::of(domain::system_account::chain_clearing), domain::asset::usdt};
    send_wallet(self, st->r, *st->asks, clearing,
                                domain::wallet::credit{tid, run.b.value, "payout",
                                                       channel_wallet.stream()},
                                meta, after);
  } else {
    send_wallet(self, st->r, *st->asks, channel_wallet,
                                domain::wallet::void_hold{tid, "payout_failed"}, meta, after);
  }
}

/// Loads the batch's amount from the payout entity, then runs its steps.
void track(caf::event_based_actor* self, const state_ptr& st, domain::channel_id channel,
           const std::string& batch, std::set<std::string> done,
           std::optional<std::pair<caf::response_promise, entity_reply>> reply) {
  if (auto running = st->runs.find(batch); running != st->runs.end()) {
    running->second.b.done.insert(done.begin(), done.end());
    if (reply) {
      running->second.waiting.push_back(std::move(*reply));
    }
    step(self, st, batch);
    return;
  }
  query_state<payout_entity>(self, st->r.payouts, channel, *st->asks,
    [self, st, channel, batch, done = std::move(done), reply](result<domain::payout::state> state) mutable {
      const auto found = state ? state->batches.find(batch) : decltype(state->batches.end()){};
      if (!state || found == state->batches.end()) {
        if (reply) {
          reply->first.deliver(result<entity_reply>(
              state ? make_error(errc::payout_batch_not_found, "no payout batch " + batch)
                    : state.error()));
        }
        return;
      }
      // The batch's own state says what the chain (or an operator) decided: a run resumed or
      // resent from an older view must not ask for a send of a batch that has failed finally.
      if (found->second.final_failure) done.insert("fail_final");
      if (found->second.status == domain::payout::batch_status::confirmed) done.insert("confirm");
      payout_run run;
      run.b = payout_resume{channel, batch, found->second.value, std::move(done), found->second.address};
      if (reply) {
        run.waiting.push_back(std::move(*reply));
      }
      st->runs.emplace(batch, std::move(run));
      step(self, st, batch);
    });
}

void on_accrued(caf::event_based_actor* self, const state_ptr& st, domain::channel_id channel,
                const std::string& purchase) {
  if (!st->options.sender) {
    return;  // no hot wallet would send a batch: the accruals wait unbatched (and stay available)
  }
  query_state<channel_entity>(self, st->r.channels, channel, *st->asks,
    [self, st, channel, purchase](result<domain::channel::state> ch) {
      if (!ch) return;
      query_state<settings_entity>(self, st->r.settings, singleton_key{}, *st->asks,
        [self, st, channel, purchase, ch = std::move(*ch)](result<domain::settings::state> settings) {
          if (!settings) return;
          domain::payout::strategy_facts strategy;
          strategy.instant = ch.strategy == domain::channel::payout_strategy::instant;
          strategy.address = ch.payout_address;
          if (!strategy.instant) {
            auto threshold = domain::convert(ch.threshold, settings->usd_to_usdt());
            if (!threshold) return;
            strategy.threshold_usdt = *threshold;
          }
          const std::string batch = "pb-" + purchase;
          const command_meta meta = detail::meta_for("payout", batch, "batch", detail::wall_clock_us());
          send_command<payout_entity>(self, st->r.payouts, channel,
                                      domain::payout::create_batch{batch, strategy}, meta, *st->asks,
            [self, st, channel, batch](result<entity_reply> r) {
              if (!r) return;  // nothing to batch yet (threshold not reached), or a retry later
              track(self, st, channel, batch, {"batch"}, std::nullopt);
            });
        });
    });
}

/// Cancels a batch whose transaction is not signed yet. No step of the batch starts while the
/// cancel decides (st->cancelling). A send queued on the hot wallet's stream is abandoned first:
/// that stream has one writer, so once abandoned it is never signed, and once signed the abandon
/// (and so the cancel) is refused. Then the batch fails finally (its money is unbatched again)
/// and the run voids the hold, if the wallet has one.
void cancel(caf::event_based_actor* self, const state_ptr& st, const payout_cancel& req,
            caf::response_promise promise) {
  const std::string batch = req.batch_id;
  const domain::channel_id channel = req.channel;
  if (st->runs.contains(batch) || st->cancelling.contains(batch)) {
    promise.deliver(result<entity_reply>(
        make_error(errc::overloaded, "payout batch " + batch + " has a step in progress; retry in a moment")));
    return;
  }
  st->cancelling.insert(batch);
  auto fail = [self, st, batch, promise](const error& e) mutable {
    st->cancelling.erase(batch);
    step(self, st, batch);  // a run that arrived meanwhile goes on
    promise.deliver(result<entity_reply>(e));
  };
  auto record = [self, st, channel, batch, now_us = req.now_us, promise, fail]() mutable {
    const auto wallet = domain::wallet_key{domain::wallet_owner::of(channel), domain::asset::usdt};
    query_state<wallet_entity>(self, st->r.wallet(wallet), wallet, *st->asks,
      [self, st, channel, batch, now_us, promise, fail](result<domain::wallet::state> w) mutable {
        if (!w) {
          fail(w.error());
          return;
        }
        const bool held = w->holds.contains(batch);
        send_command<payout_entity>(
            self, st->r.payouts, channel, domain::payout::mark_failed{batch, "cancelled_by_operator", true},
            detail::meta_for("payout", batch, "fail_final", now_us), *st->asks,
            [self, st, channel, batch, held, promise, fail](result<entity_reply> r) mutable {
              if (!r) {
                fail(r.error());
                return;
              }
              st->cancelling.erase(batch);
              std::set<std::string> done{"batch", "fail_final"};
              if (held) done.insert("hold");
              track(self, st, channel, batch, std::move(done), std::make_pair(promise, *r));
            });
      });
  };
  query_state<payout_entity>(self, st->r.payouts, channel, *st->asks,
    [self, st, channel, batch, by = req.by, reason = req.reason, now_us = req.now_us, fail,
     record](result<domain::payout::state> state) mutable {
      if (!state) {
        fail(state.error());
        return;
      }
      const auto found = state->batches.find(batch);
      if (found == state->batches.end()) {
        fail(make_error(errc::payout_batch_not_found,
                        "channel " + std::to_string(channel.value()) + " has no payout batch " + batch));
        return;
      }
      const domain::payout::batch& b = found->second;
      if (b.final_failure) {
        record();  // cancelled or failed already: the run finishes the void
        return;
      }
      if (b.status != domain::payout::batch_status::created) {
        fail(make_error(errc::payout_state_invalid,
                        "payout batch " + batch + " is " + std::string(domain::payout::status_name(b.status)) +
                            (b.tx_hash.empty() ? "" : " (tx " + b.tx_hash + ")") + "; only a created batch can be cancelled"));
        return;
      }
      if (!st->options.sender) {
        record();  // no hot wallet: nothing was ever asked to send it
        return;
      }
      detail::abandon_unsigned_send(
          self, st->r, *st->options.sender, domain::chain_send::payout_ref(channel, batch), "payout batch " + batch,
          errc::payout_state_invalid, "payout cancelled by " + by + (reason.empty() ? "" : ": " + reason),
          detail::meta_for("payout", batch, "abandon_send", now_us), st->asks, fail, record);
    });
}

std::string causation_of(const domain::payout::command& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, domain::payout::mark_submitted>) return "submit";
        else if constexpr (std::is_same_v<T, domain::payout::mark_confirmed>) return "confirm";
        else if constexpr (std::is_same_v<T, domain::payout::mark_failed>) return c.final ? "fail_final" : "fail";
        else if constexpr (std::is_same_v<T, domain::payout::retry>) return "retry";
        else if constexpr (std::is_same_v<T, domain::payout::create_batch>) return "batch";
        else if constexpr (std::is_same_v<T, domain::payout::accrue>) return "accrue";
        else if constexpr (std::is_same_v<T, domain::payout::reverse_accrual>) return "reverse_accrual";
        // Recovery keys resumed steps on these names: a new command must choose its own.
        else static_assert(always_false<T>, "causation_of: unhandled payout command");
      },
      command);
}

std::string batch_of(const domain::payout::command& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, domain::payout::accrue> ||
                      std::is_same_v<T, domain::payout::reverse_accrual>) return c.accrual_id;
        else if constexpr (std::is_same_v<T, domain::payout::create_batch> ||
                           std::is_same_v<T, domain::payout::mark_submitted> ||
                           std::is_same_v<T, domain::payout::mark_confirmed> ||
                           std::is_same_v<T, domain::payout::mark_failed> ||
                           std::is_same_v<T, domain::payout::retry>) return c.batch_id;
        else static_assert(always_false<T>, "batch_of: unhandled payout command");
      },
      command);
}

}  // namespace

caf::behavior payout_manager(caf::event_based_actor* self, routes r, flow_options options) {
  auto st = std::make_shared<payout_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](accrued_atom, domain::channel_id channel, const std::string& purchase) {
        on_accrued(self, st, channel, purchase);
      },
      [self, st](payout_request& req) {
        auto promise = self->make_response_promise();
        const std::string step_name = causation_of(req.command);
        const std::string batch = batch_of(req.command);
        const command_meta meta = detail::meta_for("payout", batch, step_name, req.now_us);
        const domain::channel_id channel = req.channel;
        send_command<payout_entity>(self, st->r.payouts, channel, req.command, meta, *st->asks,
          [self, st, promise, channel, batch, step_name](result<entity_reply> reply) mutable {
            if (!reply || (step_name != "confirm" && step_name != "fail_final")) {
              promise.deliver(std::move(reply));
              return;
            }
            track(self, st, channel, batch, {"batch", "hold", step_name},
                  std::make_pair(promise, *reply));
          });
      },
      [self, st](payout_cancel& req) {
        auto promise = self->make_response_promise();
        cancel(self, st, req, promise);
        return promise;
      },
      [self, st](resume_atom, payout_resume& resume) {
        const auto channel = resume.channel;
        const std::string batch = resume.batch_id;
        track(self, st, channel, batch, std::move(resume.done), std::nullopt);
      },
      [self, st](step_atom, const std::string& batch) { step(self, st, batch); },
  };
}

}  // namespace telepay::actors
