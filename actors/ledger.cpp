#include "actors/ledger.hpp"

#include <functional>

#include "actors/flows_common.hpp"
#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::actors {
namespace {

struct facade_deps {
  routes r;
  std::vector<caf::actor> transfers;
  caf::actor purchases;
  caf::actor deposits;
  caf::actor payouts;
  caf::actor payments;
  caf::actor withdrawals;
  std::shared_ptr<ask_watch> asks;  // bounds every reply the facade waits for (made by facade_actor)
};

using facade_self = ledger_actor::pointer;
template <class T>
using promise_of = caf::typed_response_promise<result<T>>;

template <class T>
void deliver_to(promise_of<T> promise, result<T> r) {
  promise.deliver(std::move(r));
}

/// Sends a command to an entity and answers the caller with the entity's reply.
template <class Entity>
promise_of<entity_reply> command(facade_self self, const facade_deps& d, const caf::actor& registry,
                                 const typename Entity::key_type& key,
                                 typename Entity::command_type cmd, std::int64_t now_us,
                                 std::string correlation = {}) {
  auto promise = self->make_response_promise<result<entity_reply>>();
  send_command<Entity>(self, registry, key, std::move(cmd),
                       command_meta{now_us, std::move(correlation), "request"}, *d.asks,
                       [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
  return promise;
}

template <class Entity>
promise_of<typename Entity::state_type> query(facade_self self, const facade_deps& d,
                                              const caf::actor& registry,
                                              const typename Entity::key_type& key) {
  using state_type = typename Entity::state_type;
  auto promise = self->make_response_promise<result<state_type>>();
  query_state<Entity>(self, registry, key, *d.asks,
                      [promise](result<state_type> r) mutable { promise.deliver(std::move(r)); });
  return promise;
}

/// Forwards a request to a process manager and relays its reply.
template <class Reply, class Request>
promise_of<Reply> forward(facade_self self, const facade_deps& d, const caf::actor& manager,
                          Request req) {
  auto promise = self->make_response_promise<result<Reply>>();
  ask<Reply>(self, *d.asks, manager, [promise](result<Reply> r) mutable { promise.deliver(std::move(r)); },
             std::move(req));
  return promise;
}

/// Collects a prospective referrer's facts: registered or not, and its chain upwards.
void referrer_facts(facade_self self, const facade_deps& d, domain::user_id user,
                    domain::user_id referrer,
                    std::function<void(result<domain::user::referrer_facts>)> done) {
  auto facts = std::make_shared<domain::user::referrer_facts>();
  facts->id = referrer;
  auto walk = std::make_shared<std::function<void(domain::user_id, bool)>>();
  *walk = [self, d, user, facts, walk, done](domain::user_id next, bool first) {
    query_state<user_entity>(self, d.r.users, next, *d.asks,
      [self, d, user, facts, walk, done, first](result<domain::user::state> st) {
        if (!st) {
          done(st.error());
          *walk = nullptr;  // break the self-reference
          return;
        }
        if (first) {
          facts->is_registered = st->is_registered;
        }
        const bool go_on = st->referrer && *st->referrer != user &&
                           facts->ancestors.size() < domain::user::referral_depth_max;
        if (st->referrer) {
          facts->ancestors.push_back(*st->referrer);
        }
        if (go_on) {
          (*walk)(*st->referrer, false);
          return;
        }
        done(*facts);
        *walk = nullptr;
      });
  };
  (*walk)(referrer, true);
}

/// The payout address a channel command would set, if any.
std::optional<std::string> payout_address_of(const domain::channel::command& c) {
  using out = std::optional<std::string>;
  return std::visit(overload{
                        [](const domain::channel::register_channel& x) -> out { return x.payout_address; },
                        [](const domain::channel::set_tiers&) -> out { return std::nullopt; },
                        [](const domain::channel::set_donations&) -> out { return std::nullopt; },
                        [](const domain::channel::set_payout_strategy&) -> out { return std::nullopt; },
                        [](const domain::channel::change_payout_address& x) -> out { return x.address; },
                        [](const domain::channel::disable&) -> out { return std::nullopt; },
                        [](const domain::channel::enable&) -> out { return std::nullopt; },
                        [](const domain::channel::approve_payout_address& x) -> out { return x.address; },
                    },
                    c);
}

/// A channel command; one that sets a payout address to a blacklisted wallet is refused.
promise_of<entity_reply> channel_command(facade_self self, const facade_deps& d, channel_request req) {
  const auto address = payout_address_of(req.command);
  if (!address) {
    return command<channel_entity>(self, d, d.r.channels, req.channel, std::move(req.command), req.now_us);
  }
  auto promise = self->make_response_promise<result<entity_reply>>();
  query_state<blacklist_entity>(self, d.r.blacklist, singleton_key{}, *d.asks,
    [self, d, promise, req, address](result<domain::blacklist::state> blacklist) mutable {
      if (!blacklist) {
        promise.deliver(result<entity_reply>(blacklist.error()));
        return;
      }
      if (blacklist->address_listed(*address)) {
        promise.deliver(result<entity_reply>(
            make_error(errc::blacklisted, "the payout address " + utf8_prefix(*address, 64) + " is blacklisted")));
        return;
      }
      send_command<channel_entity>(self, d.r.channels, req.channel, std::move(req.command),
                                   command_meta{req.now_us, "", "request"}, *d.asks,
                                   [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
    });
  return promise;
}

promise_of<entity_reply> register_user(facade_self self, const facade_deps& d,
                                       const register_user_request& req) {
  auto promise = self->make_response_promise<result<entity_reply>>();
  if (!domain::make_user_id(req.user.value())) {
    promise.deliver(result<entity_reply>(domain::make_user_id(req.user.value()).error()));
    return promise;
  }
  auto send = [self, d, promise, req](std::optional<domain::user::referrer_facts> referrer) mutable {
    query_state<blacklist_entity>(self, d.r.blacklist, singleton_key{}, *d.asks,
      [self, d, promise, req, referrer](result<domain::blacklist::state> blacklist) mutable {
        if (!blacklist) {
          promise.deliver(result<entity_reply>(blacklist.error()));
          return;
        }
        domain::user::register_user cmd;
        cmd.username = req.username;
        cmd.referrer = referrer;
        cmd.blacklisted = blacklist->contains(domain::blacklist::kind::telegram_id,
                                              std::to_string(req.user.value()));
        send_command<user_entity>(self, d.r.users, req.user, cmd,
                                  command_meta{req.now_us, "", "register"}, *d.asks,
                                  [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
      });
  };
  if (req.referral_code.empty()) {
    send(std::nullopt);
    return promise;
  }
  auto referrer = domain::parse_referral_code(req.referral_code);
  if (!referrer) {
    promise.deliver(result<entity_reply>(referrer.error()));
    return promise;
  }
  referrer_facts(self, d, req.user, *referrer,
                 [promise, send](result<domain::user::referrer_facts> facts) mutable {
                   if (!facts) {
                     promise.deliver(result<entity_reply>(facts.error()));
                     return;
                   }
                   send(std::move(*facts));
                 });
  return promise;
}

promise_of<entity_reply> link_referrer(facade_self self, const facade_deps& d,
                                       const link_referrer_request& req) {
  auto promise = self->make_response_promise<result<entity_reply>>();
  auto referrer = domain::parse_referral_code(req.referral_code);
  if (!referrer) {
    promise.deliver(result<entity_reply>(referrer.error()));
    return promise;
  }
  referrer_facts(self, d, req.user, *referrer,
    [self, d, promise, req](result<domain::user::referrer_facts> facts) mutable {
      if (!facts) {
        promise.deliver(result<entity_reply>(facts.error()));
        return;
      }
      send_command<user_entity>(self, d.r.users, req.user,
                                domain::user::link_referrer{std::move(*facts)},
                                command_meta{req.now_us, "", "link_referrer"}, *d.asks,
                                [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
    });
  return promise;
}

/// Whether a deposit to `user` can be carried out now (domain::process::check_creditable, the
/// deposit's own rule), so a request or decision that could not be carried out is refused
/// before anything is recorded.
void check_creditable(facade_self self, const facade_deps& d, domain::user_id user,
                      std::function<void(status)> done) {
  query_state<user_entity>(self, d.r.users, user, *d.asks,
    [self, d, user, done](result<domain::user::state> st) {
      if (!st) {
        done(st.error());
        return;
      }
      query_state<blacklist_entity>(self, d.r.blacklist, singleton_key{}, *d.asks,
        [user, done, account = std::move(*st)](result<domain::blacklist::state> blacklist) {
          if (!blacklist) {
            done(blacklist.error());
            return;
          }
          auto ok = domain::process::check_creditable(
              account, blacklist->contains(domain::blacklist::kind::telegram_id, std::to_string(user.value())));
          done(ok ? ok : status(make_error(ok.code(), ok.error().message + ": nothing was recorded")));
        });
    });
}

/// A manual deposit request or rejection; a request for a user who cannot be credited is
/// refused before it is recorded (it could never be approved).
promise_of<entity_reply> manual_deposit_command(facade_self self, const facade_deps& d,
                                                manual_deposit_request req) {
  auto* request = std::get_if<domain::manual_deposit::request>(&req.command);
  if (request == nullptr) {
    return command<manual_deposit_entity>(self, d, d.r.manual_deposits, req.deposit_id, std::move(req.command),
                                          req.now_us);
  }
  auto promise = self->make_response_promise<result<entity_reply>>();
  check_creditable(self, d, request->user, [self, d, promise, req](status ok) mutable {
    if (!ok) {
      promise.deliver(result<entity_reply>(ok.error()));
      return;
    }
    send_command<manual_deposit_entity>(self, d.r.manual_deposits, req.deposit_id, std::move(req.command),
                                        command_meta{req.now_us, "", "request"}, *d.asks,
                                        [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
  });
  return promise;
}

void record_manual_approval(facade_self self, const facade_deps& d, promise_of<process_reply> promise,
                            const manual_deposit_approval& req);

/// Records the second operator's approval, then runs the deposit from manual clearing (its id
/// derived from the request's, so a retried approval never credits twice). The approval is
/// recorded only after checking that the deposit can be carried out (the user registered and
/// not blacklisted), so "approved" never stands for money that was not credited. (A blacklist
/// entry added between the check and the deposit still leaves it approved and not credited; the
/// deposit's refusal is the answer, and the same operator's repeated approval re-runs it.)
promise_of<process_reply> approve_manual_deposit(facade_self self, const facade_deps& d,
                                                 const manual_deposit_approval& req) {
  auto promise = self->make_response_promise<result<process_reply>>();
  query_state<manual_deposit_entity>(self, d.r.manual_deposits, req.deposit_id, *d.asks,
    [self, d, promise, req](result<domain::manual_deposit::state> before) mutable {
      if (!before) {
        promise.deliver(result<process_reply>(before.error()));
        return;
      }
      if (before->status == domain::manual_deposit::status_kind::none) {
        // Let the entity's decision name the refusal (no such deposit).
        record_manual_approval(self, d, promise, req);
        return;
      }
      check_creditable(self, d, before->request.user, [self, d, promise, req](status ok) mutable {
        if (!ok) {
          promise.deliver(result<process_reply>(ok.error()));
          return;
        }
        record_manual_approval(self, d, promise, req);
      });
    });
  return promise;
}

void record_manual_approval(facade_self self, const facade_deps& d, promise_of<process_reply> promise,
                            const manual_deposit_approval& req) {
  send_command<manual_deposit_entity>(
      self, d.r.manual_deposits, req.deposit_id, domain::manual_deposit::approve{req.by},
      command_meta{req.now_us, "manual:" + req.deposit_id, "approve"}, *d.asks,
      [self, d, promise, req](result<entity_reply> approved) mutable {
        if (!approved) {
          promise.deliver(result<process_reply>(approved.error()));
          return;
        }
        query_state<manual_deposit_entity>(self, d.r.manual_deposits, req.deposit_id, *d.asks,
          [self, d, promise, req](result<domain::manual_deposit::state> state) mutable {
            if (!state) {
              promise.deliver(result<process_reply>(state.error()));
              return;
            }
            deposit_request deposit{"manual-" + req.deposit_id, state->request.user,
                                    state->request.value, domain::system_account::manual_clearing,
                                    "manual:" + req.deposit_id, req.now_us};
            ask<process_reply>(self, *d.asks, d.deposits,
                               [promise](result<process_reply> r) mutable { promise.deliver(std::move(r)); },
                               std::move(deposit));
          });
      });
}

/// A deposit command, answered with the deposit's state once the command is durable.
promise_of<domain::chain_deposit::state> chain_deposit_command(facade_self self, const facade_deps& d,
                                                               chain_deposit_request req) {
  auto promise = self->make_response_promise<result<domain::chain_deposit::state>>();
  if (auto checked = domain::chain_deposit::check_key(req.deposit); !checked) {
    promise.deliver(result<domain::chain_deposit::state>(checked.error()));
    return promise;
  }
  const auto key = req.deposit;
  send_command<chain_deposit_entity>(
      self, d.r.chain_deposits, key, std::move(req.command),
      command_meta{req.now_us, "chain:" + std::to_string(key.chain_id), "watch"}, *d.asks,
      [self, d, promise, key](result<entity_reply> r) mutable {
        if (!r) {
          promise.deliver(result<domain::chain_deposit::state>(r.error()));
          return;
        }
        query_state<chain_deposit_entity>(self, d.r.chain_deposits, key, *d.asks,
          [promise](result<domain::chain_deposit::state> st) mutable { promise.deliver(std::move(st)); });
      });
  return promise;
}

/// Credits a confirmed deposit through the deposit process (idempotent by its id).
promise_of<process_reply> credit_chain_deposit(facade_self self, const facade_deps& d,
                                               const chain_deposit_credit_request& req) {
  auto promise = self->make_response_promise<result<process_reply>>();
  if (auto checked = domain::chain_deposit::check_key(req.deposit); !checked) {
    promise.deliver(result<process_reply>(checked.error()));
    return promise;
  }
  query_state<chain_deposit_entity>(self, d.r.chain_deposits, req.deposit, *d.asks,
    [self, d, promise, req](result<domain::chain_deposit::state> st) mutable {
      if (!st) {
        promise.deliver(result<process_reply>(st.error()));
        return;
      }
      if (st->status != domain::chain_deposit::status_kind::confirmed) {
        promise.deliver(result<process_reply>(make_error(
            errc::deposit_state_invalid, "deposit " + req.deposit.tx_hash + ":" +
                                             std::to_string(req.deposit.log_index) + " is not confirmed")));
        return;
      }
      deposit_request deposit{domain::chain_deposit::deposit_id(req.deposit),
                              st->seen.user,
                              st->seen.value,
                              domain::system_account::chain_clearing,
                              "chain:" + std::to_string(req.deposit.chain_id) + ":" + req.deposit.tx_hash + ":" +
                                  std::to_string(req.deposit.log_index),
                              req.now_us};
      ask<process_reply>(self, *d.asks, d.deposits,
                         [promise](result<process_reply> r) mutable { promise.deliver(std::move(r)); },
                         std::move(deposit));
    });
  return promise;
}

/// Prices the order exactly as its purchase will be priced, then records the invoice.
promise_of<domain::invoice::state> create_invoice(facade_self self, const facade_deps& d,
                                                  const invoice_create_request& req) {
  auto promise = self->make_response_promise<result<domain::invoice::state>>();
  if (!domain::is_token(req.order_id, domain::invoice::order_id_bytes_max)) {
    promise.deliver(result<domain::invoice::state>(make_error(
        errc::invalid_argument, "order id must be 1-48 characters of A-Z a-z 0-9 _ . : -")));
    return promise;
  }
  purchase_request quote{req.order_id, req.buyer,  req.channel, req.tier, req.donation_usd,
                         req.coupon,   req.now_us, /*paid_by_invoice=*/true};
  ask<domain::process::purchase_intent>(
      self, *d.asks, d.purchases,
          [self, d, promise, req](result<domain::process::purchase_intent> priced) mutable {
            if (!priced) {
              promise.deliver(result<domain::invoice::state>(priced.error()));
              return;
            }
            domain::invoice::terms terms;
            terms.buyer = priced->buyer;
            terms.channel = priced->channel;
            terms.tier = priced->tier;
            terms.days = priced->days;
            terms.list_price = priced->list_price;
            terms.coupon = priced->coupon;
            terms.discount = priced->discount;
            auto price = priced->list_price.minus(priced->discount);
            terms.price = price ? *price : domain::amount(domain::asset::usd, 0);
            terms.credit = priced->paid;
            terms.description = req.description;
            send_command<invoice_entity>(
                self, d.r.invoices, req.order_id, domain::invoice::create{std::move(terms)},
                command_meta{req.now_us, "invoice:" + req.order_id, "create"}, *d.asks,
                [self, d, promise, order_id = req.order_id](result<entity_reply> created) mutable {
                  if (!created) {
                    promise.deliver(result<domain::invoice::state>(created.error()));
                    return;
                  }
                  query_state<invoice_entity>(self, d.r.invoices, order_id, *d.asks,
                                              [promise](result<domain::invoice::state> st) mutable {
                                                promise.deliver(std::move(st));
                                              });
                });
          },
      quote_atom::value, std::move(quote));
  return promise;
}

ledger_actor::behavior_type facade_actor(facade_self self, facade_deps d) {
  d.asks = make_ask_watch(self, d.r.ask_bound);
  return {
      [d](ask_tick_atom) { d.asks->on_tick(); },
      [self, d](register_user_request& req) { return register_user(self, d, req); },
      [self, d](link_referrer_request& req) { return link_referrer(self, d, req); },
      [self, d](user_admin_request& req) {
        return command<user_entity>(self, d, d.r.users, req.user, std::move(req.command), req.now_us);
      },
      [self, d](blacklist_request& req) {
        return command<blacklist_entity>(self, d, d.r.blacklist, singleton_key{},
                                         std::move(req.command), req.now_us);
      },
      [self, d](channel_request& req) { return channel_command(self, d, std::move(req)); },
      [self, d](webhook_request& req) {
        return command<webhook_entity>(self, d, d.r.webhooks, singleton_key{}, std::move(req.command), req.now_us);
      },
      [self, d](settings_request& req) {
        return command<settings_entity>(self, d, d.r.settings, singleton_key{},
                                        std::move(req.command), req.now_us);
      },
      [self, d](coupon_request& req) {
        auto code = domain::coupon::normalize_code(req.code);
        if (!code) {
          auto promise = self->make_response_promise<result<entity_reply>>();
          promise.deliver(result<entity_reply>(code.error()));
          return promise;
        }
        return command<coupon_entity>(self, d, d.r.coupons, *code, std::move(req.command), req.now_us);
      },
      [self, d](subscription_request& req) {
        return command<subscription_entity>(self, d, d.r.subscriptions,
                                            subscription_key{req.user, req.channel},
                                            std::move(req.command), req.now_us);
      },
      [self, d](wallet_request& req) {
        auto promise = self->make_response_promise<result<entity_reply>>();
        send_wallet(self, d.r, *d.asks, req.wallet, std::move(req.command),
                                    std::move(req.meta),
                                    [promise](result<entity_reply> r) mutable { promise.deliver(std::move(r)); });
        return promise;
      },
      [self, d](payout_request& req) { return forward<entity_reply>(self, d, d.payouts, std::move(req)); },
      [self, d](payout_cancel& req) { return forward<entity_reply>(self, d, d.payouts, std::move(req)); },
      [self, d](purchase_request& req) { return forward<process_reply>(self, d, d.purchases, std::move(req)); },
      [self, d](refund_request& req) { return forward<process_reply>(self, d, d.purchases, std::move(req)); },
      [self, d](deposit_request& req) { return forward<process_reply>(self, d, d.deposits, std::move(req)); },
      [self, d](transfer_request& req) {
        const auto& manager = d.transfers[std::hash<std::string>{}(req.transfer_id) % d.transfers.size()];
        return forward<process_reply>(self, d, manager, std::move(req));
      },
      [self, d](invoice_create_request& req) { return create_invoice(self, d, req); },
      [self, d](invoice_link_request& req) {
        return command<invoice_entity>(self, d, d.r.invoices, req.order_id,
                                       domain::invoice::link{req.provider_invoice_id, req.url}, req.now_us,
                                       "invoice:" + req.order_id);
      },
      [self, d](invoice_attempt_request& req) {
        domain::invoice::command step = std::visit(
            overload{
                [](const domain::invoice::begin_attempt& x) -> domain::invoice::command { return x; },
                [](const domain::invoice::close_attempt& x) -> domain::invoice::command { return x; },
            },
            req.step);
        return command<invoice_entity>(self, d, d.r.invoices, req.order_id, std::move(step), req.now_us,
                                       "invoice:" + req.order_id);
      },
      [self, d](payment_report_request& req) {
        return forward<payment_ack>(self, d, d.payments, std::move(req));
      },
      [self, d](notice_request& req) {
        return command<notice_entity>(self, d, d.r.notices, req.user, std::move(req.request), req.now_us,
                                      "notice:" + std::to_string(req.user.value()));
      },
      [self, d](conversation_request& req) {
        return command<conversation_entity>(self, d, d.r.conversations, req.user, std::move(req.command),
                                            req.now_us, domain::telegram_identity(req.user));
      },
      [self, d](notice_query& q) { return query<notice_entity>(self, d, d.r.notices, q.user); },
      [self, d](broadcast_request& req) {
        if (!domain::is_token(req.id, domain::broadcast::id_bytes_max)) {
          auto promise = self->make_response_promise<result<entity_reply>>();
          promise.deliver(result<entity_reply>(
              make_error(errc::invalid_argument, "a broadcast id is 1-48 of A-Z a-z 0-9 _ . : -")));
          return promise;
        }
        return command<broadcast_entity>(self, d, d.r.broadcasts, req.id, std::move(req.command), req.now_us,
                                         "broadcast:" + req.id);
      },
      [self, d](broadcast_query& q) {
        if (!domain::is_token(q.id, domain::broadcast::id_bytes_max)) {
          auto promise = self->make_response_promise<result<domain::broadcast::state>>();
          promise.deliver(result<domain::broadcast::state>(
              make_error(errc::broadcast_not_found, "no broadcast " + utf8_prefix(q.id, 64))));
          return promise;
        }
        return query<broadcast_entity>(self, d, d.r.broadcasts, q.id);
      },
      [self, d](conversation_query& q) {
        return query<conversation_entity>(self, d, d.r.conversations, q.user);
      },
      [self, d](invoice_query& q) {
        if (!domain::is_token(q.order_id, domain::invoice::order_id_bytes_max)) {
          auto promise = self->make_response_promise<result<domain::invoice::state>>();
          promise.deliver(result<domain::invoice::state>(
              make_error(errc::invoice_not_found, "no invoice for that order id")));
          return promise;
        }
        return query<invoice_entity>(self, d, d.r.invoices, q.order_id);
      },
      [self, d](wallet_query& q) { return query<wallet_entity>(self, d, d.r.wallet(q.wallet), q.wallet); },
      [self, d](user_query& q) { return query<user_entity>(self, d, d.r.users, q.user); },
      [self, d](channel_query& q) { return query<channel_entity>(self, d, d.r.channels, q.channel); },
      [self, d](subscription_query& q) {
        return query<subscription_entity>(self, d, d.r.subscriptions, subscription_key{q.user, q.channel});
      },
      [self, d](payout_query& q) { return query<payout_entity>(self, d, d.r.payouts, q.channel); },
      [self, d](coupon_query& q) {
        auto code = domain::coupon::normalize_code(q.code);
        if (!code) {
          auto promise = self->make_response_promise<result<domain::coupon::state>>();
          promise.deliver(result<domain::coupon::state>(code.error()));
          return promise;
        }
        return query<coupon_entity>(self, d, d.r.coupons, *code);
      },
      [self, d](settings_query&) { return query<settings_entity>(self, d, d.r.settings, singleton_key{}); },
      [self, d](blacklist_query&) { return query<blacklist_entity>(self, d, d.r.blacklist, singleton_key{}); },
      [self, d](process_query& q) { return query<process_entity>(self, d, d.r.processes, q.key); },
      [self, d](token_query& q) { return query<token_entity>(self, d, d.r.tokens, q.token_id); },
      [self, d](token_request& req) {
        return command<token_entity>(self, d, d.r.tokens, req.token_id, std::move(req.command), req.now_us);
      },
      [self, d](manual_deposit_request& req) { return manual_deposit_command(self, d, std::move(req)); },
      [self, d](manual_deposit_approval& req) { return approve_manual_deposit(self, d, req); },
      [self, d](chain_deposit_request& req) { return chain_deposit_command(self, d, std::move(req)); },
      [self, d](chain_deposit_credit_request& req) { return credit_chain_deposit(self, d, req); },
      [self, d](chain_deposit_query& q) {
        if (auto checked = domain::chain_deposit::check_key(q.deposit); !checked) {
          auto promise = self->make_response_promise<result<domain::chain_deposit::state>>();
          promise.deliver(result<domain::chain_deposit::state>(checked.error()));
          return promise;
        }
        return query<chain_deposit_entity>(self, d, d.r.chain_deposits, q.deposit);
      },
      [self, d](chain_scan_request& req) {
        return command<chain_scan_entity>(self, d, d.r.chain_scans, req.chain_id, std::move(req.command), req.now_us,
                                          "chain:" + std::to_string(req.chain_id));
      },
      [self, d](chain_scan_query& q) { return query<chain_scan_entity>(self, d, d.r.chain_scans, q.chain_id); },
      [self, d](chain_send_request& req) {
        return command<chain_send_entity>(self, d, d.r.chain_sends, req.sender, std::move(req.command), req.now_us,
                                          "chain:" + std::to_string(req.sender.chain_id));
      },
      [self, d](chain_send_query& q) { return query<chain_send_entity>(self, d, d.r.chain_sends, q.sender); },
      [self, d](withdrawal_request& req) {
        return forward<domain::withdrawal::state>(self, d, d.withdrawals, std::move(req));
      },
      [self, d](withdrawal_decision& req) {
        return forward<domain::withdrawal::state>(self, d, d.withdrawals, std::move(req));
      },
      [self, d](withdrawal_outcome& req) {
        return forward<domain::withdrawal::state>(self, d, d.withdrawals, std::move(req));
      },
      [self, d](withdrawal_query& q) {
        if (!domain::is_token(q.id, domain::withdrawal::id_bytes_max)) {
          auto promise = self->make_response_promise<result<domain::withdrawal::state>>();
          promise.deliver(result<domain::withdrawal::state>(make_error(errc::withdrawal_not_found, "no such withdrawal")));
          return promise;
        }
        return query<withdrawal_entity>(self, d, d.r.withdrawals, q.id);
      },
      [self, d](admin_log_request& req) {
        const std::string token = req.entry.token;
        return command<admin_log_entity>(self, d, d.r.admin_logs, token,
                                         domain::admin_log::record{std::move(req.entry)}, req.now_us);
      },
  };
}

template <class Entity>
caf::actor spawn_registry(caf::actor_system& system, eventstore::event_store& store,
                          const registry_options& options, actor_directory* directory = nullptr) {
  return system.spawn(&registry_actor<Entity>, &store, options, directory);
}

}  // namespace

result<std::unique_ptr<ledger>> ledger::start(caf::actor_system& system,
                                              eventstore::event_store& store,
                                              const ledger_options& options) {
  LEDGER_ASSERT(options.wallet_shards > 0 && options.transfer_managers > 0,
                "the ledger needs at least one wallet shard and one transfer manager");
  auto recovered = scan_unfinished(store, options.recovery_progress);
  if (!recovered) {
    return make_error(recovered.code(), "recovery scan failed: " + recovered.error().message);
  }
  std::unique_ptr<ledger> out(new ledger());
  routes& r = out->routes_;
  LEDGER_ASSERT(options.ask_bound.count() > 0, "the ledger's ask bound must be positive");
  r.ask_bound = options.ask_bound;
  r.directory = std::make_shared<actor_directory>();
  for (std::size_t i = 0; i < options.wallet_shards; ++i) {
    r.wallets.push_back(spawn_registry<wallet_entity>(system, store, options.wallets, r.directory.get()));
  }
  r.users = spawn_registry<user_entity>(system, store, options.entities);
  r.channels = spawn_registry<channel_entity>(system, store, options.entities);
  r.subscriptions = spawn_registry<subscription_entity>(system, store, options.entities);
  r.payouts = spawn_registry<payout_entity>(system, store, options.entities);
  r.coupons = spawn_registry<coupon_entity>(system, store, options.entities);
  r.settings = spawn_registry<settings_entity>(system, store, options.entities);
  r.blacklist = spawn_registry<blacklist_entity>(system, store, options.entities);
  r.webhooks = spawn_registry<webhook_entity>(system, store, options.entities);
  r.processes = spawn_registry<process_entity>(system, store, options.entities);
  r.tokens = spawn_registry<token_entity>(system, store, options.entities);
  r.manual_deposits = spawn_registry<manual_deposit_entity>(system, store, options.entities);
  r.admin_logs = spawn_registry<admin_log_entity>(system, store, options.entities);
  r.invoices = spawn_registry<invoice_entity>(system, store, options.entities);
  r.notices = spawn_registry<notice_entity>(system, store, options.entities);
  r.conversations = spawn_registry<conversation_entity>(system, store, options.entities);
  r.broadcasts = spawn_registry<broadcast_entity>(system, store, options.entities);
  r.chain_deposits = spawn_registry<chain_deposit_entity>(system, store, options.entities);
  r.chain_scans = spawn_registry<chain_scan_entity>(system, store, options.entities);
  r.chain_sends = spawn_registry<chain_send_entity>(system, store, options.entities);
  r.withdrawals = spawn_registry<withdrawal_entity>(system, store, options.entities);

  ledger_options with_board = options;
  if (!with_board.flows.attention) {
    with_board.flows.attention = std::make_shared<attention_board>();
  }
  out->attention_ = with_board.flows.attention;
  const flow_options& flows = with_board.flows;
  facade_deps d;
  d.r = r;
  for (std::size_t i = 0; i < options.transfer_managers; ++i) {
    d.transfers.push_back(system.spawn(transfer_manager, r, flows));
  }
  d.payouts = system.spawn(payout_manager, r, flows);
  d.purchases = system.spawn(purchase_manager, r, flows, d.payouts);
  d.deposits = system.spawn(deposit_manager, r, flows);
  d.payments = system.spawn(payment_manager, r, flows, d.purchases, d.deposits);
  d.withdrawals = system.spawn(withdrawal_manager, r, flows, recovered->recent_withdrawals);
  out->managers_ = d.transfers;
  out->managers_.push_back(d.purchases);
  out->managers_.push_back(d.deposits);
  out->managers_.push_back(d.payouts);
  out->managers_.push_back(d.payments);
  out->managers_.push_back(d.withdrawals);
  out->facade_ = system.spawn(facade_actor, d);

  out->recovered_ = std::move(*recovered);
  for (const auto& t : out->recovered_.transfers) {
    const auto& manager = d.transfers[std::hash<std::string>{}(t.id) % d.transfers.size()];
    caf::anon_send(manager, resume_atom::value, t);
  }
  for (const auto& p : out->recovered_.processes) {
    const caf::actor& manager =
        p.kind == "purchase" || p.kind == "refund" ? d.purchases : (p.kind == "payment" ? d.payments : d.deposits);
    caf::anon_send(manager, resume_atom::value, p);
  }
  for (const auto& p : out->recovered_.payments) {
    caf::anon_send(d.payments, resume_atom::value, p.order_id, p.payment_id);
  }
  for (const auto& p : out->recovered_.payouts) {
    caf::anon_send(d.payouts, resume_atom::value, p);
  }
  for (const auto& w : out->recovered_.withdrawals) {
    caf::anon_send(d.withdrawals, resume_atom::value, w);
  }
  if (flows.sender) {
    // Accruals that waited (no hot wallet before, or a batch cancelled): batched now if the
    // strategy says so, under an id unique to this start ("pb-s" + the log's length).
    const std::string start = "s" + std::to_string(out->recovered_.records_scanned);
    for (const auto& channel : out->recovered_.accruing_channels) {
      caf::anon_send(d.payouts, accrued_atom::value, channel, start);
    }
  }
  return out;
}

ledger::~ledger() { stop(); }

void ledger::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  caf::anon_send_exit(facade_, caf::exit_reason::user_shutdown);
  for (const auto& manager : managers_) {
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  }
  // Each registry sends exit on to its live entity actors.
  std::vector<caf::actor> registries = routes_.wallets;
  for (const auto& reg : {routes_.users, routes_.channels, routes_.subscriptions, routes_.payouts,
                          routes_.coupons, routes_.settings, routes_.blacklist, routes_.webhooks, routes_.processes,
                          routes_.tokens, routes_.manual_deposits, routes_.admin_logs,
                          routes_.invoices, routes_.notices, routes_.conversations,
                          routes_.broadcasts, routes_.chain_deposits, routes_.chain_scans,
                          routes_.chain_sends, routes_.withdrawals}) {
    registries.push_back(reg);
  }
  for (const auto& reg : registries) {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }
  if (routes_.directory) {
    routes_.directory->clear();
  }
}

registry_stats ledger::wallet_stats(caf::actor_system& system) const {
  registry_stats total;
  caf::scoped_actor self{system};
  for (const auto& shard : routes_.wallets) {
    self->request(shard, std::chrono::seconds(10), stats_atom::value)
        .receive([&](registry_stats s) {
                   total.live += s.live;
                   total.spawned += s.spawned;
                   total.passivated += s.passivated;
                 },
                 [](caf::error&) {});
  }
  return total;
}

}  // namespace telepay::actors
