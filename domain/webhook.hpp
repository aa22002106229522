#pragma once
/// Outbound webhooks (stream "webhooks", one for every endpoint): the endpoints operators
/// registered, the event types each wants, where each one's delivery starts, and the catalogue
/// that maps log events to those types.
///
/// The delivery itself (the log follower, signing, HTTP, retries) is not here: actors/webhook_feed
/// follows the log per endpoint and gateways/webhooks delivers. What is here is pure: which
/// URLs are accepted, which log event is which webhook type, and the payload's JSON.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"

namespace telepay::domain::webhook {

inline constexpr std::string_view stream_name = "webhooks";
/// At most this many endpoints are registered (each has its own delivery thread).
inline constexpr std::size_t endpoints_max = 32;
inline constexpr std::size_t url_max = 2048;

/// The event types an endpoint can ask for, in a fixed order.
std::span<const std::string_view> event_types();
bool is_event_type(std::string_view type);

/// The webhook type of a log event, or nothing when no webhook is sent for it:
///   process.completed on process-payment-*  -> payment.settled (a NOWPayments payment moved money)
///   process.completed on process-purchase-* -> purchase.completed
///   process.completed on process-refund-*   -> purchase.refunded
///   process.completed on process-deposit-*  -> deposit.credited (chain, manual, NOWPayments)
///   subscription.activated / .expired       -> subscription.activated / .expired
///   withdrawal.completed / .failed          -> withdrawal.sent / withdrawal.failed
///   payout.confirmed                        -> payout.sent
std::optional<std::string_view> type_of(std::string_view stream, std::string_view log_type);

/// Whether a log event of this type may be sent as a webhook (type_of can be non-empty for it):
/// the cheap filter a follower applies before looking at the stream.
bool may_map(std::string_view log_type);

/// An endpoint URL operators may register: https://host[:port][/path], or http:// only to a
/// loopback host (127.0.0.1, localhost, [::1]) for local receivers; no user info, query or
/// fragment, printable ASCII, at most url_max bytes. Errors: invalid_argument naming the problem.
status check_url(std::string_view url);

/// A webhook id: "wh_" followed by 1-40 of [a-z0-9].
bool is_id(std::string_view id);

/// The body of one delivery (canonical JSON):
///   {"created_at": the event's recorded time, "data": the event (below), "id": "evt_{seq}",
///    "seq": its log seq, "source": the log event type, "stream": its stream, "type": the webhook type}
/// `data_json` is a JSON object: the log event's payload, or for a process (payment, purchase,
/// refund, deposit) {"id","intent","kind","outcome"} (build it with process_data).
std::string payload(std::uint64_t seq, std::int64_t recorded_at_us, std::string_view stream,
                    std::string_view log_type, std::string_view webhook_type, std::string_view data_json);
/// A finished process as webhook data: its id (the stream name after "process-{kind}-"), kind,
/// intent (the canonical JSON object it started with) and outcome.
std::string process_data(std::string_view process_stream, std::string_view kind, std::string_view intent_json,
                         std::string_view outcome);

/// One event to deliver to one endpoint: its log seq, webhook type and body (payload()).
struct delivery {
  std::uint64_t seq = 0;
  std::string type;
  std::string body;
};

struct registered {
  static constexpr std::string_view type_name = "webhook.registered";
  static constexpr std::uint16_t version = 1;
  std::string id;
  std::string url;
  std::vector<std::string> types;
  std::uint64_t from_seq = 0;  // 0: from the registration on (the seq after this event's)
  std::string by;
  void write(json_object_writer& w) const;
  static result<registered> read(const json_value& v);
  friend bool operator==(const registered&, const registered&) = default;
};

struct disabled {
  static constexpr std::string_view type_name = "webhook.disabled";
  static constexpr std::uint16_t version = 1;
  std::string id;
  std::string reason;
  std::string by;
  void write(json_object_writer& w) const;
  static result<disabled> read(const json_value& v);
  friend bool operator==(const disabled&, const disabled&) = default;
};

/// Delivery starts again at from_seq: events from there are sent again, in log order.
struct rewound {
  static constexpr std::string_view type_name = "webhook.rewound";
  static constexpr std::uint16_t version = 1;
  std::string id;
  std::uint64_t from_seq = 0;
  std::string by;
  void write(json_object_writer& w) const;
  static result<rewound> read(const json_value& v);
  friend bool operator==(const rewound&, const rewound&) = default;
};

using event = std::variant<registered, disabled, rewound>;

struct endpoint {
  std::string id;
  std::string url;
  std::vector<std::string> types;
  /// Where delivery starts (0 until the follower knows the registration's seq: from then on).
  std::uint64_t from_seq = 0;
  /// Rewinds so far: a follower whose saved position is of an older generation starts at from_seq.
  std::uint64_t generation = 0;
  bool enabled = true;
  std::string registered_by;
  std::string disabled_by;
  std::string disabled_reason;
  bool wants(std::string_view webhook_type) const;
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct state {
  std::map<std::string, endpoint> endpoints;
  friend bool operator==(const state&, const state&) = default;
};

struct register_endpoint {
  std::string id;  // made by the caller (random), checked by is_id
  std::string url;
  std::vector<std::string> types;
  std::uint64_t from_seq = 0;
  std::string by;
};
struct disable {
  std::string id;
  std::string reason;
  std::string by;
};
struct rewind {
  std::string id;
  std::uint64_t from_seq = 0;
  std::string by;
};

using command = std::variant<register_endpoint, disable, rewind>;

/// Errors: invalid_argument (URL, types, id, who, reason), webhook_not_found,
/// webhook_state_invalid (the id is taken, the endpoint is disabled, too many endpoints).
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::webhook
