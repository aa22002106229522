// The NOWPayments gateway: invoices out, IPNs in, reconciliation by polling.

#include "gateways/nowpayments/service.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "actors/client.hpp"
#include "actors/reads.hpp"
#include "domain/base/json.hpp"
#include "domain/codec/json.hpp"
#include "domain/coupon.hpp"
#include "domain/invoice.hpp"
#include "gateways/nowpayments/codec.hpp"

namespace telepay::gateways::nowpayments {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The HTTP status of each error code. No default: a new code does not compile until it is
/// placed. Everything the invoice endpoint refuses as bad input is 400.
unsigned status_for(errc code) {
  switch (code) {
    case errc::invoice_not_found:
    case errc::user_not_registered:
    case errc::channel_not_found:
    case errc::tier_not_found:
    case errc::coupon_not_found: return 404;
    case errc::invoice_exists:
    case errc::channel_disabled:
    case errc::donations_disabled:
    case errc::blacklisted:
    case errc::user_banned:
    case errc::coupon_expired:
    case errc::coupon_exhausted:
    case errc::coupon_already_used:
    case errc::coupon_not_applicable: return 409;
    case errc::upstream_failed: return 502;
    case errc::upstream_unavailable:
    case errc::storage_failed:
    case errc::store_closed:
    case errc::append_queue_full:
    case errc::overloaded:
    case errc::request_timeout:
    case errc::internal: return 503;
    case errc::invalid_argument:
    case errc::stream_name_invalid:
    case errc::event_type_invalid:
    case errc::events_must_not_be_empty:
    case errc::too_many_events:
    case errc::payload_too_large:
    case errc::metadata_invalid:
    case errc::idempotency_key_invalid:
    case errc::snapshot_invalid:
    case errc::wrong_expected_version:
    case errc::idempotency_key_reused_with_different_payload:
    case errc::chain_broken:
    case errc::record_corrupt:
    case errc::not_found:
    case errc::format_mismatch:
    case errc::amount_invalid:
    case errc::amount_must_be_positive:
    case errc::amount_overflow:
    case errc::asset_unknown:
    case errc::asset_mismatch:
    case errc::rate_invalid:
    case errc::insufficient_funds:
    case errc::transfer_exists_with_different_amount:
    case errc::hold_not_found:
    case errc::hold_expired:
    case errc::overflows_credits:
    case errc::overflows_debits:
    case errc::transfer_id_invalid:
    case errc::wallet_owner_invalid:
    case errc::user_already_registered:
    case errc::self_referral:
    case errc::referral_cycle:
    case errc::referrer_already_set:
    case errc::referrer_unknown:
    case errc::user_not_banned:
    case errc::already_blacklisted:
    case errc::not_blacklisted:
    case errc::referral_code_invalid:
    case errc::user_id_invalid:
    case errc::channel_exists:
    case errc::tiers_invalid:
    case errc::donation_out_of_range:
    case errc::payout_address_invalid:
    case errc::payout_threshold_invalid:
    case errc::channel_title_invalid:
    case errc::subscription_not_found:
    case errc::subscription_not_expired:
    case errc::coupon_invalid:
    case errc::coupon_exists:
    case errc::payout_nothing_to_batch:
    case errc::payout_batch_not_found:
    case errc::payout_state_invalid:
    case errc::setting_unknown:
    case errc::setting_invalid:
    case errc::event_decode_failed:
    case errc::event_type_unknown:
    case errc::event_version_unsupported:
    case errc::process_failed:
    case errc::approval_same_operator:
    case errc::approval_state_invalid:
    case errc::manual_deposit_not_found:
    case errc::manual_deposit_state_invalid:
    case errc::token_invalid:
    case errc::token_exists:
    case errc::token_not_found:
    case errc::role_invalid:
    case errc::unauthenticated:
    case errc::forbidden:
    case errc::rate_limited:
    case errc::idempotency_key_required:
    case errc::signature_missing:
    case errc::signature_invalid:
    case errc::payment_invalid:
    case errc::chain_rpc_failed:
    case errc::chain_reply_malformed:
    case errc::chain_mismatch:
    case errc::deposit_state_invalid:
    case errc::withdrawal_not_found:
    case errc::withdrawal_state_invalid:
    case errc::approval_pending:
    case errc::send_state_invalid:
    case errc::chain_not_configured:
    case errc::withdrawal_below_minimum:
    case errc::broadcast_not_found:
    case errc::broadcast_state_invalid:
    case errc::purchase_not_found:
    case errc::refund_refused:
    case errc::webhook_not_found:
    case errc::webhook_state_invalid: return 400;
  }
  return 500;  // not reached: every code is listed above
}

http::response from_error(const error& e) {
  return http::error_response(status_for(e.code), errc_name(e.code), e.message);
}

/// Waits for the ledger's reply (on service threads only, never the io thread).

std::string random_order_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "inv-";
  std::uint64_t v = rng();
  for (int i = 0; i < 16; ++i, v >>= 4) out.push_back(digits[v & 15]);
  return out;
}

std::string invoice_body(const domain::invoice::state& s) {
  std::string out;
  {
    domain::json_object_writer w(out);
    w.money("credit_usdt", s.terms.credit).str("order_id", s.order_id)
        .money("price_usd", s.terms.price).str("provider_invoice_id", s.provider_invoice_id)
        .str("url", s.url);
  }
  return out;
}

/// What the operator found about an earlier attempt, from POST /v1/admin/invoices: the invoice
/// in the NOWPayments dashboard ("provider_invoice_id" and "invoice_url"), or
/// "previous_attempt":"not_created". Errors: invalid_argument.
/// What one creation attempt tells about the invoice at NOWPayments.
enum class creation_outcome : std::uint8_t {
  created = 1,      // answered with the invoice
  not_created = 2,  // refused, or never sent: NOWPayments holds nothing for this attempt
  unknown = 3,      // sent, and no usable answer came back: an invoice may exist
};

struct creation_answer {
  creation_outcome outcome = creation_outcome::unknown;
  bool resend_safe = false;  // not_created only: NOWPayments never processed it (no connection, 429)
  invoice_created invoice;   // created only
  error why;                 // not_created and unknown
};

/// Whether a failed send provably never reached NOWPayments: the client failed before writing
/// the request. gateways/http/client.cpp names the failed step first ("resolve ...", "connect
/// to ...", "TLS handshake with ..."); a write or read failure, or any message not recognised
/// here, may have reached NOWPayments, which is the safe way to be wrong.
bool never_sent(const error& e) {
  if (e.code == errc::invalid_argument) return true;  // refused before any I/O
  if (e.code != errc::upstream_unavailable) return false;
  static constexpr std::string_view before_write[] = {"resolve ", "connect to ", "TLS handshake with ",
                                                      "cannot verify TLS", "cannot set TLS SNI"};
  return std::any_of(std::begin(before_write), std::end(before_write),
                     [&](std::string_view step) { return e.message.starts_with(step); });
}

creation_answer classify_creation(const result<http::client_response>& answer) {
  creation_answer out;
  if (!answer) {
    out.why = make_error(errc::upstream_unavailable, answer.error().message);
    out.outcome = never_sent(answer.error()) ? creation_outcome::not_created : creation_outcome::unknown;
    out.resend_safe = out.outcome == creation_outcome::not_created;
    return out;
  }
  const std::string what = "NOWPayments answered POST /v1/invoice with " + std::to_string(answer->status);
  if (answer->status == 200 || answer->status == 201) {
    auto created = read_invoice_created(answer->body);
    if (created) {
      out.outcome = creation_outcome::created;
      out.invoice = std::move(*created);
      return out;
    }
    // It says it created something we cannot read: an invoice may exist.
    out.why = make_error(errc::upstream_failed, what + " but " + created.error().message);
    return out;
  }
  if (answer->status == 429) {  // rate limited before any processing
    out.outcome = creation_outcome::not_created;
    out.resend_safe = true;
    out.why = make_error(errc::upstream_unavailable, what + " (rate limited)");
    return out;
  }
  if (answer->status >= 400 && answer->status < 500) {  // the request is wrong: nothing made
    out.outcome = creation_outcome::not_created;
    out.why = make_error(errc::upstream_failed, what + ": " + answer_excerpt(answer->body, 200));
    return out;
  }
  // A 5xx (or an unexpected 1xx, 2xx, 3xx) may come after the invoice was created.
  out.why = make_error(errc::upstream_unavailable, what + ": " + answer_excerpt(answer->body, 200));
  return out;
}

/// The answer for an order whose last attempt has an unknown outcome.
error unresolved(const std::string& order_id, std::uint32_t attempt, std::string_view detail) {
  return make_error(errc::upstream_unavailable,
                    "NOWPayments may hold an invoice for order " + order_id + ": attempt " +
                        std::to_string(attempt) + " of POST /v1/invoice " + std::string(detail) +
                        ". It is not sent again automatically (the NOWPayments API cannot look an "
                        "invoice up by order id): find order " + order_id +
                        " in the NOWPayments dashboard, then repeat this request with its "
                        "\"provider_invoice_id\" and \"invoice_url\" to link it, or with "
                        "\"previous_attempt\":\"not_created\" if there is none");
}

}  // namespace

struct service::impl {
  actors::ledger_client& client;
  const actors::ledger_reads& reads;
  service_options options;
  std::unique_ptr<http::client> np;

  mutable std::mutex counters_mutex;
  std::map<std::string, std::uint64_t> ipn_outcomes;  // by outcome
  std::map<std::string, std::uint64_t> variants;      // by signature variant
  std::uint64_t invoices_created = 0;
  std::uint64_t invoice_failures = 0;
  std::uint64_t invoices_unresolved = 0;  // attempts whose outcome is unknown
  std::uint64_t late_statuses = 0;        // late statuses recorded (each once)
  std::uint64_t polls = 0;
  std::uint64_t poll_failures = 0;
  std::uint64_t recovered = 0;

  mutable std::mutex url_mutex;  // options.ipn_callback_url may change after start

  std::mutex work_mutex;
  std::condition_variable work_cv;
  std::deque<std::function<void()>> work;
  bool stopping = false;
  std::thread worker;
  std::thread reconciler;

  impl(actors::ledger_client& c, const actors::ledger_reads& r, service_options o)
      : client(c), reads(r), options(std::move(o)) {}

  void count_ipn(const std::string& outcome) {
    std::lock_guard lock(counters_mutex);
    ipn_outcomes[outcome] += 1;
  }

  void post(std::function<void()> task) {
    {
      std::lock_guard lock(work_mutex);
      work.push_back(std::move(task));
    }
    work_cv.notify_all();  // the reconciler waits on the same condition (for stop)
  }

  void work_loop() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(work_mutex);
        work_cv.wait(lock, [&] { return stopping || !work.empty(); });
        if (stopping && work.empty()) return;
        task = std::move(work.front());
        work.pop_front();
      }
      task();
    }
  }

  void reconcile_loop() {
    while (true) {
      {
        std::unique_lock lock(work_mutex);
        work_cv.wait_for(lock, options.reconcile_every, [&] { return stopping; });
        if (stopping) return;
      }
      reconcile();
    }
  }

  result<http::client_response> call(http::client_request request) {
    request.headers.emplace_back("x-api-key", options.api_key);
    request.headers.emplace_back("content-type", "application/json");
    return http::send_with_retries(*np, request, options.retries);
  }

  /// Sends POST /v1/invoice, again only while NOWPayments provably never processed it (no
  /// connection, 429), with the retry policy's backoff.
  creation_answer post_invoice(const std::string& body) {
    http::client_request request{"POST", "/invoice", {}, body};
    request.headers.emplace_back("x-api-key", options.api_key);
    request.headers.emplace_back("content-type", "application/json");
    const int tries = std::max(1, options.retries.attempts);
    auto delay = options.retries.first_delay;
    for (int attempt = 1;; ++attempt) {
      creation_answer out = classify_creation(np->send(request));
      if (!out.resend_safe || attempt >= tries) return out;
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, options.retries.max_delay);
    }
  }

  result<actors::entity_reply> attempt_step(const std::string& order_id, actors::invoice_attempt_step step) {
    return client.ask_and_wait<actors::entity_reply>(
        actors::invoice_attempt_request{order_id, std::move(step), now_us()});
  }

  result<domain::invoice::state> link_and_read(const std::string& order_id, const std::string& id,
                                               const std::string& url) {
    auto linked =
        client.ask_and_wait<actors::entity_reply>(actors::invoice_link_request{order_id, id, url, now_us()});
    if (!linked) return linked.error();
    return client.ask_and_wait<domain::invoice::state>(actors::invoice_query{order_id});
  }

  void count_creation(std::uint64_t impl::*counter) {
    std::lock_guard lock(counters_mutex);
    this->*counter += 1;
  }

  /// Creates the invoice at NOWPayments for a recorded, unlinked order with no open attempt:
  /// records the attempt, sends it, then links the invoice or records that none was made. An
  /// unknown outcome leaves the attempt open.
  result<domain::invoice::state> create_at_provider(const domain::invoice::state& recorded) {
    LEDGER_ASSERT(recorded.url.empty() && !recorded.attempt_open,
                  "an attempt needs an unlinked order without one open");
    const std::string& order_id = recorded.order_id;
    auto begun = attempt_step(order_id, domain::invoice::begin_attempt{});
    if (!begun) return begun.error();
    const std::uint32_t attempt = recorded.attempts + 1;
    if (begun->result != actors::entity_reply::outcome::written) {
      // Another attempt was recorded meanwhile (not by this worker): its outcome is not ours to know.
      return unresolved(order_id, attempt, "was recorded by another request");
    }
    invoice_request body;
    body.price_amount = domain::format_amount(recorded.terms.price);
    body.order_id = order_id;
    body.order_description = recorded.terms.description.empty()
                                 ? (recorded.terms.tier == 0 ? "Donation" : "Subscription")
                                 : recorded.terms.description;
    {
      std::lock_guard lock(url_mutex);
      body.ipn_callback_url = options.ipn_callback_url;
    }
    body.success_url = options.success_url;
    body.cancel_url = options.cancel_url;
    creation_answer answer = post_invoice(invoice_request_body(body));
    switch (answer.outcome) {
      case creation_outcome::created: {
        auto linked = link_and_read(order_id, answer.invoice.id, answer.invoice.invoice_url);
        if (!linked) {
          // The attempt stays open: the invoice exists, and the operator is told which it is.
          count_creation(&impl::invoices_unresolved);
          return unresolved(order_id, attempt,
                            "created invoice " + answer.invoice.id + " (" + answer.invoice.invoice_url +
                                ") but the ledger did not record it: " + linked.error().message);
        }
        count_creation(&impl::invoices_created);
        return linked;
      }
      case creation_outcome::not_created: {
        const std::string reason = utf8_prefix(answer.why.message, domain::invoice::creation_reason_bytes_max);
        auto closed = attempt_step(order_id, domain::invoice::close_attempt{attempt, reason});
        count_creation(&impl::invoice_failures);
        if (!closed) return closed.error();
        return answer.why;
      }
      case creation_outcome::unknown:
        count_creation(&impl::invoice_failures);
        count_creation(&impl::invoices_unresolved);
        return unresolved(order_id, attempt, "got no usable answer (" + answer.why.message + ")");
    }
    return make_error(errc::internal, "unreachable");  // every outcome is handled above
  }

  /// An order recorded and unlinked: applies what the operator found, then creates it unless an
  /// attempt with an unknown outcome stays open.
  result<domain::invoice::state> resolve_and_create(const domain::invoice::state& recorded,
                                                    const invoice_resolution& resolution) {
    const std::string& order_id = recorded.order_id;
    if (!resolution.provider_invoice_id.empty()) {
      return link_and_read(order_id, resolution.provider_invoice_id, resolution.invoice_url);
    }
    if (!recorded.attempt_open) return create_at_provider(recorded);
    switch (resolution.previous) {
      case invoice_resolution::previous_attempt::unchecked:
        return unresolved(order_id, recorded.attempts,
                          "has no known outcome (no usable answer, or a restart cut it off)");
      case invoice_resolution::previous_attempt::not_created: {
        auto closed = attempt_step(
            order_id, domain::invoice::close_attempt{recorded.attempts,
                                                     "an operator found no invoice for the order in the "
                                                     "NOWPayments dashboard"});
        if (!closed) return closed.error();
        auto again = client.ask_and_wait<domain::invoice::state>(actors::invoice_query{order_id});
        if (!again) return again.error();
        if (!again->url.empty()) return again;
        if (again->attempt_open) return unresolved(order_id, again->attempts, "is still open");
        return create_at_provider(*again);
      }
    }
    return make_error(errc::internal, "unreachable");  // every resolution is handled above
  }

  /// Polls every payment quiet too long in a non-final status; returns how many were polled.
  std::size_t reconcile() {
    const std::int64_t before = now_us() - std::chrono::duration_cast<std::chrono::microseconds>(
                                               options.reconcile_after).count();
    const auto stuck = reads.unsettled_payments(before, 200);
    for (const auto& [order_id, payment_id] : stuck) {
      auto answer = call(http::client_request{"GET", "/payment/" + std::to_string(payment_id), {}, ""});
      result<payment_report> report = make_error(errc::upstream_unavailable, "no answer");
      if (answer && answer->status == 200) {
        auto parsed = parse_js_json(answer->body);
        report = parsed ? read_payment(*parsed) : result<payment_report>(parsed.error());
      } else if (answer) {
        report = make_error(errc::upstream_failed, "GET /v1/payment answered " + std::to_string(answer->status));
      } else {
        report = answer.error();
      }
      const bool matches = report && (report->order_id.empty() || report->order_id == order_id) &&
                           report->payment_id == payment_id;
      auto r = matches ? to_report(*report, "poll")
                       : result<domain::invoice::report>(make_error(errc::payment_invalid, "not this payment"));
      // The counters' lock is never held across a ledger wait: /metrics and the IPN path take
      // it too, and a slow ledger would stall them.
      std::optional<bool> recorded;  // nullopt: the poll gave nothing usable
      bool late = false;
      if (r) {
        auto ack = client.ask_and_wait<actors::payment_ack>(
            actors::payment_report_request{order_id, std::move(*r), now_us()});
        if (ack) {
          recorded = ack->recorded;
          late = ack->recorded && ack->late;
        }
      }
      std::lock_guard lock(counters_mutex);
      polls += 1;
      late_statuses += late ? 1 : 0;
      if (!recorded) {
        poll_failures += 1;
      } else if (*recorded) {
        recovered += 1;
      }
    }
    return stuck.size();
  }
};

service::service(std::shared_ptr<impl> state) : impl_(std::move(state)) {}

service::~service() { stop(); }

result<std::unique_ptr<service>> service::start(actors::ledger_client& client,
                                                const actors::ledger_reads& reads,
                                                service_options options) {
  if (!valid_api_key(options.api_key)) {
    return make_error(errc::invalid_argument, "the NOWPayments API key must be 1-256 printable ASCII characters");
  }
  auto state = std::make_shared<impl>(client, reads, std::move(options));
  TELEPAY_TRY(np, http::client::create(state->options.api_base, state->options.http));
  state->np = std::move(np);
  state->worker = std::thread([raw = state.get()] { raw->work_loop(); });
  state->reconciler = std::thread([raw = state.get()] { raw->reconcile_loop(); });
  return std::unique_ptr<service>(new service(std::move(state)));
}

void service::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->work_mutex);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  if (impl_->reconciler.joinable()) impl_->reconciler.join();
}

std::size_t service::reconcile_now() { return impl_->reconcile(); }

void service::set_ipn_callback_url(std::string url) {
  std::lock_guard lock(impl_->url_mutex);
  impl_->options.ipn_callback_url = std::move(url);
}

std::string service::ipn_callback_url() const {
  std::lock_guard lock(impl_->url_mutex);
  return impl_->options.ipn_callback_url;
}

void service::handle_ipn(const http::request& req, http::responder reply) {
  auto self = impl_;
  const std::string_view signature = req.header("x-nowpayments-sig");
  if (signature.empty()) {
    self->count_ipn("missing_signature");
    reply(http::error_response(401, "signature_missing", "send the x-nowpayments-sig header"));
    return;
  }
  if (self->options.ipn_secret.empty()) {
    self->count_ipn("not_configured");
    reply(http::error_response(503, "not_configured", "the IPN secret is not configured"));
    return;
  }
  auto body = parse_js_json(req.body);
  if (!body || body->type != js_value::kind::object) {
    self->count_ipn("bad_body");
    reply(http::error_response(400, "invalid_argument",
                               body ? "the IPN body must be a JSON object" : body.error().message));
    return;
  }
  auto variant = verify_signature(*body, signature, self->options.ipn_secret);
  if (!variant) {
    self->count_ipn("bad_signature");
    reply(http::error_response(403, "signature_invalid", variant.error().message));
    return;
  }
  {
    std::lock_guard lock(self->counters_mutex);
    self->variants[std::string(variant_name(*variant))] += 1;
  }
  auto payment = read_payment(*body);
  if (!payment) {
    self->count_ipn("bad_payment");
    reply(from_error(payment.error()));
    return;
  }
  auto report = to_report(*payment, "ipn:" + std::string(variant_name(*variant)));
  if (!report) {
    self->count_ipn("unknown_status");
    reply(http::error_response(422, "payment_invalid", report.error().message));
    return;
  }
  if (payment->order_id.empty()) {
    self->count_ipn("unknown_order");
    reply(http::error_response(404, "invoice_not_found", "the IPN names no order_id"));
    return;
  }
  self->client.ask<actors::payment_ack>(
      actors::payment_report_request{payment->order_id, std::move(*report), now_us()},
      [self, reply](result<actors::payment_ack> ack) {
        if (!ack) {
          self->count_ipn(ack.code() == errc::invoice_not_found ? "unknown_order" : "error");
          reply(from_error(ack.error()));
          return;
        }
        const bool late = ack->recorded && ack->late;
        self->count_ipn(late ? "late_status" : ack->recorded ? "recorded" : "duplicate");
        if (late) {
          std::lock_guard lock(self->counters_mutex);
          self->late_statuses += 1;
        }
        std::string out = "{\"action\":\"" + std::string(domain::invoice::action_name(ack->decided)) +
                          "\",\"late\":" + (ack->late ? "true" : "false") +
                          ",\"recorded\":" + (ack->recorded ? "true" : "false") + ",\"status\":\"" +
                          std::string(domain::invoice::status_name(ack->current)) + "\"}";
        reply(http::json_response(200, std::move(out)));
      });
}

void service::handle_create_invoice(const http::invoice_order& order, http::responder reply) {
  actors::invoice_create_request request = order.request;
  if (request.order_id.empty()) request.order_id = random_order_id();
  if (request.now_us == 0) request.now_us = now_us();
  invoice_resolution resolution;
  resolution.provider_invoice_id = order.provider_invoice_id;
  resolution.invoice_url = order.invoice_url;
  if (order.previous_not_created) resolution.previous = invoice_resolution::previous_attempt::not_created;
  auto answer = [reply](result<domain::invoice::state> invoice, bool created) {
    if (!invoice) {
      reply(from_error(invoice.error()));
      return;
    }
    reply(http::json_response(created ? 201 : 200, invoice_body(*invoice)));  // 200: created before, the same invoice
  };
  create_invoice(std::move(request), std::move(resolution), std::move(answer));
}

void service::create_invoice(actors::invoice_create_request request,
                             std::function<void(result<domain::invoice::state>, bool created)> done) {
  create_invoice(std::move(request), invoice_resolution{}, std::move(done));
}

void service::create_invoice(actors::invoice_create_request request, invoice_resolution resolution,
                             std::function<void(result<domain::invoice::state>, bool created)> done) {
  if (request.now_us == 0) request.now_us = now_us();
  auto self = impl_;
  // One worker: the attempts of an order are begun and closed one at a time.
  self->post([self, request = std::move(request), resolution = std::move(resolution),
              done = std::move(done)]() mutable {
    auto recorded = self->client.ask_and_wait<domain::invoice::state>(request);
    if (!recorded) {
      done(recorded.error(), false);
      return;
    }
    if (!recorded->url.empty()) {
      done(std::move(*recorded), false);
      return;
    }
    auto linked = self->resolve_and_create(*recorded, resolution);
    if (!linked) {
      done(linked.error(), false);
      return;
    }
    done(std::move(*linked), true);
  });
}

std::string service::metrics_text() const {
  std::lock_guard lock(impl_->counters_mutex);
  std::string out =
      "# HELP telepay_nowpayments_ipn_total IPNs received, by outcome.\n"
      "# TYPE telepay_nowpayments_ipn_total counter\n";
  for (const auto& [outcome, n] : impl_->ipn_outcomes) {
    out += "telepay_nowpayments_ipn_total{outcome=\"" + outcome + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP telepay_nowpayments_ipn_signature_total Verified IPNs by the signing variant that matched.\n"
      "# TYPE telepay_nowpayments_ipn_signature_total counter\n";
  for (const auto& [variant, n] : impl_->variants) {
    out += "telepay_nowpayments_ipn_signature_total{variant=\"" + variant + "\"} " + std::to_string(n) + "\n";
  }
  const auto counter = [&](const char* name, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(value) + "\n";
  };
  counter("telepay_nowpayments_invoices_created_total", "Invoices created at NOWPayments.", impl_->invoices_created);
  counter("telepay_nowpayments_invoice_failures_total", "Invoice creations NOWPayments refused or never answered.",
          impl_->invoice_failures);
  counter("telepay_nowpayments_invoice_unresolved_total",
          "Invoice creations sent without a usable answer (NOWPayments may hold the invoice): not resent.",
          impl_->invoices_unresolved);
  counter("telepay_nowpayments_late_statuses_total",
          "Final statuses reported after a different final one, recorded once for review (no money moved).",
          impl_->late_statuses);
  counter("telepay_nowpayments_polls_total", "Payments polled by reconciliation.", impl_->polls);
  counter("telepay_nowpayments_poll_failures_total", "Polls without a usable answer.", impl_->poll_failures);
  counter("telepay_nowpayments_recovered_total", "Statuses recorded by polling that no IPN had brought.",
          impl_->recovered);
  return out;
}

}  // namespace telepay::gateways::nowpayments
