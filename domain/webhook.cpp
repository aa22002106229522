#include "domain/webhook.hpp"

#include <algorithm>
#include <array>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::domain::webhook {

namespace {

constexpr std::array<std::string_view, 9> catalogue = {
    "payment.settled",        "purchase.completed", "purchase.refunded", "deposit.credited", "subscription.activated",
    "subscription.expired",   "withdrawal.sent",    "withdrawal.failed", "payout.sent",
};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool who_ok(std::string_view by) { return !by.empty() && by.size() <= 128 && is_printable_ascii_token(by); }

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

}  // namespace

std::span<const std::string_view> event_types() { return catalogue; }

bool is_event_type(std::string_view type) {
  return std::find(catalogue.begin(), catalogue.end(), type) != catalogue.end();
}

bool may_map(std::string_view log_type) {
  return log_type == "process.completed" || log_type == "subscription.activated" ||
         log_type == "subscription.expired" || log_type == "withdrawal.completed" || log_type == "withdrawal.failed" ||
         log_type == "payout.confirmed";
}

std::optional<std::string_view> type_of(std::string_view stream, std::string_view log_type) {
  if (log_type == "process.completed") {
    if (starts_with(stream, "process-payment-")) return "payment.settled";
    if (starts_with(stream, "process-purchase-")) return "purchase.completed";
    if (starts_with(stream, "process-refund-")) return "purchase.refunded";
    if (starts_with(stream, "process-deposit-")) return "deposit.credited";
    return std::nullopt;
  }
  if (log_type == "subscription.activated" && starts_with(stream, "subscription-")) return "subscription.activated";
  if (log_type == "subscription.expired" && starts_with(stream, "subscription-")) return "subscription.expired";
  if (log_type == "withdrawal.completed" && starts_with(stream, "withdrawal-")) return "withdrawal.sent";
  if (log_type == "withdrawal.failed" && starts_with(stream, "withdrawal-")) return "withdrawal.failed";
  if (log_type == "payout.confirmed" && starts_with(stream, "payout-")) return "payout.sent";
  return std::nullopt;
}

status check_url(std::string_view url) {
  if (url.empty() || url.size() > url_max) {
    return make_error(errc::invalid_argument, "url must be 1-" + std::to_string(url_max) + " bytes");
  }
  for (const char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return make_error(errc::invalid_argument, "url must be printable ASCII without spaces");
    }
  }
  bool tls = false;
  std::string_view rest;
  if (starts_with(url, "https://")) {
    tls = true;
    rest = url.substr(8);
  } else if (starts_with(url, "http://")) {
    rest = url.substr(7);
  } else {
    return make_error(errc::invalid_argument, "url must start with https://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return make_error(errc::invalid_argument, "url must not have a query or a fragment");
  }
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return make_error(errc::invalid_argument, "url must not carry user info");
  }
  std::string_view host = authority;
  std::string_view port;
  if (starts_with(host, "[")) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return make_error(errc::invalid_argument, "url has an unclosed [");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (host != "[::1]") {
      return make_error(errc::invalid_argument, "url: IPv6 literals other than [::1] are not accepted; use a name");
    }
    if (!port.empty() && port.front() != ':') return make_error(errc::invalid_argument, "url has text after ]");
    if (!port.empty()) port.remove_prefix(1);
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return make_error(errc::invalid_argument, "url has an empty port");
  }
  if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), [](char c) {
        return is_host_char(c) || c == '[' || c == ']' || c == ':';
      })) {
    return make_error(errc::invalid_argument, "url needs a host name of letters, digits, '-' and '.'");
  }
  if (!port.empty()) {
    unsigned value = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || value > 65535) return make_error(errc::invalid_argument, "url has a bad port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return make_error(errc::invalid_argument, "url has a bad port");
  }
  const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  if (!tls && !loopback) {
    return make_error(errc::invalid_argument, "url must be https:// (http:// only to 127.0.0.1, localhost or [::1])");
  }
  return {};
}

bool is_id(std::string_view id) {
  if (!starts_with(id, "wh_") || id.size() < 4 || id.size() > 43) return false;
  return std::all_of(id.begin() + 3, id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

bool endpoint::wants(std::string_view webhook_type) const {
  return std::find(types.begin(), types.end(), webhook_type) != types.end();
}

std::string payload(std::uint64_t seq, std::int64_t recorded_at_us, std::string_view stream,
                    std::string_view log_type, std::string_view webhook_type, std::string_view data_json) {
  std::string out;
  {
    json_object_writer w(out);
    w.time("created_at", recorded_at_us)
        .raw("data", data_json)
        .str("id", "evt_" + std::to_string(seq))
        .u64("seq", seq)
        .str("source", log_type)
        .str("stream", stream)
        .str("type", webhook_type);
  }
  return out;
}

std::string process_data(std::string_view process_stream, std::string_view kind, std::string_view intent_json,
                         std::string_view outcome) {
  std::string_view id = process_stream;
  const std::string prefix = "process-" + std::string(kind) + "-";
  if (starts_with(id, prefix)) id.remove_prefix(prefix.size());
  std::string out;
  {
    json_object_writer w(out);
    w.str("id", id).raw("intent", intent_json).str("kind", kind).str("outcome", outcome);
  }
  return out;
}

void registered::write(json_object_writer& w) const {
  w.str("by", by).u64("from_seq", from_seq).str("id", id).raw("types", json_string_array(types)).str("url", url);
}
result<registered> registered::read(const json_value& v) {
  registered out;
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(from, v.u64("from_seq"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(types_value, v.field("types"));
  TELEPAY_TRY(types, types_value.string_elements());
  TELEPAY_TRY(url, v.str("url"));
  out.by = std::move(by);
  out.from_seq = from;
  out.id = std::move(id);
  out.types = std::move(types);
  out.url = std::move(url);
  return out;
}

void disabled::write(json_object_writer& w) const { w.str("by", by).str("id", id).str("reason", reason); }
result<disabled> disabled::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(reason, v.str("reason"));
  return disabled{std::move(id), std::move(reason), std::move(by)};
}

void rewound::write(json_object_writer& w) const { w.str("by", by).u64("from_seq", from_seq).str("id", id); }
result<rewound> rewound::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(from, v.u64("from_seq"));
  TELEPAY_TRY(id, v.str("id"));
  return rewound{std::move(id), from, std::move(by)};
}

namespace {

result<const endpoint*> enabled_endpoint(const state& s, std::string_view id) {
  const auto found = s.endpoints.find(std::string(id));
  if (found == s.endpoints.end()) {
    return make_error(errc::webhook_not_found, "no webhook endpoint " + utf8_prefix(id, 64));
  }
  if (!found->second.enabled) {
    return make_error(errc::webhook_state_invalid, "webhook endpoint " + found->first + " is disabled");
  }
  return &found->second;
}

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const register_endpoint& r) -> decision {
            if (!is_id(r.id)) return make_error(errc::invalid_argument, "a webhook id is wh_ and 1-40 of a-z 0-9");
            TELEPAY_CHECK(check_url(r.url));
            if (r.types.empty() || r.types.size() > catalogue.size()) {
              return make_error(errc::invalid_argument, "event_types must name 1-" + std::to_string(catalogue.size()) +
                                                            " event types");
            }
            for (std::size_t i = 0; i < r.types.size(); ++i) {
              if (!is_event_type(r.types[i])) {
                return make_error(errc::invalid_argument, "event_types: unknown event type " +
                                                              utf8_prefix(r.types[i], 64));
              }
              if (std::find(r.types.begin(), r.types.begin() + static_cast<std::ptrdiff_t>(i), r.types[i]) !=
                  r.types.begin() + static_cast<std::ptrdiff_t>(i)) {
                return make_error(errc::invalid_argument, "event_types names " + r.types[i] + " twice");
              }
            }
            if (!who_ok(r.by)) return make_error(errc::invalid_argument, "registering a webhook needs who");
            if (s.endpoints.contains(r.id)) {
              return make_error(errc::webhook_state_invalid, "webhook endpoint " + r.id + " exists");
            }
            const auto live = std::count_if(s.endpoints.begin(), s.endpoints.end(),
                                            [](const auto& e) { return e.second.enabled; });
            if (static_cast<std::size_t>(live) >= endpoints_max) {
              return make_error(errc::webhook_state_invalid, "at most " + std::to_string(endpoints_max) +
                                                                 " webhook endpoints are enabled; disable one first");
            }
            return std::vector<event>{registered{r.id, r.url, r.types, r.from_seq, r.by}};
          },
          [&](const disable& d) -> decision {
            TELEPAY_TRY(found, enabled_endpoint(s, d.id));
            if (d.reason.empty() || d.reason.size() > 256 || !is_valid_utf8(d.reason)) {
              return make_error(errc::invalid_argument, "reason must be 1-256 bytes of UTF-8");
            }
            if (!who_ok(d.by)) return make_error(errc::invalid_argument, "disabling a webhook needs who");
            return std::vector<event>{disabled{found->id, d.reason, d.by}};
          },
          [&](const rewind& r) -> decision {
            TELEPAY_TRY(found, enabled_endpoint(s, r.id));
            if (r.from_seq == 0) return make_error(errc::invalid_argument, "from_seq must be at least 1");
            if (!who_ok(r.by)) return make_error(errc::invalid_argument, "rewinding a webhook needs who");
            return std::vector<event>{rewound{found->id, r.from_seq, r.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const registered& r) {
                   endpoint& out = s.endpoints[r.id];
                   out.id = r.id;
                   out.url = r.url;
                   out.types = r.types;
                   out.from_seq = r.from_seq;
                   out.registered_by = r.by;
                 },
                 [&](const disabled& d) {
                   if (auto found = s.endpoints.find(d.id); found != s.endpoints.end()) {
                     found->second.enabled = false;
                     found->second.disabled_by = d.by;
                     found->second.disabled_reason = d.reason;
                   }
                 },
                 [&](const rewound& r) {
                   if (auto found = s.endpoints.find(r.id); found != s.endpoints.end()) {
                     found->second.from_seq = r.from_seq;
                     ++found->second.generation;
                   }
                 },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::webhook
