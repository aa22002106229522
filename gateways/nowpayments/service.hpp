#pragma once
/// The NOWPayments gateway: creates hosted invoices (POST /v1/invoice with x-api-key, over TLS;
/// each attempt recorded before it is sent, and sent again only when NOWPayments provably never
/// processed it: no connection, or 429; never after a timeout, a 5xx or a crash, which may come
/// after the invoice was created, and never on other 4xx), receives IPNs
/// (POST /v1/webhooks/nowpayments: signature checked over both signing variants before
/// anything is read; each status recorded once, in order, on the order's invoice; a different
/// final status after a final one recorded once for review), and
/// reconciles: payments stuck in a non-final status are polled with GET /v1/payment/{id}, so a
/// missed IPN is recovered.
///
/// Nothing here logs the API key, the IPN secret or a signature.
///
/// Thread safety: the handlers run on the HTTP io thread and answer from other threads;
/// invoice creation and polling run on the service's own threads (they block on the network).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/ledger_api.hpp"
#include "domain/base/result.hpp"
#include "gateways/http/client.hpp"
#include "gateways/http/server.hpp"
#include "gateways/http/write_routes.hpp"

namespace telepay::actors {
class ledger_client;
class ledger_reads;
}  // namespace telepay::actors

namespace telepay::gateways::nowpayments {

struct service_options {
  std::string api_base = "https://api.nowpayments.io/v1";
  std::string api_key;
  std::string ipn_secret;
  /// Our public IPN URL, sent with every invoice (".../v1/webhooks/nowpayments").
  std::string ipn_callback_url;
  std::string success_url;
  std::string cancel_url;
  http::client_options http;
  http::retry_policy retries;
  /// How often reconciliation runs, and how long a payment must have been quiet in a
  /// non-final status before it is polled. Defaults: 60 s and 10 min.
  std::chrono::milliseconds reconcile_every{60'000};
  std::chrono::milliseconds reconcile_after{600'000};
};

/// What an operator found in the NOWPayments dashboard about an order whose last creation
/// attempt has an unknown outcome (POST /v1/invoice was sent and no usable answer came back).
struct invoice_resolution {
  enum class previous_attempt : std::uint8_t {
    unchecked = 1,    // nothing said: an open attempt blocks a new POST
    not_created = 2,  // the dashboard shows no invoice for the order: a new attempt may be made
  };
  previous_attempt previous = previous_attempt::unchecked;
  /// The invoice the dashboard shows for the order: linked instead of creating another.
  /// Both or neither.
  std::string provider_invoice_id;
  std::string invoice_url;
};

class service {
 public:
  /// Errors: invalid_argument (a bad api_base URL), upstream_unavailable (CA file).
  static result<std::unique_ptr<service>> start(actors::ledger_client& client,
                                                const actors::ledger_reads& reads,
                                                service_options options);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// POST /v1/webhooks/nowpayments (no bearer token: the signature is the authentication).
  /// 200 recorded or already known; 401 no signature; 403 wrong signature; 400 malformed;
  /// 404 an order we never created; 503 the ledger is unavailable (NOWPayments retries).
  void handle_ipn(const http::request& req, http::responder reply);

  /// POST /v1/admin/invoices, decoded by its write route (gateways/http/write_routes.cpp:
  /// {"user_id","channel_id","tier"|"donation_usd","coupon"?, "order_id"?,"description"?,
  /// "provider_invoice_id"?+"invoice_url"? | "previous_attempt"?}) -> 201 with the hosted
  /// invoice URL. No order id: one is made. A repeated order id returns the same invoice (200). A
  /// NOWPayments refusal (502) or no connection (503) leaves it recorded, unlinked, to retry. An
  /// attempt whose outcome is unknown answers 503 and is not sent again, also on a retry, until
  /// the request names the invoice found in the dashboard (linked) or says
  /// "previous_attempt":"not_created" (a new attempt is made).
  void handle_create_invoice(const http::invoice_order& order, http::responder reply);

  /// Prometheus text: IPNs by outcome and signature variant, late statuses, invoices (created,
  /// failed, unresolved), polls.
  std::string metrics_text() const;

  /// Records the invoice (priced like its purchase) and creates it at NOWPayments, on the
  /// service's worker thread; `done` gets the linked invoice and whether it was created now
  /// (false: the order existed, the same invoice). Errors as handle_create_invoice's.
  void create_invoice(actors::invoice_create_request request,
                      std::function<void(result<domain::invoice::state>, bool created)> done);
  /// The same, with what an operator found about an earlier attempt.
  void create_invoice(actors::invoice_create_request request, invoice_resolution resolution,
                      std::function<void(result<domain::invoice::state>, bool created)> done);

  /// Sets the IPN URL sent with new invoices (telepayd defaults it to its own listening
  /// address once the server is up, when none is configured).
  void set_ipn_callback_url(std::string url);
  std::string ipn_callback_url() const;

  /// One reconciliation pass now (also run every reconcile_every); returns payments polled.
  std::size_t reconcile_now();

  /// Stops the worker threads. Idempotent.
  void stop();

 private:
  struct impl;
  explicit service(std::shared_ptr<impl> state);
  std::shared_ptr<impl> impl_;
};

}  // namespace telepay::gateways::nowpayments
