// The operator API. Reads are answered on the io thread from the projections (shared lock);
// writes go to the ledger facade through the bridge and are answered when durable. Every write
// needs an Idempotency-Key: its first answer is recorded in the admin log with the token, and
// a retry with the same key gets that answer again (a different body under the same key: 422).

#include "gateways/http/api.hpp"
#include "gateways/http/body.hpp"
#include "gateways/http/config_reads.hpp"
#include "gateways/http/read_routes.hpp"
#include "gateways/http/write_routes.hpp"
#include "domain/base/visit.hpp"

#include <charconv>
#include <deque>
#include <set>
#include <tuple>

#include "actors/client.hpp"
#include "actors/reads.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/codec/json.hpp"

namespace telepay::gateways::http {
namespace {

using domain::json_document;
using domain::json_value;

// ---- small helpers ----

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The HTTP status of each error code (no default: a new code does not compile until it has one).
unsigned status_for(errc code) {
  switch (code) {
    case errc::invalid_argument:
    case errc::stream_name_invalid:
    case errc::event_type_invalid:
    case errc::events_must_not_be_empty:
    case errc::too_many_events:
    case errc::payload_too_large:
    case errc::metadata_invalid:
    case errc::idempotency_key_invalid:
    case errc::snapshot_invalid:
    case errc::amount_invalid:
    case errc::amount_must_be_positive:
    case errc::amount_overflow:
    case errc::asset_unknown:
    case errc::asset_mismatch:
    case errc::rate_invalid:
    case errc::transfer_exists_with_different_amount:
    case errc::hold_expired:
    case errc::overflows_credits:
    case errc::overflows_debits:
    case errc::transfer_id_invalid:
    case errc::wallet_owner_invalid:
    case errc::self_referral:
    case errc::referral_cycle:
    case errc::user_banned:
    case errc::blacklisted:
    case errc::referral_code_invalid:
    case errc::user_id_invalid:
    case errc::tiers_invalid:
    case errc::donation_out_of_range:
    case errc::withdrawal_below_minimum:
    case errc::payout_address_invalid:
    case errc::payout_threshold_invalid:
    case errc::channel_title_invalid:
    case errc::subscription_not_expired:
    case errc::coupon_not_applicable:
    case errc::coupon_invalid:
    case errc::payout_nothing_to_batch:
    case errc::setting_unknown:
    case errc::setting_invalid:
    case errc::event_decode_failed:
    case errc::event_type_unknown:
    case errc::event_version_unsupported:
    case errc::token_invalid:
    case errc::role_invalid:
    case errc::idempotency_key_required:
    case errc::signature_missing:
    case errc::signature_invalid:
    case errc::payment_invalid: return 400;
    case errc::unauthenticated: return 401;
    case errc::forbidden: return 403;
    case errc::not_found:
    case errc::hold_not_found:
    case errc::user_not_registered:
    case errc::referrer_unknown:
    case errc::channel_not_found:
    case errc::tier_not_found:
    case errc::subscription_not_found:
    case errc::coupon_not_found:
    case errc::payout_batch_not_found:
    case errc::manual_deposit_not_found:
    case errc::token_not_found:
    case errc::invoice_not_found:
    case errc::withdrawal_not_found:
    case errc::broadcast_not_found:
    case errc::purchase_not_found:
    case errc::webhook_not_found: return 404;
    case errc::wrong_expected_version:
    case errc::insufficient_funds:
    case errc::user_already_registered:
    case errc::referrer_already_set:
    case errc::user_not_banned:
    case errc::already_blacklisted:
    case errc::not_blacklisted:
    case errc::channel_exists:
    case errc::donations_disabled:
    case errc::channel_disabled:
    case errc::coupon_expired:
    case errc::coupon_exhausted:
    case errc::coupon_already_used:
    case errc::coupon_exists:
    case errc::payout_state_invalid:
    case errc::process_failed:
    case errc::approval_same_operator:
    case errc::approval_state_invalid:
    case errc::manual_deposit_state_invalid:
    case errc::token_exists:
    case errc::invoice_exists:
    case errc::deposit_state_invalid:
    case errc::withdrawal_state_invalid:
    case errc::approval_pending:
    case errc::send_state_invalid:
    case errc::chain_not_configured:
    case errc::broadcast_state_invalid:
    case errc::refund_refused:
    case errc::webhook_state_invalid: return 409;
    case errc::idempotency_key_reused_with_different_payload: return 422;
    case errc::rate_limited: return 429;
    case errc::chain_broken:
    case errc::record_corrupt:
    case errc::format_mismatch:
    case errc::internal: return 500;
    case errc::upstream_failed:
    case errc::chain_rpc_failed:
    case errc::chain_reply_malformed: return 502;
    case errc::store_closed:
    case errc::storage_failed:
    case errc::append_queue_full:
    case errc::request_timeout:
    case errc::overloaded:
    case errc::upstream_unavailable:
    case errc::chain_mismatch: return 503;
  }
  return 500;  // not reached: every code is listed above
}

/// What a client is told of a server-side failure: a fixed phrase (the code is in "error"),
/// never the detail, which can carry file paths or library text; the detail goes to the log.
std::string_view public_message(unsigned status) {
  switch (status) {
    case 502: return "an upstream service (payment provider or chain node) did not give a usable answer";
    case 503:
      return "the server cannot do this now (overloaded, shutting down, a dependency or the event log "
             "unavailable); retry later with the same Idempotency-Key";
    default: return "internal error";
  }
}

response from_error(const error& e) {
  const unsigned status = status_for(e.code);
  if (status < 500) {
    return error_response(status, errc_name(e.code), e.message);
  }
  response out = error_response(status, errc_name(e.code), public_message(status));
  out.log_detail = e.message;
  return out;
}

response json_ok(std::string body, unsigned status = 200) { return json_response(status, std::move(body)); }

response from_result(const result<std::string>& r) {
  return r ? json_ok(*r) : from_error(r.error());
}

std::string entity_body(const actors::entity_reply& reply) {
  static constexpr const char* names[] = {"", "written", "deduplicated", "unchanged"};
  return "{\"result\":\"" + std::string(names[static_cast<int>(reply.result)]) +
         "\",\"first_seq\":" + std::to_string(reply.first_seq) +
         ",\"last_seq\":" + std::to_string(reply.last_seq) +
         ",\"version\":" + std::to_string(reply.version) + "}";
}

std::string withdrawal_body(const domain::withdrawal::state& w) {
  std::string out = "{\"address\":";
  append_json_string(out, w.address);
  out += ",\"amount\":";
  append_json_string(out, domain::format_amount(w.value));
  out += ",\"approval_reason\":";
  append_json_string(out, w.approval_reason);
  out += ",\"approved_by\":";
  append_json_string(out, w.approved_by);
  out += ",\"asset\":\"USDT\",\"id\":";
  append_json_string(out, w.id);
  out += ",\"needs_approval\":";
  out += w.needs_approval ? "true" : "false";
  out += ",\"reason\":";
  append_json_string(out, w.reason);
  out += ",\"requested_by\":";
  append_json_string(out, w.requested_by);
  out += ",\"status\":";
  append_json_string(out, domain::withdrawal::status_name(w.status));
  out += ",\"tx_hash\":";
  append_json_string(out, w.tx_hash);
  out += ",\"user_id\":" + std::to_string(w.user.value()) + "}";
  return out;
}

std::string process_body(const actors::process_reply& reply) {
  std::string out = "{\"process\":";
  append_json_string(out, reply.process);
  out += ",\"outcome\":";
  append_json_string(out, reply.outcome);
  out += ",\"last_seq\":" + std::to_string(reply.last_seq) + "}";
  return out;
}

// ---- request bodies ----

}  // namespace

// ---- the implementation ----

struct api::impl : std::enable_shared_from_this<api::impl> {
  actors::ledger_client& client;
  const actors::ledger_reads& reads;
  api_hooks hooks;
  rate_limiter limiter;    // per token
  rate_limiter anonymous;  // per client address, for requests without a valid token

  mutable std::mutex counters_mutex;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests;  // (route, status)
  std::map<std::string, std::uint64_t> refusals;                       // by reason

  // An Idempotency-Key is scoped to (token, method, path): the same key on another route is
  // another request.
  using scope = std::tuple<std::string, std::string, std::string, std::string>;
  struct running {
    std::string digest;               // of the body that started it
    std::vector<responder> waiting;   // the first request and its exact duplicates
  };
  std::mutex inflight_mutex;
  std::map<scope, running> inflight;
  // Answers recorded recently, until the audit-log projection surely has them (a retry right
  // after the answer must not run the command again).
  std::map<scope, actors::recorded_answer> recent;
  std::deque<scope> recent_order;
  static constexpr std::size_t recent_max = 65536;

  std::optional<actors::recorded_answer> recent_answer_locked(const scope& s) const {
    const auto found = recent.find(s);
    return found == recent.end() ? std::nullopt : std::optional(found->second);
  }

  impl(actors::ledger_client& c, const actors::ledger_reads& r, api_hooks h)
      : client(c), reads(r), hooks(std::move(h)) {}

  struct caller {
    std::string token_id;
    domain::role access = domain::role::auditor;
    std::string identity;  // the operator the token acts for
  };

  void count(const std::string& route, unsigned status) {
    std::lock_guard lock(counters_mutex);
    requests[{route, status}] += 1;
  }
  void refuse(const std::string& reason) {
    std::lock_guard lock(counters_mutex);
    refusals[reason] += 1;
  }

  /// The anonymous per-address limit: a 429 to send when this address is over it.
  std::optional<response> over_anonymous_limit(const request& req) {
    const auto wait = anonymous.take(req.remote_address, hooks.anonymous_rate_per_second, hooks.anonymous_burst);
    if (!wait) {
      return std::nullopt;
    }
    refuse("anonymous_rate_limited");
    response r = error_response(429, "rate_limited", "too many requests without a valid token from this address");
    r.headers.emplace_back("Retry-After", std::to_string(std::max<std::uint32_t>(1, *wait)));
    return r;
  }

  /// A 401, counted against the address's anonymous limit (429 once that is spent, so guessing
  /// tokens is as limited as any other anonymous traffic).
  response unauthenticated(const request& req, const std::string& reason, std::string_view message) {
    if (auto limited = over_anonymous_limit(req)) {
      return *limited;
    }
    refuse(reason);
    return error_response(401, "unauthenticated", message);
  }

  /// Authenticates and authorizes; on failure returns the response to send.
  std::variant<caller, response> authenticate(const request& req, domain::role need) {
    const std::string_view header = req.header("authorization");
    if (header.substr(0, 7) != "Bearer ") {
      return unauthenticated(req, "missing_token", "send Authorization: Bearer <token>");
    }
    const auto parts = parse_token(header.substr(7));
    const auto token = parts ? reads.token(parts->id) : std::nullopt;
    // Hash even when the id is unknown, so timing does not reveal which ids exist.
    const std::string presented = sha256_hex(parts ? parts->secret : std::string(header));
    if (!token || !digests_equal(presented, token->secret_sha256) || token->revoked) {
      return unauthenticated(req, "bad_token", "unknown, revoked or malformed token");
    }
    if (token->pending) {
      return unauthenticated(req, "pending_token", "this token waits for a second admin's approval");
    }
    if (!address_allowed(req.remote_address, token->allowed_cidrs)) {
      refuse("address_not_allowed");
      return error_response(403, "forbidden", "this token is not allowed from " + req.remote_address);
    }
    if (auto wait = limiter.take(parts->id, token->rate_per_second, token->burst)) {
      refuse("rate_limited");
      response r = error_response(429, "rate_limited", "rate limit exceeded; retry later");
      r.headers.emplace_back("Retry-After", std::to_string(std::max<std::uint32_t>(1, *wait)));
      return r;
    }
    if (!domain::role_allows(token->access, need)) {
      refuse("role");
      return error_response(403, "forbidden", "this needs the " +
                                                  std::string(domain::role_name(need)) + " role");
    }
    return caller{parts->id, token->access, token->identity};
  }

  using read_fn = std::function<response(const request&)>;
  using write_fn = std::function<void(const request&, const caller&, responder)>;

  handler guarded_read(std::string route, domain::role need, read_fn fn) {
    auto self = shared_from_this();
    return [self, route, need, fn](const request& req, responder reply) {
      auto who = self->authenticate(req, need);
      response out = std::holds_alternative<response>(who) ? std::get<response>(who) : fn(req);
      self->count(route, out.status);
      reply(std::move(out));
    };
  }

  /// Whether an answer is kept as the key's answer. Requests refused before they ran (bad
  /// input, auth, limits: nothing was written) and transient failures (5xx, 429) are not: a
  /// retry with the same key runs again. Answers the ledger decided are.
  /// Only outcomes are remembered under an Idempotency-Key: a refusal (4xx) wrote nothing, so a
  /// retry after fixing its cause (registering the user, correcting the body) runs again
  /// instead of replaying the refusal; a 5xx may be transient.
  static bool remembered(unsigned status) { return status >= 200 && status < 300; }

  static response replay(const actors::recorded_answer& before, const std::string& digest,
                         const scope& s) {
    if (before.request_sha256 != digest) {
      return error_response(422, "idempotency_key_reused_with_different_payload",
                            "this Idempotency-Key was used for " + std::get<1>(s) + " " + std::get<2>(s) +
                                " with a different body");
    }
    response r = json_ok(before.body, before.status);
    r.headers.emplace_back("Idempotent-Replay", "true");
    // Names what this answer is for: the request that first used the key.
    r.headers.emplace_back("Idempotent-Replay-Of", std::get<1>(s) + " " + std::get<2>(s));
    if (before.recorded_at_us != 0) {
      r.headers.emplace_back("Idempotent-Replay-Recorded-At", format_utc_micros(before.recorded_at_us));
    }
    return r;
  }

  /// A write: authenticated, idempotent by (token, method, path, key), recorded in the admin
  /// log with its answer.
  handler guarded_write(std::string route, domain::role need, write_fn fn) {
    auto self = shared_from_this();
    return [self, route, need, fn](const request& req, responder reply) {
      auto who = self->authenticate(req, need);
      if (std::holds_alternative<response>(who)) {
        self->count(route, std::get<response>(who).status);
        reply(std::get<response>(who));
        return;
      }
      const caller c = std::get<caller>(who);
      const std::string key(req.header("idempotency-key"));
      if (!domain::is_token(key, 128)) {
        response r = error_response(400, "idempotency_key_required",
                                    "send an Idempotency-Key header: 1-128 of A-Z a-z 0-9 _ . : -");
        self->count(route, r.status);
        reply(std::move(r));
        return;
      }
      const std::string digest = sha256_hex(req.body);
      const scope s{c.token_id, req.method, req.path, key};
      const auto answer_now = [&](response r) {
        self->count(route, r.status);
        reply(std::move(r));
      };
      {
        std::lock_guard lock(self->inflight_mutex);
        if (auto before = self->recent_answer_locked(s)) {
          answer_now(replay(*before, digest, s));
          return;
        }
      }
      if (auto before = self->reads.recorded(c.token_id, req.method, req.path, key)) {
        answer_now(replay(*before, digest, s));
        return;
      }
      {
        std::lock_guard lock(self->inflight_mutex);
        if (auto before = self->recent_answer_locked(s)) {  // answered since the check above
          answer_now(replay(*before, digest, s));
          return;
        }
        auto [it, first] = self->inflight.try_emplace(s);
        if (!first) {
          if (it->second.digest != digest) {
            answer_now(error_response(422, "idempotency_key_reused_with_different_payload",
                                      "this Idempotency-Key is in use by a request with a different body"));
            return;
          }
          it->second.waiting.push_back(std::move(reply));
          return;  // the same request is being executed: answer both when it finishes
        }
        it->second.digest = digest;
        it->second.waiting.push_back(std::move(reply));
      }
      fn(req, c, [self, route, s, digest](response out) {
        const auto release = [self, route, s](const response& answer, const actors::recorded_answer* keep) {
          std::vector<responder> waiting;
          {
            std::lock_guard lock(self->inflight_mutex);
            if (keep != nullptr) {
              self->recent[s] = *keep;
              self->recent_order.push_back(s);
              if (self->recent_order.size() > recent_max) {
                self->recent.erase(self->recent_order.front());
                self->recent_order.pop_front();
              }
            }
            if (auto found = self->inflight.find(s); found != self->inflight.end()) {
              waiting = std::move(found->second.waiting);
              self->inflight.erase(found);
            }
          }
          for (auto& r : waiting) {
            self->count(route, answer.status);
            r(answer);
          }
        };
        if (!remembered(out.status)) {
          out.recorded_body.clear();
          release(out, nullptr);
          return;
        }
        // Record the answer (never a token secret), then release everyone waiting on the key.
        const auto& [token, method, path, used_key] = s;
        domain::admin_log::recorded entry{token, method, path, used_key, digest, out.status,
                                          out.recorded_body.empty() ? out.body : out.recorded_body};
        out.recorded_body.clear();
        const actors::recorded_answer answer{entry.status, entry.response, digest, 0};
        self->client.ask<actors::entity_reply>(
            actors::admin_log_request{std::move(entry), now_us()},
            [release, out, answer](result<actors::entity_reply>) { release(out, &answer); });
      });
    };
  }

  /// Sends a decoded write to where it goes; one branch per command (a new one does not compile
  /// until it has its own).
  void dispatch(write_command command, const caller& who, responder done) {
    std::visit(overload{
                   [&](actors::register_user_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::user_admin_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::blacklist_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::channel_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::coupon_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::manual_deposit_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::manual_deposit_approval& x) { send_process(std::move(x), std::move(done)); },
                   [&](actors::purchase_request& x) { send_process(std::move(x), std::move(done)); },
                   [&](actors::refund_request& x) { send_process(std::move(x), std::move(done)); },
                   [&](actors::settings_request& x) { send_setting(std::move(x), std::move(done)); },
                   [&](token_mint& x) { mint(std::move(x), who, std::move(done)); },
                   [&](actors::token_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::withdrawal_request& x) { send_withdrawal(std::move(x), std::move(done)); },
                   [&](actors::withdrawal_decision& x) { send_withdrawal(std::move(x), std::move(done)); },
                   [&](actors::payout_cancel& x) { send_entity(std::move(x), std::move(done)); },
                   [&](actors::broadcast_request& x) {
                     if (std::holds_alternative<domain::broadcast::cancel>(x.command)) {
                       send_entity(std::move(x), std::move(done));  // stopping needs no gateway
                       return;
                     }
                     if (!hooks.broadcasts_delivered) {
                       done(error_response(503, "not_configured",
                                           "Telegram is not configured on this server: nothing would deliver the "
                                           "broadcast; nothing was recorded"));
                       return;
                     }
                     send_broadcast(std::move(x), std::move(done));
                   },
                   [&](chain_rescan& x) {
                     done(hooks.chain_rescan ? hooks.chain_rescan(x)
                                             : error_response(409, "chain_not_configured",
                                                              "the chain gateway is not configured on this server"));
                   },
                   [&](invoice_order& x) {
                     if (!hooks.create_invoice) {
                       done(error_response(503, "not_configured", "NOWPayments is not configured on this server"));
                       return;
                     }
                     hooks.create_invoice(x, std::move(done));
                   },
                   [&](deposit_address_assign& x) {
                     if (!hooks.assign_deposit_address) {
                       done(error_response(409, "chain_not_configured",
                                           "the chain gateway is not configured on this server"));
                       return;
                     }
                     hooks.assign_deposit_address(x.user, std::move(done));
                   },
                   [&](webhook_register& x) { register_webhook(std::move(x), std::move(done)); },
                   [&](actors::webhook_request& x) { send_entity(std::move(x), std::move(done)); },
                   [&](process_retry& x) {
                     // A parked process resumes where it stopped (its steps are idempotent).
                     if (!hooks.attention || !hooks.attention->retry(x.kind, x.id)) {
                       done(error_response(404, "not_found", "no parked " + x.kind + " process " + x.id));
                       return;
                     }
                     done(json_response(202, "{\"retrying\":true}"));
                   },
               },
               command);
  }

  /// A new token: its secret is shown once and never stored (a retry gets the summary only).
  /// Under dual control a write token for another operator waits for a second admin: one admin
  /// alone cannot mint a second person to approve their own requests.
  void mint(token_mint m, const caller& who, responder done) {
    const bool writes = m.create.access != domain::role::auditor;
    m.create.pending = writes && "op:" + m.create.operator_name != who.identity && reads.dual_control();
    const new_token token = generate_token();
    m.create.secret_sha256 = token.secret_sha256;
    const std::string id = token.id;
    const std::string text = token.text;
    const std::string role_name(domain::role_name(m.create.access));
    const bool pending = m.create.pending;
    std::string summary = "{\"operator\":";
    append_json_string(summary, m.create.operator_name);
    summary += ",\"role\":\"" + role_name + "\",\"status\":\"" + (pending ? "pending_approval" : "active") +
               "\",\"token_id\":\"" + id + "\"";
    client.ask<actors::entity_reply>(
        actors::token_request{id, std::move(m.create), now_us()},
        [done, text, summary, pending](result<actors::entity_reply> reply) {
          if (!reply) {
            done(from_error(reply.error()));
            return;
          }
          response out = json_ok(summary + ",\"token\":\"" + text + "\"}", pending ? 202 : 201);
          out.recorded_body = summary + ",\"note\":\"the secret was shown once\"}";
          done(std::move(out));
        });
  }

  /// A new webhook endpoint: its id is made here, its secret (derived from the server's key) is
  /// shown once and never recorded (a retry gets the answer without it).
  void register_webhook(webhook_register w, responder done) {
    if (!hooks.webhook_secret) {
      done(error_response(503, "not_configured", "webhooks are not configured on this server; nothing was recorded"));
      return;
    }
    w.endpoint.id = generate_webhook_id();
    std::string summary;
    {
      domain::json_object_writer out(summary);
      out.raw("event_types", domain::json_string_array(w.endpoint.types));
      if (w.endpoint.from_seq != 0) out.u64("from_seq", w.endpoint.from_seq);
      out.str("id", w.endpoint.id);
    }
    summary.pop_back();
    const std::string url = w.endpoint.url;
    const std::string secret = hooks.webhook_secret(w.endpoint.id);
    client.ask<actors::entity_reply>(
        actors::webhook_request{std::move(w.endpoint), w.now_us},
        [done, summary, url, secret](result<actors::entity_reply> reply) {
          if (!reply) {
            done(from_error(reply.error()));
            return;
          }
          // The keys after "id", in order: note or secret, seq, url.
          std::string tail = ",\"seq\":" + std::to_string(reply->last_seq) + ",\"url\":";
          append_json_string(tail, url);
          response out = json_ok(summary + ",\"secret\":\"" + secret + "\"" + tail + "}", 201);
          out.recorded_body = summary + ",\"note\":\"the secret was shown once\"" + tail + "}";
          done(std::move(out));
        });
  }

  /// A setting: under dual control a change that weakens a control (raises a withdrawal
  /// limit) is recorded as a request that a second admin approves.
  void send_setting(actors::settings_request request, responder done) {
    auto* set = std::get_if<domain::settings::set>(&request.command);
    if (set == nullptr) {
      send_entity(std::move(request), std::move(done));
      return;
    }
    set->second_admin_required = reads.dual_control();
    const bool required = set->second_admin_required;
    const std::string key = set->key;
    const std::string value = set->value;
    auto self = shared_from_this();
    client.ask<domain::settings::state>(
        actors::settings_query{}, [self, request = std::move(request), done, required, key,
                                   value](result<domain::settings::state> current) mutable {
          if (!current) {
            done(from_error(current.error()));
            return;
          }
          auto weaker = domain::settings::weakens(*current, key, value);
          if (!weaker) {
            done(from_error(weaker.error()));
            return;
          }
          const bool waits = required && *weaker;
          self->client.ask<actors::entity_reply>(std::move(request), [done, waits](result<actors::entity_reply> r) {
            if (!r) {
              done(from_error(r.error()));
              return;
            }
            std::string body = entity_body(*r);
            body.pop_back();
            body += std::string(",\"status\":\"") + (waits ? "pending_approval" : "applied") + "\"}";
            done(json_ok(std::move(body), waits ? 202 : 200));
          });
        });
  }

  void send_broadcast(actors::broadcast_request request, responder done) {
    client.ask<actors::entity_reply>(std::move(request), [done](result<actors::entity_reply> r) {
      if (!r) {
        done(from_error(r.error()));
        return;
      }
      done(json_ok("{\"first_seq\":" + std::to_string(r->first_seq) + ",\"last_seq\":" +
                       std::to_string(r->last_seq) + "}",
                   202));
    });
  }

  template <class Request>
  void send_entity(Request request, responder done) {
    client.ask<actors::entity_reply>(std::move(request), [done](result<actors::entity_reply> r) {
      done(r ? json_ok(entity_body(*r)) : from_error(r.error()));
    });
  }

  template <class Request>
  void send_withdrawal(Request request, responder done) {
    client.ask<domain::withdrawal::state>(std::move(request), [done](result<domain::withdrawal::state> r) {
      done(r ? json_ok(withdrawal_body(*r)) : from_error(r.error()));
    });
  }

  template <class Request>
  void send_process(Request request, responder done) {
    client.ask<actors::process_reply>(std::move(request), [done](result<actors::process_reply> r) {
      done(r ? json_ok(process_body(*r)) : from_error(r.error()));
    });
  }
};

response error_answer(const error& e) { return from_error(e); }

api::api(actors::ledger_client& client, const actors::ledger_reads& reads, api_hooks hooks)
    : impl_(std::make_shared<impl>(client, reads, std::move(hooks))) {}

api::~api() = default;

std::string api::metrics_text() const {
  std::lock_guard lock(impl_->counters_mutex);
  std::string out =
      "# HELP telepay_http_requests_total HTTP requests by route and status.\n"
      "# TYPE telepay_http_requests_total counter\n";
  for (const auto& [key, count] : impl_->requests) {
    out += "telepay_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP telepay_http_refusals_total Requests refused before reaching a handler, by reason.\n"
      "# TYPE telepay_http_refusals_total counter\n";
  for (const auto& [reason, count] : impl_->refusals) {
    out += "telepay_http_refusals_total{reason=\"" + reason + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace telepay::gateways::http

// ---- routes ----

namespace telepay::gateways::http {
namespace {

actors::page_request page_of(const read_args& args) {
  actors::page_request page;
  page.cursor = args.cursor;
  page.limit = args.limit;
  return page;
}

/// `since` and `until` (microseconds; 0 when absent), as decode_read checked them.
actors::ledger_reads::time_range range_of(const read_args& args) {
  return actors::ledger_reads::time_range{args.integer("since", 0), args.integer("until", 0)};
}

}  // namespace

void api::install(router& r) {
  using domain::role;
  auto self = impl_;
  // Every read is decoded by its row of the read-route table (gateways/http/read_routes.hpp)
  // before it runs: a parameter the route does not take, or a bad one, is a 400 naming it.
  const auto read = [&](std::string_view pattern, role need,
                        std::function<response(const request&, const read_args&)> fn) {
    const read_route* route = find_read_route(pattern);
    LEDGER_ASSERT(route != nullptr && route->need == need, "read route ", pattern, " is not in read_routes()");
    r.add("GET", std::string(pattern),
          self->guarded_read(std::string(pattern), need, [route, fn = std::move(fn)](const request& req) {
            auto args = decode_read(*route, req);
            return args ? fn(req, *args) : from_error(args.error());
          }));
  };
  const auto& reads = self->reads;

  // Unauthenticated: liveness/readiness and the API description.
  add_public(r, "GET", "/health", [self](const request&, responder reply) {
    response out = json_ok(self->hooks.health ? self->hooks.health() : "{\"status\":\"ok\"}");
    if (out.body.find("\"ready\":false") != std::string::npos) {
      out.status = 503;
    }
    reply(std::move(out));
  });
  add_public(r, "GET", "/openapi.json", [self](const request&, responder reply) {
    reply(json_ok(self->hooks.openapi));
  });
  read("/metrics", role::auditor, [self, this](const request&, const read_args&) {
    response out;
    out.content_type = "text/plain; version=0.0.4";
    out.body = (self->hooks.metrics ? self->hooks.metrics() : std::string()) + metrics_text();
    return out;
  });

  // ---- what operators set, read back from the entities (always current) ----
  add_read(r, "/v1/settings", role::auditor, [self](const request&, const read_args&, responder reply) {
    self->client.ask<domain::settings::state>(actors::settings_query{}, [reply](result<domain::settings::state> s) {
      reply(s ? json_ok(settings_body(*s)) : from_error(s.error()));
    });
  });
  add_read(r, "/v1/channels/{id}/config", role::auditor, [self](const request&, const read_args& a, responder reply) {
    auto channel = domain::make_channel_id(a.id);
    if (!channel) {
      reply(from_error(channel.error()));
      return;
    }
    self->client.ask<domain::channel::state>(actors::channel_query{*channel},
                                             [reply](result<domain::channel::state> c) {
                                               auto body = c ? channel_config_body(*c) : result<std::string>(c.error());
                                               reply(body ? json_ok(std::move(*body)) : from_error(body.error()));
                                             });
  });
  add_read(r, "/v1/coupons/{code}", role::auditor, [self](const request&, const read_args& a, responder reply) {
    auto code = domain::coupon::normalize_code(a.key);
    if (!code) {
      reply(from_error(make_error(errc::coupon_not_found, "no coupon " + utf8_prefix(a.key, 64))));
      return;
    }
    self->client.ask<domain::coupon::state>(actors::coupon_query{*code}, [reply](result<domain::coupon::state> c) {
      auto body = c ? coupon_body(*c) : result<std::string>(c.error());
      reply(body ? json_ok(std::move(*body)) : from_error(body.error()));
    });
  });
  add_read(r, "/v1/broadcasts/{id}", role::auditor, [self](const request&, const read_args& a, responder reply) {
    self->client.ask<domain::broadcast::state>(actors::broadcast_query{a.key},
                                               [reply](result<domain::broadcast::state> b) {
                                                 auto body = b ? broadcast_body(*b) : result<std::string>(b.error());
                                                 reply(body ? json_ok(std::move(*body)) : from_error(body.error()));
                                               });
  });
  read("/v1/tokens", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.tokens(page_of(a))); });
  read("/v1/coupons", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.coupons(page_of(a), a.text("status"), now_us()));
  });

  // ---- reads (auditor) ----
  read("/v1/users", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.users(page_of(a))); });
  read("/v1/users/{id}", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.user(a.id)); });
  // `at` (a seq or a time) as the seq to fold to: 0 for now; nullopt when the log starts later.
  const auto at_seq_of = [&reads](const read_args& a) -> result<std::optional<std::uint64_t>> {
    std::uint64_t at_seq = 0;
    if (a.at_seq) {
      at_seq = *a.at_seq;
    } else if (a.at_time_us) {
      TELEPAY_TRY(found, reads.seq_at(*a.at_time_us));
      if (found == 0) return std::optional<std::uint64_t>();
      at_seq = found;
    }
    if (at_seq > reads.head_seq()) {
      return make_error(errc::invalid_argument, "at is beyond the head of the log");
    }
    return std::optional<std::uint64_t>(at_seq);
  };
  read("/v1/users/{id}/balances", role::auditor, [&reads, at_seq_of](const request&, const read_args& a) {
    auto at = at_seq_of(a);
    if (!at) return from_error(at.error());
    if (!*at) return json_ok("{\"user_id\":" + std::to_string(a.id) + ",\"as_of_seq\":0,\"wallets\":[]}");
    return from_result(reads.user_balances(a.id, **at));
  });
  // The {owner} of an account route; an owner that cannot be is an account that does not exist.
  const auto account_of = [](const read_args& a) -> result<domain::wallet_owner> {
    auto owner = domain::parse_wallet_owner(a.key);
    if (!owner) return make_error(errc::not_found, "no account " + a.key + " (" + owner.error().message + ")");
    return owner;
  };
  read("/v1/accounts/{owner}/balances", role::auditor, [&reads, at_seq_of, account_of](const request&, const read_args& a) {
    auto owner = account_of(a);
    if (!owner) return from_error(owner.error());
    auto at = at_seq_of(a);
    if (!at) return from_error(at.error());
    if (!*at) {
      std::string out = "{\"as_of_seq\":0,\"owner\":";
      append_json_string(out, owner->text());
      return json_ok(out + ",\"wallets\":[]}");
    }
    return from_result(reads.account_balances(*owner, **at));
  });
  read("/v1/accounts/{owner}/statement", role::auditor, [&reads, account_of](const request&, const read_args& a) {
    auto owner = account_of(a);
    if (!owner) return from_error(owner.error());
    const std::string code = a.text("asset");
    auto currency = domain::parse_asset(code.empty() ? "USDT" : code);
    if (!currency) return from_error(currency.error());
    return from_result(reads.statement(domain::wallet_key{*owner, *currency},
                                       static_cast<std::uint64_t>(a.integer("after_version", 0)),
                                       static_cast<std::size_t>(a.integer("limit", 100))));
  });
  read("/v1/wallets", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.wallets(page_of(a), a.text("owner"), a.text("kind")));
  });
  read("/v1/referrals/leaderboard", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.leaderboard(static_cast<std::size_t>(a.integer("limit", 10)),
                                         static_cast<std::size_t>(a.integer("offset", 0))));
  });
  read("/v1/referrals/{id}", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.referral(a.id)); });
  read("/v1/subscriptions", role::auditor, [&reads](const request&, const read_args& a) {
    if (a.has("user") && a.has("user_id")) {
      return error_response(400, "invalid_argument", "give user_id or user (the older name), not both");
    }
    const std::int64_t user = a.integer("user_id", a.integer("user", 0));
    const std::int64_t days = a.integer("within_days", 0);
    return from_result(reads.subscriptions(page_of(a), user, a.integer("channel_id", a.integer("channel", 0)), a.text("status"),
                                           static_cast<std::uint32_t>(days == 0 ? 3 : days), now_us()));
  });
  read("/v1/channels", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.channels(page_of(a))); });
  read("/v1/channels/{id}", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.channel(a.id)); });
  read("/v1/payouts", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.payouts(page_of(a), a.integer("channel_id", a.integer("channel", 0)), a.text("status")));
  });
  read("/v1/processes", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.processes(page_of(a), a.text("kind"), a.text("status"), range_of(a)));
  });
  read("/v1/manual-deposits", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.manual_deposits(page_of(a), a.text("status")));
  });
  read("/v1/invoices", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.invoices(page_of(a), a.integer("user_id", 0), a.text("status"), range_of(a)));
  });
  read("/v1/invoices/{order_id}", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.invoice(a.key)); });
  read("/v1/withdrawals", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.withdrawals(page_of(a), a.integer("user_id", 0), a.text("status")));
  });
  read("/v1/withdrawals/{id}", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.withdrawal(a.key)); });
  read("/v1/chain/deposits", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.chain_deposits(page_of(a), a.integer("user_id", 0), a.text("status")));
  });
  read("/v1/processes/attention", role::auditor, [self](const request&, const read_args&) {
    std::string out = "{\"processes\":[";
    bool first = true;
    for (const auto& p : self->hooks.attention ? self->hooks.attention->list() : std::vector<actors::parked_process>{}) {
      out += first ? "" : ",";
      first = false;
      out += "{\"attempts\":" + std::to_string(p.attempts) + ",\"error\":";
      append_json_string(out, errc_name(p.last_error.code));
      out += ",\"id\":";
      append_json_string(out, p.id);
      out += ",\"kind\":";
      append_json_string(out, p.kind);
      out += ",\"since\":";
      append_json_string(out, format_utc_micros(p.since_us));
      out += ",\"step\":";
      append_json_string(out, p.step);
      out += "}";
    }
    return json_ok(out + "]}");
  });
  read("/v1/blacklist", role::auditor,
       [&reads](const request&, const read_args& a) { return from_result(reads.blacklist(page_of(a))); });
  read("/v1/audit-log", role::auditor, [&reads](const request&, const read_args& a) {
    return from_result(reads.audit_log(page_of(a), a.text("token"), range_of(a)));
  });
  read("/v1/events", role::auditor, [&reads](const request&, const read_args& a) {
    auto lines = reads.events(static_cast<std::uint64_t>(a.integer("from", 1)),
                              static_cast<std::size_t>(a.integer("limit", 100)), range_of(a));
    if (!lines) {
      return from_error(lines.error());
    }
    response out;
    out.content_type = "application/x-ndjson";
    out.body = std::move(*lines);
    return out;
  });

  install_writes(r);
}

}  // namespace telepay::gateways::http

// ---- writes ----

namespace telepay::gateways::http {
namespace {

}  // namespace

void api::add_public(router& r, std::string method, std::string pattern, handler fn) {
  auto self = impl_;
  r.add(method, pattern, [self, pattern, fn = std::move(fn)](const request& req, responder reply) {
    if (auto limited = self->over_anonymous_limit(req)) {
      self->count(pattern, limited->status);
      reply(std::move(*limited));
      return;
    }
    fn(req, [self, pattern, reply = std::move(reply)](response out) {
      self->count(pattern, out.status);
      reply(std::move(out));
    });
  });
}

void api::add_read(router& r, std::string pattern, domain::role need, read_handler fn) {
  auto self = impl_;
  const read_route* route = find_read_route(pattern);
  LEDGER_ASSERT(route != nullptr && route->need == need, "read route ", pattern, " is not in read_routes()");
  r.add("GET", pattern, [self, route, pattern, need, fn = std::move(fn)](const request& req, responder reply) {
    auto who = self->authenticate(req, need);
    if (std::holds_alternative<response>(who)) {
      self->count(pattern, std::get<response>(who).status);
      reply(std::get<response>(who));
      return;
    }
    auto args = decode_read(*route, req);
    if (!args) {
      response refused = from_error(args.error());
      self->count(pattern, refused.status);
      reply(std::move(refused));
      return;
    }
    fn(req, *args, [self, pattern, reply = std::move(reply)](response out) {
      self->count(pattern, out.status);
      reply(std::move(out));
    });
  });
}

void api::add_write(router& r, std::string pattern, domain::role need, write_handler fn) {
  r.add("POST", pattern,
        impl_->guarded_write(pattern, need, [fn = std::move(fn)](const request& req, const impl::caller& c,
                                                                 responder done) { fn(req, c.token_id, std::move(done)); }));
}

void api::install_writes(router& r) {
  // Each write: decode the request (400 naming the problem, nothing written), then send the
  // command to the ledger (or the gateway it is for) and answer with what it wrote.
  auto self = impl_;
  for (const write_route& route : write_routes()) {
    const auto decode = route.decode;
    r.add("POST", std::string(route.pattern),
          self->guarded_write(std::string(route.pattern), route.need,
                              [self, decode](const request& req, const impl::caller& c, responder done) {
                                auto command = decode(req, writer{c.token_id, c.identity}, now_us());
                                if (!command) {
                                  done(from_error(command.error()));
                                  return;
                                }
                                self->dispatch(std::move(command).value(), c, std::move(done));
                              }));
  }
}

}  // namespace telepay::gateways::http
