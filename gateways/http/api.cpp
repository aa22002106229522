// The operator API. Reads are answered on the io thread from the projections (shared lock);
// writes go to the ledger facade through the bridge and are answered when durable. Every write
// needs an Idempotency-Key: its first answer is recorded in the admin log with the token, and
// a retry with the same key gets that answer again (a different body under the same key: 422).

#include "gateways/http/api.hpp"

#include <charconv>
#include <deque>
#include <set>

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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The decoded value of `name` in a query string, nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  std::size_t at = 0;
  while (at <= query.size()) {
    const auto end = std::min(query.find('&', at), query.size());
    const std::string_view pair = query.substr(at, end - at);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string out;
      const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out.push_back(' ');
        } else if (raw[i] == '%' && i + 2 < raw.size() + 0 && hex_value(raw[i + 1]) >= 0 &&
                   hex_value(raw[i + 2]) >= 0) {
          out.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
          i += 2;
        } else {
          out.push_back(raw[i]);
        }
      }
      return out;
    }
    at = end + 1;
  }
  return std::nullopt;
}

result<std::int64_t> to_int(std::string_view text, std::string_view what) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return make_error(errc::invalid_argument, std::string(what) + " must be an integer");
  }
  return value;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

unsigned status_for(errc code) {
  switch (code) {
    case errc::not_found:
    case errc::user_not_registered:
    case errc::channel_not_found:
    case errc::tier_not_found:
    case errc::subscription_not_found:
    case errc::coupon_not_found:
    case errc::payout_batch_not_found:
    case errc::manual_deposit_not_found:
    case errc::invoice_not_found:
    case errc::withdrawal_not_found:
    case errc::token_not_found:
    case errc::hold_not_found:
    case errc::referrer_unknown: return 404;
    case errc::channel_exists:
    case errc::token_exists:
    case errc::coupon_exists:
    case errc::already_blacklisted:
    case errc::not_blacklisted:
    case errc::referrer_already_set:
    case errc::user_already_registered:
    case errc::user_not_banned:
    case errc::wrong_expected_version:
    case errc::approval_same_operator:
    case errc::manual_deposit_state_invalid:
    case errc::payout_state_invalid:
    case errc::insufficient_funds:
    case errc::channel_disabled:
    case errc::process_failed:
    case errc::invoice_exists:
    case errc::donations_disabled:
    case errc::coupon_expired:
    case errc::coupon_exhausted:
    case errc::coupon_already_used:
    case errc::withdrawal_state_invalid:
    case errc::deposit_state_invalid:
    case errc::send_state_invalid:
    case errc::approval_pending:
    case errc::chain_not_configured: return 409;
    case errc::upstream_failed:
    case errc::chain_rpc_failed:
    case errc::chain_reply_malformed: return 502;
    case errc::chain_mismatch: return 503;
    case errc::upstream_unavailable: return 503;
    case errc::idempotency_key_reused_with_different_payload: return 422;
    case errc::unauthenticated: return 401;
    case errc::forbidden: return 403;
    case errc::rate_limited: return 429;
    case errc::storage_failed:
    case errc::store_closed:
    case errc::append_queue_full:
    case errc::overloaded:
    case errc::request_timeout: return 503;
    case errc::internal:
    case errc::chain_broken:
    case errc::record_corrupt:
    case errc::format_mismatch: return 500;
    default: return 400;
  }
}

response from_error(const error& e) {
  return error_response(status_for(e.code), errc_name(e.code), e.message);
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
  out += ",\"approved_by\":";
  append_json_string(out, w.approved_by);
  out += ",\"id\":";
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

/// A parsed JSON object body with its allowed member names checked.
struct body {
  json_document document;
  json_value root;

  static result<body> parse(std::string_view text, std::initializer_list<std::string_view> allowed) {
    if (text.empty()) {
      text = "{}";
    }
    TELEPAY_TRY(document, json_document::parse(text));
    json_value root = document.root();
    if (!root.is_object()) {
      return make_error(errc::invalid_argument, "the body must be a JSON object");
    }
    TELEPAY_TRY(names, root.keys());
    std::set<std::string> seen;
    for (const std::string& name : names) {
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        return make_error(errc::invalid_argument, "unknown field '" + name.substr(0, 64) + "'");
      }
      if (!seen.insert(name).second) {
        return make_error(errc::invalid_argument, "field '" + name + "' appears twice");
      }
    }
    return body{std::move(document), root};
  }

  result<std::string> text(std::string_view key) const { return with_field(root.str(key), key); }
  std::string text_or(std::string_view key, std::string fallback) const {
    return root.has(key) ? root.str(key).value() : std::move(fallback);
  }
  result<std::int64_t> integer(std::string_view key) const { return with_field(root.i64(key), key); }
  result<bool> flag(std::string_view key) const { return with_field(root.boolean(key), key); }
  result<domain::amount> money(std::string_view key, domain::asset a) const {
    TELEPAY_TRY(raw, text(key));
    auto parsed = domain::parse_amount(raw, a);
    if (!parsed) {
      return make_error(parsed.code(), std::string(key) + ": " + parsed.error().message);
    }
    return parsed;
  }
  bool has(std::string_view key) const { return root.has(key); }

 private:
  template <class T>
  static result<T> with_field(result<T> r, std::string_view key) {
    if (!r) {
      return make_error(errc::invalid_argument, r.error().message.empty()
                                                    ? std::string(key) + " is invalid"
                                                    : r.error().message);
    }
    return r;
  }
};

}  // namespace

// ---- the implementation ----

struct api::impl : std::enable_shared_from_this<api::impl> {
  actors::ledger_client& client;
  const actors::ledger_reads& reads;
  api_hooks hooks;
  rate_limiter limiter;

  mutable std::mutex counters_mutex;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests;  // (route, status)
  std::map<std::string, std::uint64_t> refusals;                       // by reason

  std::mutex inflight_mutex;
  std::map<std::pair<std::string, std::string>, std::vector<responder>> inflight;
  // Answers recorded recently, until the audit-log projection surely has them (a retry right
  // after the answer must not run the command again).
  std::map<std::pair<std::string, std::string>, actors::recorded_answer> recent;
  std::deque<std::pair<std::string, std::string>> recent_order;
  static constexpr std::size_t recent_max = 65536;

  std::optional<actors::recorded_answer> answered(const std::string& token, const std::string& key) {
    {
      std::lock_guard lock(inflight_mutex);
      if (auto found = recent.find({token, key}); found != recent.end()) {
        return found->second;
      }
    }
    return reads.recorded(token, key);
  }

  impl(actors::ledger_client& c, const actors::ledger_reads& r, api_hooks h)
      : client(c), reads(r), hooks(std::move(h)) {}

  struct caller {
    std::string token_id;
    domain::role access = domain::role::auditor;
  };

  void count(const std::string& route, unsigned status) {
    std::lock_guard lock(counters_mutex);
    requests[{route, status}] += 1;
  }
  void refuse(const std::string& reason) {
    std::lock_guard lock(counters_mutex);
    refusals[reason] += 1;
  }

  /// Authenticates and authorizes; on failure returns the response to send.
  std::variant<caller, response> authenticate(const request& req, domain::role need) {
    const std::string_view header = req.header("authorization");
    if (header.substr(0, 7) != "Bearer ") {
      refuse("missing_token");
      return error_response(401, "unauthenticated", "send Authorization: Bearer <token>");
    }
    const auto parts = parse_token(header.substr(7));
    const auto token = parts ? reads.token(parts->id) : std::nullopt;
    // Hash even when the id is unknown, so timing does not reveal which ids exist.
    const std::string presented = sha256_hex(parts ? parts->secret : std::string(header));
    if (!token || !digests_equal(presented, token->secret_sha256) || token->revoked) {
      refuse("bad_token");
      return error_response(401, "unauthenticated", "unknown, revoked or malformed token");
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
    return caller{parts->id, token->access};
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

  /// A write: authenticated, idempotent by key, recorded in the admin log with its answer.
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
      if (auto before = self->answered(c.token_id, key)) {
        response r;
        if (before->request_sha256 != digest) {
          r = error_response(422, "idempotency_key_reused_with_different_payload",
                             "this Idempotency-Key was used for a different request");
        } else {
          r = json_ok(before->body, before->status);
          r.headers.emplace_back("Idempotent-Replay", "true");
        }
        self->count(route, r.status);
        reply(std::move(r));
        return;
      }
      {
        std::lock_guard lock(self->inflight_mutex);
        if (auto found = self->recent.find({c.token_id, key}); found != self->recent.end()) {
          // Answered between the check above and now.
          response r = found->second.request_sha256 == digest
                           ? json_ok(found->second.body, found->second.status)
                           : error_response(422, "idempotency_key_reused_with_different_payload",
                                            "this Idempotency-Key was used for a different request");
          self->count(route, r.status);
          reply(std::move(r));
          return;
        }
        auto [it, first] = self->inflight.try_emplace({c.token_id, key});
        it->second.push_back(std::move(reply));
        if (!first) {
          return;  // the same request is being executed: answer both when it finishes
        }
      }
      const std::string method = req.method;
      const std::string path = req.path;
      fn(req, c, [self, route, c, key, digest, method, path](response out) {
        // Record the answer (never a token secret), then release everyone waiting on the key.
        domain::admin_log::recorded entry{c.token_id, method, path, key, digest, out.status,
                                          out.recorded_body.empty() ? out.body : out.recorded_body};
        out.recorded_body.clear();
        const actors::recorded_answer answer{entry.status, entry.response, digest};
        self->client.ask<actors::entity_reply>(
            actors::admin_log_request{std::move(entry), now_us()},
            [self, route, c, key, out, answer](result<actors::entity_reply>) mutable {
              std::vector<responder> waiting;
              {
                std::lock_guard lock(self->inflight_mutex);
                self->recent[{c.token_id, key}] = answer;
                self->recent_order.emplace_back(c.token_id, key);
                if (self->recent_order.size() > recent_max) {
                  self->recent.erase(self->recent_order.front());
                  self->recent_order.pop_front();
                }
                auto found = self->inflight.find({c.token_id, key});
                if (found != self->inflight.end()) {
                  waiting = std::move(found->second);
                  self->inflight.erase(found);
                }
              }
              for (auto& r : waiting) {
                self->count(route, out.status);
                r(out);
              }
            });
      });
    };
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

actors::page_request page_of(const request& req) {
  actors::page_request page;
  page.cursor = query_param(req.query, "cursor").value_or("");
  if (auto limit = query_param(req.query, "limit")) {
    auto n = to_int(*limit, "limit");
    page.limit = n && *n > 0 ? static_cast<std::size_t>(*n) : 100;
  }
  return page;
}

result<std::int64_t> path_id(const request& req, std::string_view name) {
  return to_int(req.param(name), name);
}

result<std::int64_t> optional_int(const request& req, std::string_view name) {
  auto text = query_param(req.query, name);
  return text ? to_int(*text, name) : result<std::int64_t>(std::int64_t{0});
}

}  // namespace

void api::install(router& r) {
  using domain::role;
  auto self = impl_;
  const auto read = [&](std::string pattern, role need, impl::read_fn fn) {
    r.add("GET", pattern, self->guarded_read(pattern, need, std::move(fn)));
  };
  const auto& reads = self->reads;

  // Unauthenticated: liveness/readiness and the API description.
  r.add("GET", "/health", [self](const request&, responder reply) {
    response out = json_ok(self->hooks.health ? self->hooks.health() : "{\"status\":\"ok\"}");
    if (out.body.find("\"ready\":false") != std::string::npos) {
      out.status = 503;
    }
    self->count("/health", out.status);
    reply(std::move(out));
  });
  r.add("GET", "/openapi.json", [self](const request&, responder reply) {
    self->count("/openapi.json", 200);
    reply(json_ok(self->hooks.openapi));
  });
  read("/metrics", role::auditor, [self, this](const request&) {
    response out;
    out.content_type = "text/plain; version=0.0.4";
    out.body = (self->hooks.metrics ? self->hooks.metrics() : std::string()) + metrics_text();
    return out;
  });

  // ---- reads (auditor) ----
  read("/v1/users", role::auditor, [&reads](const request& req) { return from_result(reads.users(page_of(req))); });
  read("/v1/users/{id}", role::auditor, [&reads](const request& req) {
    auto id = path_id(req, "id");
    return id ? from_result(reads.user(*id)) : from_error(id.error());
  });
  read("/v1/users/{id}/balances", role::auditor, [&reads](const request& req) {
    auto id = path_id(req, "id");
    if (!id) {
      return from_error(id.error());
    }
    std::uint64_t at_seq = 0;
    if (auto at = query_param(req.query, "at")) {
      if (auto seq = to_int(*at, "at"); seq && *seq > 0) {
        at_seq = static_cast<std::uint64_t>(*seq);
      } else if (auto when = parse_utc_micros(*at)) {
        auto found = reads.seq_at(*when);
        if (!found) {
          return from_error(found.error());
        }
        if (*found == 0) {
          return json_ok("{\"user_id\":" + std::to_string(*id) + ",\"as_of_seq\":0,\"wallets\":[]}");
        }
        at_seq = *found;
      } else {
        return error_response(400, "invalid_argument",
                              "at must be a seq (positive integer) or a UTC time like 2026-11-25T10:00:00Z");
      }
      if (at_seq > reads.head_seq()) {
        return error_response(400, "invalid_argument", "at is beyond the head of the log");
      }
    }
    return from_result(reads.user_balances(*id, at_seq));
  });
  read("/v1/wallets", role::auditor, [&reads](const request& req) {
    return from_result(reads.wallets(page_of(req), query_param(req.query, "owner").value_or("")));
  });
  read("/v1/referrals/leaderboard", role::auditor, [&reads](const request& req) {
    auto limit = optional_int(req, "limit");
    auto offset = optional_int(req, "offset");
    if (!limit || !offset || *offset < 0 || *limit < 0) {
      return error_response(400, "invalid_argument", "limit and offset are non-negative integers");
    }
    return from_result(reads.leaderboard(static_cast<std::size_t>(*limit == 0 ? 10 : *limit),
                                         static_cast<std::size_t>(*offset)));
  });
  read("/v1/referrals/{id}", role::auditor, [&reads](const request& req) {
    auto id = path_id(req, "id");
    return id ? from_result(reads.referral(*id)) : from_error(id.error());
  });
  read("/v1/subscriptions", role::auditor, [&reads](const request& req) {
    auto user = optional_int(req, "user");
    auto channel = optional_int(req, "channel");
    auto days = optional_int(req, "within_days");
    const std::string status = query_param(req.query, "status").value_or("");
    if (!user || !channel || !days || *days < 0 || *days > 3650) {
      return error_response(400, "invalid_argument", "user, channel and within_days (0-3650) are integers");
    }
    if (!status.empty() && status != "active" && status != "expiring" && status != "expired") {
      return error_response(400, "invalid_argument", "status is active, expiring or expired");
    }
    return from_result(reads.subscriptions(page_of(req), *user, *channel, status,
                                           static_cast<std::uint32_t>(*days == 0 ? 3 : *days), now_us()));
  });
  read("/v1/channels", role::auditor, [&reads](const request& req) { return from_result(reads.channels(page_of(req))); });
  read("/v1/channels/{id}", role::auditor, [&reads](const request& req) {
    auto id = path_id(req, "id");
    return id ? from_result(reads.channel(*id)) : from_error(id.error());
  });
  read("/v1/payouts", role::auditor, [&reads](const request& req) {
    auto channel = optional_int(req, "channel");
    if (!channel) {
      return from_error(channel.error());
    }
    return from_result(reads.payouts(page_of(req), *channel, query_param(req.query, "status").value_or("")));
  });
  read("/v1/processes", role::auditor, [&reads](const request& req) {
    return from_result(reads.processes(page_of(req), query_param(req.query, "kind").value_or(""),
                                       query_param(req.query, "status").value_or("")));
  });
  read("/v1/manual-deposits", role::auditor, [&reads](const request& req) {
    return from_result(reads.manual_deposits(page_of(req), query_param(req.query, "status").value_or("")));
  });
  read("/v1/invoices", role::auditor, [&reads](const request& req) {
    auto user = optional_int(req, "user_id");
    if (!user) return from_error(user.error());
    return from_result(reads.invoices(page_of(req), *user, query_param(req.query, "status").value_or("")));
  });
  read("/v1/invoices/{order_id}", role::auditor, [&reads](const request& req) {
    return from_result(reads.invoice(std::string(req.param("order_id"))));
  });
  read("/v1/withdrawals", role::auditor, [&reads](const request& req) {
    auto user = optional_int(req, "user_id");
    if (!user) return from_error(user.error());
    return from_result(reads.withdrawals(page_of(req), *user, query_param(req.query, "status").value_or("")));
  });
  read("/v1/withdrawals/{id}", role::auditor, [&reads](const request& req) {
    return from_result(reads.withdrawal(std::string(req.param("id"))));
  });
  read("/v1/chain/deposits", role::auditor, [&reads](const request& req) {
    auto user = optional_int(req, "user_id");
    if (!user) return from_error(user.error());
    return from_result(reads.chain_deposits(page_of(req), *user, query_param(req.query, "status").value_or("")));
  });
  read("/v1/blacklist", role::auditor, [&reads](const request& req) { return from_result(reads.blacklist(page_of(req))); });
  read("/v1/audit-log", role::auditor, [&reads](const request& req) {
    return from_result(reads.audit_log(page_of(req), query_param(req.query, "token").value_or("")));
  });
  read("/v1/events", role::auditor, [&reads](const request& req) {
    auto from = optional_int(req, "from");
    auto limit = optional_int(req, "limit");
    if (!from || !limit || *from < 0 || *limit < 0) {
      return error_response(400, "invalid_argument", "from and limit are non-negative integers");
    }
    auto lines = reads.events(static_cast<std::uint64_t>(std::max<std::int64_t>(*from, 1)),
                              static_cast<std::size_t>(*limit == 0 ? 100 : *limit));
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

/// Reads tiers: [{"price":"9.99","days":30}, ...].
result<std::vector<domain::channel::tier>> read_tiers(const json_value& root) {
  TELEPAY_TRY(list, root.field("tiers"));
  if (!list.is_array()) {
    return make_error(errc::tiers_invalid, "tiers must be an array of {price, days}");
  }
  TELEPAY_TRY(items, list.elements());
  std::vector<domain::channel::tier> out;
  for (const json_value& item : items) {
    if (!item.is_object()) {
      return make_error(errc::tiers_invalid, "each tier is an object {price, days}");
    }
    TELEPAY_TRY(price_text, item.str("price"));
    auto price = domain::parse_amount(price_text, domain::asset::usd);
    if (!price) {
      return make_error(errc::tiers_invalid, "tier price: " + price.error().message);
    }
    TELEPAY_TRY(days, item.u64("days"));
    if (days > 100000) {
      return make_error(errc::tiers_invalid, "tier days out of range");
    }
    out.push_back(domain::channel::tier{*price, static_cast<std::uint32_t>(days)});
  }
  return out;
}

result<domain::amount> threshold_of(const body& b) {
  if (!b.has("payout_threshold")) {
    return domain::amount(domain::asset::usd, 0);
  }
  return b.money("payout_threshold", domain::asset::usd);
}

result<domain::channel::register_channel> parse_register_channel(const body& b) {
  domain::channel::register_channel c;
  TELEPAY_TRY(owner, b.integer("owner_id"));
  TELEPAY_TRY(owner_id, domain::make_user_id(owner));
  c.owner = owner_id;
  TELEPAY_TRY(title, b.text("title"));
  c.title = std::move(title);
  TELEPAY_TRY(tiers, read_tiers(b.root));
  c.tiers = std::move(tiers);
  if (b.has("donations_enabled")) {
    TELEPAY_TRY(donations, b.flag("donations_enabled"));
    c.donations_enabled = donations;
  }
  TELEPAY_TRY(strategy_text, b.text("payout_strategy"));
  TELEPAY_TRY(strategy, domain::channel::parse_strategy(strategy_text));
  c.strategy = strategy;
  TELEPAY_TRY(threshold, threshold_of(b));
  c.threshold = threshold;
  TELEPAY_TRY(address, b.text("payout_address"));
  c.payout_address = std::move(address);
  return c;
}

result<domain::coupon::create> parse_coupon(const body& b, const std::string& by) {
  domain::coupon::create c;
  TELEPAY_TRY(kind, b.text("kind"));
  if (kind == "percent") {
    c.type = domain::coupon::kind::percent;
    TELEPAY_TRY(bps, b.integer("percent_bps"));
    if (bps < 0 || bps > 10000) {
      return make_error(errc::coupon_invalid, "percent_bps is 1-10000");
    }
    c.percent_bps = static_cast<std::uint32_t>(bps);
  } else if (kind == "fixed") {
    c.type = domain::coupon::kind::fixed;
    TELEPAY_TRY(fixed, b.money("fixed", domain::asset::usd));
    c.fixed = fixed;
  } else {
    return make_error(errc::coupon_invalid, "kind is percent or fixed");
  }
  TELEPAY_TRY(limit, b.integer("usage_limit"));
  if (limit < 0 || limit > 100'000'000) {
    return make_error(errc::coupon_invalid, "usage_limit is 0 (unlimited) to 100000000");
  }
  c.usage_limit = static_cast<std::uint32_t>(limit);
  TELEPAY_TRY(expires_text, b.text("expires_at"));
  const auto expires = parse_utc_micros(expires_text);
  if (!expires) {
    return make_error(errc::coupon_invalid, "expires_at is a UTC time like 2027-01-01T00:00:00Z");
  }
  c.expires_at_us = *expires;
  if (b.has("channel_id")) {
    TELEPAY_TRY(channel, b.integer("channel_id"));
    TELEPAY_TRY(channel_id, domain::make_channel_id(channel));
    c.channel = channel_id;
  }
  if (b.has("tier")) {
    TELEPAY_TRY(tier, b.integer("tier"));
    if (tier < 0 || tier > 3) {
      return make_error(errc::coupon_invalid, "tier is 0 (any) to 3");
    }
    c.tier = static_cast<std::uint32_t>(tier);
  }
  c.by = by;
  return c;
}

}  // namespace

void api::add_read(router& r, std::string pattern, domain::role need, read_handler fn) {
  auto self = impl_;
  r.add("GET", pattern, [self, pattern, need, fn = std::move(fn)](const request& req, responder reply) {
    auto who = self->authenticate(req, need);
    if (std::holds_alternative<response>(who)) {
      self->count(pattern, std::get<response>(who).status);
      reply(std::get<response>(who));
      return;
    }
    fn(req, [self, pattern, reply = std::move(reply)](response out) {
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
  auto self = impl_;
  const auto write = [&](std::string pattern, domain::role need, impl::write_fn fn) {
    r.add("POST", pattern, self->guarded_write(pattern, need, std::move(fn)));
  };
  using role = domain::role;
  // Each write: parse and validate the body (400 naming the problem, nothing written), then
  // send one command to the ledger and answer with what it wrote.
#define TELEPAY_BODY(name, ...)                                 \
  auto name##_parsed = body::parse(req.body, {__VA_ARGS__});    \
  if (!name##_parsed) {                                         \
    done(from_error(name##_parsed.error()));                    \
    return;                                                     \
  }                                                             \
  [[maybe_unused]] const body& name = *name##_parsed
#define TELEPAY_FIELD(var, expr) \
  auto var##_field = (expr);     \
  if (!var##_field) {            \
    done(from_error(var##_field.error())); \
    return;                      \
  }                              \
  auto var = std::move(var##_field).value()

  write("/v1/admin/users", role::operator_, [self](const request& req, const impl::caller&, responder done) {
    TELEPAY_BODY(b, "user_id", "username", "referral_code");
    TELEPAY_FIELD(id, b.integer("user_id"));
    TELEPAY_FIELD(user, domain::make_user_id(id));
    self->send_entity(actors::register_user_request{user, b.text_or("username", ""),
                                                    b.text_or("referral_code", ""), now_us()},
                      done);
  });
  write("/v1/admin/users/{id}/ban", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "reason");
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(user, domain::make_user_id(id));
    TELEPAY_FIELD(reason, b.text("reason"));
    self->send_entity(actors::user_admin_request{user, domain::user::ban{reason, c.token_id}, now_us()}, done);
  });
  write("/v1/admin/users/{id}/unban", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b);
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(user, domain::make_user_id(id));
    self->send_entity(actors::user_admin_request{user, domain::user::unban{c.token_id}, now_us()}, done);
  });
  write("/v1/admin/blacklist", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "kind", "value", "reason");
    TELEPAY_FIELD(kind_text, b.text("kind"));
    TELEPAY_FIELD(kind, domain::blacklist::parse_kind(kind_text));
    TELEPAY_FIELD(value, b.text("value"));
    TELEPAY_FIELD(reason, b.text("reason"));
    self->send_entity(actors::blacklist_request{domain::blacklist::add{kind, value, reason, c.token_id}, now_us()}, done);
  });
  write("/v1/admin/blacklist/remove", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "kind", "value");
    TELEPAY_FIELD(kind_text, b.text("kind"));
    TELEPAY_FIELD(kind, domain::blacklist::parse_kind(kind_text));
    TELEPAY_FIELD(value, b.text("value"));
    self->send_entity(actors::blacklist_request{domain::blacklist::remove{kind, value, c.token_id}, now_us()}, done);
  });
  write("/v1/admin/channels", role::operator_, [self](const request& req, const impl::caller&, responder done) {
    TELEPAY_BODY(b, "channel_id", "owner_id", "title", "tiers", "donations_enabled", "payout_strategy",
                 "payout_threshold", "payout_address");
    TELEPAY_FIELD(id, b.integer("channel_id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    TELEPAY_FIELD(command, parse_register_channel(b));
    self->send_entity(actors::channel_request{channel, std::move(command), now_us()}, done);
  });
  write("/v1/admin/channels/{id}", role::operator_, [self](const request& req, const impl::caller&, responder done) {
    TELEPAY_BODY(b, "tiers", "donations_enabled", "payout_strategy", "payout_threshold");
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    const int fields = (b.has("tiers") ? 1 : 0) + (b.has("donations_enabled") ? 1 : 0) +
                       (b.has("payout_strategy") ? 1 : 0);
    if (fields != 1) {
      done(error_response(400, "invalid_argument",
                          "send exactly one of tiers, donations_enabled, payout_strategy "
                          "(the payout address changes with a second operator's approval)"));
      return;
    }
    domain::channel::command command;
    if (b.has("tiers")) {
      TELEPAY_FIELD(tiers, read_tiers(b.root));
      command = domain::channel::set_tiers{std::move(tiers)};
    } else if (b.has("donations_enabled")) {
      TELEPAY_FIELD(on, b.flag("donations_enabled"));
      command = domain::channel::set_donations{on};
    } else {
      TELEPAY_FIELD(strategy_text, b.text("payout_strategy"));
      TELEPAY_FIELD(strategy, domain::channel::parse_strategy(strategy_text));
      TELEPAY_FIELD(threshold, threshold_of(b));
      command = domain::channel::set_payout_strategy{strategy, threshold};
    }
    self->send_entity(actors::channel_request{channel, std::move(command), now_us()}, done);
  });
  write("/v1/admin/channels/{id}/disable", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "reason");
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    TELEPAY_FIELD(reason, b.text("reason"));
    self->send_entity(actors::channel_request{channel, domain::channel::disable{reason, c.token_id}, now_us()}, done);
  });
  write("/v1/admin/channels/{id}/enable", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b);
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    self->send_entity(actors::channel_request{channel, domain::channel::enable{c.token_id}, now_us()}, done);
  });
  write("/v1/admin/channels/{id}/payout-address", role::operator_,
        [self](const request& req, const impl::caller& c, responder done) {
    // A new payout address waits for another operator's approval (PRODUCT: money out).
    TELEPAY_BODY(b, "address");
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    TELEPAY_FIELD(address, b.text("address"));
    self->send_entity(actors::channel_request{channel, domain::channel::change_payout_address{address, c.token_id},
                                              now_us()},
                      done);
  });
  write("/v1/admin/channels/{id}/payout-address/approve", role::operator_,
        [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "address");
    TELEPAY_FIELD(id, path_id(req, "id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(id));
    TELEPAY_FIELD(address, b.text("address"));
    self->send_entity(actors::channel_request{channel, domain::channel::approve_payout_address{address, c.token_id},
                                              now_us()},
                      done);
  });
  write("/v1/admin/withdrawals", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    // A user's withdrawal: held now; above the setting withdrawal_approval_usdt it waits for
    // another operator; then the hot wallet sends it.
    TELEPAY_BODY(b, "id", "user_id", "amount", "address");
    TELEPAY_FIELD(id, b.text("id"));
    TELEPAY_FIELD(user_raw, b.integer("user_id"));
    TELEPAY_FIELD(user, domain::make_user_id(user_raw));
    TELEPAY_FIELD(value, b.money("amount", domain::asset::usdt));
    TELEPAY_FIELD(address, b.text("address"));
    self->send_withdrawal(actors::withdrawal_request{id, user, value, address, "token:" + c.token_id, now_us()}, done);
  });
  write("/v1/admin/withdrawals/{id}/approve", role::operator_,
        [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b);
    self->send_withdrawal(actors::withdrawal_decision{std::string(req.param("id")), true, "token:" + c.token_id, "",
                                                      now_us()},
                          done);
  });
  write("/v1/admin/withdrawals/{id}/reject", role::operator_,
        [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "reason");
    TELEPAY_FIELD(reason, b.text("reason"));
    self->send_withdrawal(actors::withdrawal_decision{std::string(req.param("id")), false, "token:" + c.token_id,
                                                      reason, now_us()},
                          done);
  });
  write("/v1/admin/coupons", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "code", "kind", "percent_bps", "fixed", "usage_limit", "expires_at", "channel_id", "tier");
    TELEPAY_FIELD(code, b.text("code"));
    TELEPAY_FIELD(command, parse_coupon(b, c.token_id));
    self->send_entity(actors::coupon_request{code, std::move(command), now_us()}, done);
  });
  write("/v1/admin/manual-deposits", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "id", "user_id", "amount", "reference");
    TELEPAY_FIELD(id, b.text("id"));
    if (!domain::is_token(id, 56)) {
      done(error_response(400, "invalid_argument", "id is 1-56 characters of A-Z a-z 0-9 _ . : -"));
      return;
    }
    TELEPAY_FIELD(user_raw, b.integer("user_id"));
    TELEPAY_FIELD(user, domain::make_user_id(user_raw));
    TELEPAY_FIELD(value, b.money("amount", domain::asset::usdt));
    TELEPAY_FIELD(reference, b.text("reference"));
    self->send_entity(actors::manual_deposit_request{
                          id, domain::manual_deposit::request{user, value, reference, c.token_id}, now_us()},
                      done);
  });
  write("/v1/admin/manual-deposits/{id}/approve", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b);
    const std::string id(req.param("id"));
    self->send_process(actors::manual_deposit_approval{id, c.token_id, now_us()}, done);
  });
  write("/v1/admin/manual-deposits/{id}/reject", role::operator_, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "reason");
    TELEPAY_FIELD(reason, b.text("reason"));
    self->send_entity(actors::manual_deposit_request{std::string(req.param("id")),
                                                     domain::manual_deposit::reject{c.token_id, reason}, now_us()},
                      done);
  });
  write("/v1/admin/purchases", role::operator_, [self](const request& req, const impl::caller&, responder done) {
    // A subscription (tier) or a donation (donation_usd) paid from the buyer's balance.
    TELEPAY_BODY(b, "purchase_id", "user_id", "channel_id", "tier", "donation_usd", "coupon");
    TELEPAY_FIELD(id, b.text("purchase_id"));
    TELEPAY_FIELD(user_raw, b.integer("user_id"));
    TELEPAY_FIELD(user, domain::make_user_id(user_raw));
    TELEPAY_FIELD(channel_raw, b.integer("channel_id"));
    TELEPAY_FIELD(channel, domain::make_channel_id(channel_raw));
    if (b.has("tier") == b.has("donation_usd")) {
      done(error_response(400, "invalid_argument", "send exactly one of tier and donation_usd"));
      return;
    }
    actors::purchase_request purchase{id, user, channel, 0, domain::amount(domain::asset::usd, 0),
                                      b.text_or("coupon", ""), now_us()};
    if (b.has("tier")) {
      TELEPAY_FIELD(tier, b.integer("tier"));
      if (tier < 1 || tier > 3) {
        done(error_response(400, "invalid_argument", "tier is 1, 2 or 3"));
        return;
      }
      purchase.tier = static_cast<std::uint32_t>(tier);
    } else {
      TELEPAY_FIELD(value, b.money("donation_usd", domain::asset::usd));
      purchase.donation_usd = value;
    }
    self->send_process(std::move(purchase), done);
  });
  write("/v1/admin/settings", role::admin, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "key", "value");
    TELEPAY_FIELD(key, b.text("key"));
    TELEPAY_FIELD(value, b.text("value"));
    self->send_entity(actors::settings_request{domain::settings::set{key, value, c.token_id}, now_us()}, done);
  });
  write("/v1/admin/tokens", role::admin, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b, "role", "label", "allowed_cidrs", "rate_per_second", "burst");
    TELEPAY_FIELD(role_text, b.text("role"));
    TELEPAY_FIELD(access, domain::parse_role(role_text));
    domain::token::create create;
    create.access = access;
    create.label = b.text_or("label", "");
    create.by = c.token_id;
    if (b.has("allowed_cidrs")) {
      TELEPAY_FIELD(list, b.root.field("allowed_cidrs"));
      TELEPAY_FIELD(cidrs, list.string_elements());
      create.allowed_cidrs = std::move(cidrs);
    }
    if (b.has("rate_per_second")) {
      TELEPAY_FIELD(rate, b.integer("rate_per_second"));
      create.rate_per_second = static_cast<std::uint32_t>(std::clamp<std::int64_t>(rate, 0, 2'000'000));
    }
    if (b.has("burst")) {
      TELEPAY_FIELD(burst, b.integer("burst"));
      create.burst = static_cast<std::uint32_t>(std::clamp<std::int64_t>(burst, 0, 20'000'000));
    }
    const new_token token = generate_token();
    create.secret_sha256 = token.secret_sha256;
    const std::string id = token.id;
    const std::string text = token.text;
    const std::string role_name(domain::role_name(access));
    self->client.ask<actors::entity_reply>(
        actors::token_request{id, std::move(create), now_us()},
        [done, id, text, role_name](result<actors::entity_reply> reply) {
          if (!reply) {
            done(from_error(reply.error()));
            return;
          }
          const std::string summary = "{\"role\":\"" + role_name + "\",\"token_id\":\"" + id + "\"";
          response out = json_ok(summary + ",\"token\":\"" + text + "\"}", 201);
          // The secret is shown once and never stored: a retry gets the summary only.
          out.recorded_body = summary + ",\"note\":\"the secret was shown once\"}";
          done(std::move(out));
        });
  });
  write("/v1/admin/tokens/{id}/revoke", role::admin, [self](const request& req, const impl::caller& c, responder done) {
    TELEPAY_BODY(b);
    self->send_entity(actors::token_request{std::string(req.param("id")), domain::token::revoke{c.token_id}, now_us()},
                      done);
  });
#undef TELEPAY_BODY
#undef TELEPAY_FIELD
}

}  // namespace telepay::gateways::http
