// The payment process manager: NOWPayments payment statuses recorded on their invoice, and the
// money they move (deposit from NOWPayments clearing, then the purchase the invoice was for).

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "actors/flows_common.hpp"

namespace telepay::actors {
namespace {

using domain::invoice::settlement;

struct payment_run {
  settlement intent;
  bool deposited = false;
  std::string outcome;  // set once the purchase (if any) answered
  int attempts = 0;
};

struct payment_state {
  routes r;
  std::shared_ptr<ask_watch> asks;  // bounds every reply this manager waits for
  flow_options options;
  caf::actor purchases;
  caf::actor deposits;
  std::unordered_map<std::uint64_t, payment_run> runs;
};

using state_ptr = std::shared_ptr<payment_state>;

std::string process_key(std::uint64_t payment_id) { return "payment-" + std::to_string(payment_id); }
std::string process_id(std::uint64_t payment_id) { return std::to_string(payment_id); }

void step(caf::event_based_actor* self, const state_ptr& st, std::uint64_t id);

/// Schedules the next try of payment `id`, or parks it for an operator once
/// flow_options::retry_attempts_max tries failed (a retry resumes it from its intent; so does a
/// restart, since its process is still open in the log).
void retry_later(caf::event_based_actor* self, const state_ptr& st, payment_run& run, std::uint64_t id,
                 std::string_view step_text, const error& why) {
  if (detail::retry_or_park(self, st->options, run.attempts, "payment", id, step_text, why,
                            detail::resend(self, process_resume{"payment", process_id(id), run.intent.to_json(), {}}))) {
    st->runs.erase(id);
  }
}

void finish(caf::event_based_actor* self, const state_ptr& st, std::uint64_t id, bool failed,
            const error& why) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) return;
  const std::int64_t now = detail::wall_clock_us();
  const command_meta meta = detail::meta_for("payment", process_id(id), failed ? "fail" : "complete", now);
  domain::process::command command = domain::process::complete{found->second.outcome};
  if (failed) {
    command = domain::process::fail{std::string(errc_name(why.code)), why.message};
  }
  send_command<process_entity>(self, st->r.processes, process_key(id), command, meta, *st->asks,
                               [self, st, id, failed, why](result<entity_reply> r) {
                                 auto run = st->runs.find(id);
                                 if (run == st->runs.end()) return;
                                 if (!r && is_transient(r.code())) {
                                   retry_later(self, st, run->second, id, failed ? "fail" : "complete", r.error());
                                   return;
                                 }
                                 st->runs.erase(run);  // done (a business refusal here is logged by the store)
                               });
}

void step(caf::event_based_actor* self, const state_ptr& st, std::uint64_t id) {
  auto found = st->runs.find(id);
  if (found == st->runs.end()) return;
  payment_run& run = found->second;
  const settlement& in = run.intent;
  const std::int64_t now = detail::wall_clock_us();
  if (!run.deposited) {
    deposit_request deposit{"np-" + process_id(id), in.buyer, in.credit,
                            domain::system_account::nowpayments_clearing,
                            "nowpayments:" + process_id(id), now, /*with_commission=*/false};
    ask<process_reply>(
        self, *st->asks, st->deposits,
        [self, st, id](result<process_reply> r) {
          auto again = st->runs.find(id);
          if (again == st->runs.end()) return;
          if (!r && is_transient(r.code())) {
            retry_later(self, st, again->second, id, "deposit", r.error());
            return;
          }
          if (!r) {
            // NOWPayments has the money, the ledger cannot credit it (a blacklisted or
            // unknown buyer): the process fails and operators see it.
            finish(self, st, id, true, r.error());
            return;
          }
          again->second.deposited = true;
          again->second.attempts = 0;
          step(self, st, id);
        },
        std::move(deposit));
    return;
  }
  if (in.decided != domain::invoice::action::fund_purchase) {
    run.outcome = "credited";
    finish(self, st, id, false, error{});
    return;
  }
  purchase_request purchase;
  purchase.purchase_id = in.order_id;
  purchase.buyer = in.buyer;
  purchase.channel = in.channel;
  purchase.tier = in.tier;
  if (in.tier == 0) {
    purchase.donation_usd = in.list_price;
  }
  purchase.coupon = in.coupon;
  purchase.now_us = now;
  purchase.paid_by_invoice = true;  // its deposit paid no commission: this purchase earns it
  ask<process_reply>(
      self, *st->asks, st->purchases,
      [self, st, id](result<process_reply> r) {
        auto again = st->runs.find(id);
        if (again == st->runs.end()) return;
        if (!r && is_transient(r.code())) {
          retry_later(self, st, again->second, id, "purchase", r.error());
          return;
        }
        // A refused purchase leaves the payment in the buyer's wallet: nothing is lost,
        // and the outcome tells the user and operators why.
        again->second.outcome =
            r ? std::string("purchased")
              : "purchase_refused: " + std::string(errc_name(r.code())) + ": " + r.error().message;
        if (again->second.outcome.size() > 300) again->second.outcome.resize(300);
        finish(self, st, id, false, error{});
      },
      std::move(purchase));
}

void begin(caf::event_based_actor* self, const state_ptr& st, settlement intent) {
  const std::uint64_t id = intent.payment_id;
  if (st->runs.contains(id)) return;
  payment_run run;
  run.intent = std::move(intent);
  st->runs.emplace(id, std::move(run));
  step(self, st, id);
}

/// Starts process "payment-{id}" durably (idempotent: the same intent starts it once), then
/// runs it; `started` hears once the start is durable.
void settle(caf::event_based_actor* self, const state_ptr& st, settlement intent, std::int64_t now_us,
            std::function<void(result<entity_reply>)> started) {
  const std::uint64_t id = intent.payment_id;
  const command_meta meta = detail::meta_for("payment", process_id(id), "start", now_us);
  send_command<process_entity>(
      self, st->r.processes, process_key(id), domain::process::start{"payment", intent.to_json()}, meta,
      *st->asks, [self, st, intent, started](result<entity_reply> r) mutable {
        if (r) {
          if (st->options.crash_after_payment_start) {
            std::_Exit(137);  // fault injection for the crash test: the start is durable
          }
          begin(self, st, std::move(intent));
        }
        started(std::move(r));
      });
}

/// Looks up the invoice and settles payment `id` if its recorded status moves money.
void settle_from_invoice(caf::event_based_actor* self, const state_ptr& st, const std::string& order_id,
                         std::uint64_t id, std::int64_t now_us,
                         std::function<void(result<domain::invoice::state>, bool)> done) {
  query_state<invoice_entity>(
      self, st->r.invoices, order_id, *st->asks,
      [self, st, id, now_us, done](result<domain::invoice::state> invoice) {
        if (!invoice) {
          done(std::move(invoice), false);
          return;
        }
        auto intent = domain::invoice::settlement_for(*invoice, id);
        if (!intent) {
          done(std::move(invoice), false);
          return;
        }
        settle(self, st, std::move(*intent), now_us,
               [done, invoice = std::move(*invoice)](result<entity_reply> started) mutable {
                 if (!started) {
                   done(result<domain::invoice::state>(started.error()), true);
                   return;
                 }
                 done(std::move(invoice), true);
               });
      });
}

}  // namespace

caf::behavior payment_manager(caf::event_based_actor* self, routes r, flow_options options,
                              caf::actor purchases, caf::actor deposits) {
  auto st = std::make_shared<payment_state>();
  st->r = std::move(r);
  st->asks = make_ask_watch(self, st->r.ask_bound);
  st->options = options;
  st->purchases = std::move(purchases);
  st->deposits = std::move(deposits);
  return {
      [st](ask_tick_atom) { st->asks->on_tick(); },
      [self, st](payment_report_request& req) {
        auto promise = self->make_response_promise();
        if (!domain::is_token(req.order_id, domain::invoice::order_id_bytes_max)) {
          promise.deliver(result<payment_ack>(make_error(
              errc::invoice_not_found, "order id '" + req.order_id.substr(0, 48) + "' is not ours")));
          return;
        }
        const std::uint64_t id = req.reported.payment_id;
        const domain::invoice::status reported = req.reported.state;
        const std::string order_id = req.order_id;
        const std::int64_t now = req.now_us;
        const command_meta meta = detail::meta_for("payment", process_id(id), "record", now);
        send_command<invoice_entity>(
            self, st->r.invoices, order_id, domain::invoice::record{std::move(req.reported)}, meta,
            *st->asks,
            [self, st, promise, order_id, id, reported, now](result<entity_reply> recorded) mutable {
              if (!recorded) {
                promise.deliver(result<payment_ack>(recorded.error()));
                return;
              }
              // Also for a duplicate: if a crash came between recording the status and
              // starting its settlement, the re-sent IPN starts it now.
              settle_from_invoice(
                  self, st, order_id, id, now,
                  [promise, recorded = *recorded, id,
                   reported](result<domain::invoice::state> invoice, bool) mutable {
                    if (!invoice) {
                      promise.deliver(result<payment_ack>(invoice.error()));
                      return;
                    }
                    payment_ack ack;
                    ack.recorded = recorded.result == entity_reply::outcome::written;
                    ack.last_seq = recorded.last_seq;
                    if (auto p = invoice->payments.find(id); p != invoice->payments.end()) {
                      ack.current = p->second.state;
                      ack.decided = p->second.decided;
                      // A late status changes nothing the payment decided: what the ledger does
                      // about this report is a review (its settlement above, if any, is the
                      // earlier status's, started once).
                      const auto& late = p->second.late;
                      ack.late = std::find(late.begin(), late.end(), reported) != late.end();
                      if (ack.late) ack.decided = domain::invoice::action::review;
                    }
                    promise.deliver(result<payment_ack>(ack));
                  });
            });
      },
      [self, st](resume_atom, process_resume& resume) {
        auto intent = settlement::from_json(resume.intent);
        if (!intent) return;  // undecodable intent: recovery already logged it
        begin(self, st, std::move(*intent));
      },
      [self, st](resume_atom, const std::string& order_id, std::uint64_t id) {
        // A payment recorded with money to move whose settlement never started.
        settle_from_invoice(self, st, order_id, id, detail::wall_clock_us(),
                            [](result<domain::invoice::state>, bool) {});
      },
      [self, st](step_atom, std::uint64_t id) { step(self, st, id); },
  };
}

}  // namespace telepay::actors
