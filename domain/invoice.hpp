#pragma once
/// A NOWPayments invoice for one order (a subscription or a donation), stream
/// "invoice-{order_id}". It records the priced order, the hosted invoice NOWPayments created
/// for it, and every payment status NOWPayments reported, keyed by payment_id (one invoice can
/// have several payments; a repeated deposit carries parent_payment_id).
///
/// Statuses only move forward: waiting -> confirming -> confirmed -> sending -> finished, and
/// partially_paid, failed, expired, refunded are final. A duplicate or an out-of-order report
/// (a rank at or below the recorded one) decides no events, so nothing is credited twice. One
/// exception: a different final status after the recorded final one (refunded after finished,
/// finished after partially_paid) contradicts what the ledger acted on. It is recorded once as
/// late_status_recorded, for an operator to review; the payment keeps its status and action, so
/// no money moves and a replay decides the same settlements.
///
/// Creating the hosted invoice is recorded too: creation_attempted before POST /v1/invoice is
/// sent, then linked (NOWPayments answered with the invoice) or creation_failed (it created
/// nothing). An attempt left open has an unknown outcome (a timeout, a 5xx, a crash mid-request):
/// NOWPayments may hold an invoice for the order, and its API cannot look one up by order id, so
/// no second attempt is begun until an operator links the invoice or says none exists.
///
/// Each recorded status carries what the ledger does about it (the action), decided here from
/// the invoice alone:
///   finished        fund_purchase: credit the buyer the priced USDT, then run the purchase
///                   (credit only, if another payment already paid for this order);
///   partially_paid  credit: the priced USDT times actually_paid / pay_amount, no access;
///   review          nothing automatic (repeated deposits, price or currency mismatches);
///   none            every other status.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::invoice {

enum class status : std::uint8_t {
  waiting = 1, confirming, confirmed, sending, finished, partially_paid, failed, expired, refunded
};
std::string_view status_name(status s);
/// Lower-case names as NOWPayments sends them. Errors: payment_invalid.
result<status> parse_status(std::string_view text);
bool is_final(status s);

enum class action : std::uint8_t { none = 1, fund_purchase, credit, review };
std::string_view action_name(action a);
result<action> parse_action(std::string_view text);

/// Order ids: 1-48 characters of A-Z a-z 0-9 _ . : - (the order id is also the purchase id).
inline constexpr std::size_t order_id_bytes_max = 48;
std::string stream(std::string_view order_id);

/// What was ordered and for how much (from the purchase pricing at creation).
struct terms {
  user_id buyer;
  channel_id channel;
  std::uint32_t tier = 0;     // 0: a donation
  std::uint32_t days = 0;
  amount list_price = amount(asset::usd, 0);
  std::string coupon;         // "" when none
  amount discount = amount(asset::usd, 0);
  amount price = amount(asset::usd, 0);    // what the invoice asks: list price - discount
  amount credit = amount(asset::usdt, 0);  // what a finished payment credits the buyer
  std::string description;
  friend bool operator==(const terms&, const terms&) = default;
};

struct created {
  static constexpr std::string_view type_name = "invoice.created";
  static constexpr std::uint16_t version = 1;
  std::string order_id;
  invoice::terms terms;
  void write(json_object_writer& w) const;
  static result<created> read(const json_value& v);
  friend bool operator==(const created&, const created&) = default;
};

struct linked {
  static constexpr std::string_view type_name = "invoice.linked";
  static constexpr std::uint16_t version = 1;
  std::string provider_invoice_id;
  std::string url;
  void write(json_object_writer& w) const;
  static result<linked> read(const json_value& v);
  friend bool operator==(const linked&, const linked&) = default;
};

/// A creation attempt at NOWPayments, recorded before POST /v1/invoice is sent. It stays open
/// until linked or creation_failed closes it.
struct creation_attempted {
  static constexpr std::string_view type_name = "invoice.creation_attempted";
  static constexpr std::uint16_t version = 1;
  std::uint32_t attempt = 0;  // 1, 2, ... per order
  void write(json_object_writer& w) const;
  static result<creation_attempted> read(const json_value& v);
  friend bool operator==(const creation_attempted&, const creation_attempted&) = default;
};

/// Attempt `attempt` created nothing at NOWPayments: refused (a 4xx, or 429 on every try), never
/// sent (no connection), or found absent in the NOWPayments dashboard by an operator.
struct creation_failed {
  static constexpr std::string_view type_name = "invoice.creation_failed";
  static constexpr std::uint16_t version = 1;
  std::uint32_t attempt = 0;
  std::string reason;
  void write(json_object_writer& w) const;
  static result<creation_failed> read(const json_value& v);
  friend bool operator==(const creation_failed&, const creation_failed&) = default;
};
inline constexpr std::size_t creation_reason_bytes_max = 300;

/// A payment status as reported (amounts are the provider's exact decimal text).
struct report {
  std::uint64_t payment_id = 0;
  std::uint64_t parent_payment_id = 0;
  status state = status::waiting;
  std::string source;  // "ipn:recursive" | "ipn:legacy" | "poll"
  std::string price_amount;
  std::string price_currency;
  std::string pay_amount;
  std::string pay_currency;
  std::string actually_paid;
  std::string outcome_amount;
  std::string outcome_currency;
  friend bool operator==(const report&, const report&) = default;
};

struct payment_recorded {
  static constexpr std::string_view type_name = "invoice.payment_recorded";
  static constexpr std::uint16_t version = 1;
  report reported;
  user_id buyer;                   // the invoice's buyer (who is told about it)
  std::optional<status> previous;  // none for the first report of this payment
  invoice::action decided = action::none;
  amount credit = amount(asset::usdt, 0);
  std::string note;  // why a review, or how a credit was computed
  void write(json_object_writer& w) const;
  static result<payment_recorded> read(const json_value& v);
  friend bool operator==(const payment_recorded&, const payment_recorded&) = default;
};

/// A different final status reported after the payment's recorded final one. Nothing about the
/// payment changes but the record of it: no money moves, an operator reviews.
struct late_status_recorded {
  static constexpr std::string_view type_name = "invoice.late_status_recorded";
  static constexpr std::uint16_t version = 1;
  report reported;
  user_id buyer;                      // the invoice's buyer
  status recorded = status::finished;  // the payment's final status it contradicts
  std::string note;
  void write(json_object_writer& w) const;
  static result<late_status_recorded> read(const json_value& v);
  friend bool operator==(const late_status_recorded&, const late_status_recorded&) = default;
};

using event = std::variant<created, linked, payment_recorded, creation_attempted, creation_failed,
                           late_status_recorded>;

struct payment {
  status state = status::waiting;
  std::uint64_t parent_payment_id = 0;
  invoice::action decided = action::none;
  amount credit = amount(asset::usdt, 0);
  std::vector<status> late;  // final statuses reported after `state`, in the order recorded
  /// An operator must look at it: decided review, or a late status contradicts it.
  bool in_review() const { return decided == action::review || !late.empty(); }
  friend bool operator==(const payment&, const payment&) = default;
};

struct state {
  std::string order_id;
  bool exists = false;
  invoice::terms terms;
  std::string provider_invoice_id;
  std::string url;
  std::map<std::uint64_t, payment> payments;
  std::uint32_t attempts = 0;  // creation attempts recorded
  bool attempt_open = false;   // the last attempt has no outcome yet: it may have created one

  explicit state(std::string id = {}) : order_id(std::move(id)) {}
  /// True once a payment was decided fund_purchase (the order is paid for).
  bool paid() const;
  /// True when any payment is in review.
  bool in_review() const;
  friend bool operator==(const state&, const state&) = default;
};

struct create {
  invoice::terms terms;
};
struct link {
  std::string provider_invoice_id;
  std::string url;
};
struct record {
  report reported;
};
/// Records a creation attempt, before POST /v1/invoice is sent. Decides nothing once linked or
/// while an attempt is open (the caller tells from the reply that none was begun).
struct begin_attempt {};
/// Closes attempt `attempt` as having created nothing. Decides nothing unless it is the open
/// attempt (a repeated or stale close).
struct close_attempt {
  std::uint32_t attempt = 0;
  std::string reason;
};

using command = std::variant<create, link, record, begin_attempt, close_attempt>;

/// Errors: invalid_argument, invoice_exists (created before with other terms),
/// invoice_not_found (anything but create before create), payment_invalid.
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

/// What the ledger does for one recorded payment: the intent of process "payment-{id}".
struct settlement {
  std::uint64_t payment_id = 0;
  std::string order_id;
  invoice::action decided = action::none;  // fund_purchase or credit
  amount credit = amount(asset::usdt, 0);
  user_id buyer;
  channel_id channel;
  std::uint32_t tier = 0;
  amount list_price = amount(asset::usd, 0);  // a donation's amount
  std::string coupon;

  std::string to_json() const;
  static result<settlement> from_json(std::string_view json);
  friend bool operator==(const settlement&, const settlement&) = default;
};

/// The settlement of payment `payment_id`, or nullopt when its action moves no money.
std::optional<settlement> settlement_for(const state& s, std::uint64_t payment_id);

}  // namespace telepay::domain::invoice
