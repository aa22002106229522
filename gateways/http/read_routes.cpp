// The operator API's read routes and the one decoder of their query strings.

#include "gateways/http/read_routes.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <set>

#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/ids.hpp"
#include "gateways/http/path_params.hpp"

namespace telepay::gateways::http {
namespace {

using domain::role;
using enum query_kind;

constexpr std::size_t text_bytes_max = 256;
constexpr std::int64_t page_limit_max = 1000;
constexpr std::int64_t id_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t id_max = std::numeric_limits<std::int64_t>::max();

constexpr std::array<std::string_view, 3> subscription_statuses = {"active", "expiring", "expired"};

constexpr std::array<query_field, 0> no_fields{};
// Time ranges: [since, until), each a UTC time.
constexpr query_field since_field{"since", query_kind::time};
constexpr query_field until_field{"until", query_kind::time};
constexpr std::array<query_field, 1> balances_fields{{{"at", seq_or_time}}};
constexpr std::array<std::string_view, 3> owner_kinds = {"user", "channel", "system"};
constexpr std::array<std::string_view, 2> asset_codes = {domain::asset_code(domain::asset::usdt),
                                                         domain::asset_code(domain::asset::usd)};
constexpr std::array<query_field, 2> wallets_fields{{{"owner", text}, {"kind", text, 0, 0, owner_kinds}}};
constexpr std::array<query_field, 3> statement_fields{{{"asset", text, 0, 0, asset_codes},
                                                       {"after_version", integer, 0, id_max},
                                                       {"limit", integer, 1, page_limit_max}}};
constexpr std::array<query_field, 2> leaderboard_fields{{{"limit", integer, 1, page_limit_max},
                                                         {"offset", integer, 0, 1'000'000'000}}};
// user_id and channel_id, as every answer names them; user and channel are their older names.
constexpr std::array<query_field, 6> subscriptions_fields{{{"user_id", integer, id_min, id_max},
                                                           {"user", integer, id_min, id_max},
                                                           {"channel_id", integer, id_min, id_max},
                                                           {"channel", integer, id_min, id_max},
                                                           {"status", text, 0, 0, subscription_statuses},
                                                           {"within_days", integer, 0, 3650}}};
// Every status filter names its values: another one is a 400 naming the parameter, not an
// empty page (the values are what the read models write).
constexpr std::array<std::string_view, 5> payout_statuses = {"created", "submitted", "confirmed", "failed",
                                                              "failed_final"};
constexpr std::array<std::string_view, 4> process_kinds = {"purchase", "refund", "deposit", "payment"};
constexpr std::array<std::string_view, 3> process_statuses = {"started", "completed", "failed"};
constexpr std::array<std::string_view, 3> manual_deposit_statuses = {"requested", "approved", "rejected"};
constexpr std::array<std::string_view, 11> invoice_statuses = {
    "created", "waiting", "confirming", "confirmed", "sending", "finished", "partially_paid",
    "failed", "expired", "refunded", "review"};
constexpr std::array<std::string_view, 6> withdrawal_statuses = {"awaiting_approval", "approved", "rejected",
                                                                 "completed", "failed", "cancelled"};
constexpr std::array<std::string_view, 3> chain_deposit_statuses = {"detected", "orphaned", "confirmed"};
constexpr std::array<query_field, 3> payouts_fields{
    {{"channel_id", integer, id_min, id_max}, {"channel", integer, id_min, id_max}, {"status", text, 0, 0, payout_statuses}}};
constexpr std::array<query_field, 4> processes_fields{
    {{"kind", text, 0, 0, process_kinds}, {"status", text, 0, 0, process_statuses}, since_field, until_field}};
constexpr std::array<query_field, 1> manual_deposits_fields{{{"status", text, 0, 0, manual_deposit_statuses}}};
constexpr std::array<query_field, 4> invoices_fields{
    {{"user_id", integer, id_min, id_max}, {"status", text, 0, 0, invoice_statuses}, since_field, until_field}};
constexpr std::array<query_field, 2> withdrawals_fields{
    {{"user_id", integer, id_min, id_max}, {"status", text, 0, 0, withdrawal_statuses}}};
constexpr std::array<query_field, 2> chain_deposits_fields{
    {{"user_id", integer, id_min, id_max}, {"status", text, 0, 0, chain_deposit_statuses}}};
constexpr std::array<std::string_view, 4> coupon_statuses = {"active", "disabled", "expired", "exhausted"};
constexpr std::array<query_field, 1> coupons_fields{{{"status", text, 0, 0, coupon_statuses}}};
constexpr std::array<query_field, 3> audit_fields{{{"token", text}, since_field, until_field}};
constexpr std::array<query_field, 4> events_fields{
    {{"from", integer, 1, id_max}, {"limit", integer, 1, page_limit_max}, since_field, until_field}};

constexpr std::array<read_route, 35> routes{{
    {"/metrics", role::auditor, false, path_kind::none, {}, no_fields},
    {"/v1/users", role::auditor, true, path_kind::none, {}, no_fields},
    {"/v1/users/{id}", role::auditor, false, path_kind::integer, "id", no_fields},
    {"/v1/users/{id}/balances", role::auditor, false, path_kind::integer, "id", balances_fields},
    {"/v1/wallets", role::auditor, true, path_kind::none, {}, wallets_fields},
    {"/v1/accounts/{owner}/balances", role::auditor, false, path_kind::text, "owner", balances_fields},
    {"/v1/accounts/{owner}/statement", role::auditor, false, path_kind::text, "owner", statement_fields},
    {"/v1/referrals/leaderboard", role::auditor, false, path_kind::none, {}, leaderboard_fields},
    {"/v1/referrals/{id}", role::auditor, false, path_kind::integer, "id", no_fields},
    {"/v1/subscriptions", role::auditor, true, path_kind::none, {}, subscriptions_fields},
    {"/v1/channels", role::auditor, true, path_kind::none, {}, no_fields},
    {"/v1/channels/{id}", role::auditor, false, path_kind::integer, "id", no_fields},
    {"/v1/channels/{id}/config", role::auditor, false, path_kind::integer, "id", no_fields},
    {"/v1/settings", role::auditor, false, path_kind::none, {}, no_fields},
    {"/v1/tokens", role::auditor, true, path_kind::none, {}, no_fields},
    {"/v1/coupons", role::auditor, true, path_kind::none, {}, coupons_fields},
    {"/v1/coupons/{code}", role::auditor, false, path_kind::text, "code", no_fields},
    {"/v1/broadcasts/{id}", role::auditor, false, path_kind::text, "id", no_fields},
    {"/v1/payouts", role::auditor, true, path_kind::none, {}, payouts_fields},
    {"/v1/processes", role::auditor, true, path_kind::none, {}, processes_fields},
    {"/v1/processes/attention", role::auditor, false, path_kind::none, {}, no_fields},
    {"/v1/manual-deposits", role::auditor, true, path_kind::none, {}, manual_deposits_fields},
    {"/v1/invoices", role::auditor, true, path_kind::none, {}, invoices_fields},
    {"/v1/invoices/{order_id}", role::auditor, false, path_kind::text, "order_id", no_fields},
    {"/v1/withdrawals", role::auditor, true, path_kind::none, {}, withdrawals_fields},
    {"/v1/withdrawals/{id}", role::auditor, false, path_kind::text, "id", no_fields},
    {"/v1/chain/deposits", role::auditor, true, path_kind::none, {}, chain_deposits_fields},
    {"/v1/blacklist", role::auditor, true, path_kind::none, {}, no_fields},
    {"/v1/audit-log", role::auditor, true, path_kind::none, {}, audit_fields},
    {"/v1/events", role::auditor, false, path_kind::none, {}, events_fields},
    // Served by the chain gateway (telepayd adds them with api::add_read).
    {"/v1/users/{id}/deposit-address", role::operator_, false, path_kind::integer, "id", no_fields},
    {"/v1/chain/status", role::auditor, false, path_kind::none, {}, no_fields},
    // Served by the webhook gateway (telepayd adds them with api::add_read).
    {"/v1/webhook-endpoints", role::auditor, true, path_kind::none, {}, no_fields},
    {"/v1/webhook-endpoints/{id}", role::auditor, false, path_kind::text, "id", no_fields},
    {"/v1/webhook-endpoints/{id}/deliveries", role::auditor, true, path_kind::text, "id", no_fields},
}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Form decoding: '+' is a space, %XX a byte; a '%' not followed by two hex digits is refused.
result<std::string> percent_decode(std::string_view raw, std::string_view what) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out.push_back(' ');
    } else if (raw[i] == '%') {
      if (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0) {
        return make_error(errc::invalid_argument,
                          "query parameter " + std::string(what) + " has a malformed %-escape");
      }
      out.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
      i += 2;
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

/// Every name=value pair of a query string, decoded; empty pairs (a doubled '&') are skipped.
result<std::vector<std::pair<std::string, std::string>>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at <= query.size()) {
    const std::size_t end = std::min(query.find('&', at), query.size());
    const std::string_view pair = query.substr(at, end - at);
    at = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    TELEPAY_TRY(name, percent_decode(pair.substr(0, eq), "name"));
    if (name.empty() || name.size() > 64 || !domain::is_token(name, 64)) {
      return make_error(errc::invalid_argument, "a query parameter name must be 1-64 of A-Z a-z 0-9 _ . : -");
    }
    TELEPAY_TRY(value, percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), name));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

result<std::int64_t> integer_in(std::string_view text, std::string_view name, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return make_error(errc::invalid_argument, "query parameter " + std::string(name) + " must be an integer " +
                                                  std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

status check_text(std::string_view text, std::string_view name) {
  if (text.size() > text_bytes_max || !is_valid_utf8(text)) {
    return make_error(errc::invalid_argument, "query parameter " + std::string(name) + " must be at most " +
                                                  std::to_string(text_bytes_max) + " bytes of UTF-8");
  }
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return make_error(errc::invalid_argument,
                        "query parameter " + std::string(name) + " must not hold control characters");
    }
  }
  return {};
}

status decode_field(const query_field& field, const std::string& value, read_args& out) {
  switch (field.kind) {
    case integer: {
      TELEPAY_TRY(n, integer_in(value, field.name, field.min, field.max));
      out.integers.emplace(std::string(field.name), n);
      return {};
    }
    case text: {
      TELEPAY_CHECK(check_text(value, field.name));
      if (!value.empty() && !field.allowed.empty()) {
        bool known = false;
        std::string list;
        for (const std::string_view allowed : field.allowed) {
          known = known || allowed == value;
          list += (list.empty() ? "" : ", ") + std::string(allowed);
        }
        if (!known) {
          return make_error(errc::invalid_argument, "query parameter " + std::string(field.name) + " is one of " + list);
        }
      }
      out.texts.emplace(std::string(field.name), value);
      return {};
    }
    case seq_or_time: {
      std::uint64_t seq = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seq);
      if (!value.empty() && ec == std::errc() && end == value.data() + value.size()) {
        if (seq == 0 || seq > static_cast<std::uint64_t>(id_max)) {
          return make_error(errc::invalid_argument,
                            "query parameter " + std::string(field.name) + " as a seq must be a positive integer");
        }
        out.at_seq = seq;
      } else if (auto when = parse_utc_micros(value)) {
        out.at_time_us = *when;
      } else {
        return make_error(errc::invalid_argument, "query parameter " + std::string(field.name) +
                                                      " must be a seq (positive integer) or a UTC time like "
                                                      "2026-11-25T10:00:00Z");
      }
      out.texts.emplace(std::string(field.name), value);
      return {};
    }
    case query_kind::time: {
      auto when = parse_utc_micros(value);
      if (!when || *when <= 0) {
        return make_error(errc::invalid_argument, "query parameter " + std::string(field.name) +
                                                      " must be a UTC time like 2026-11-25T10:00:00Z");
      }
      out.integers.emplace(std::string(field.name), *when);
      return {};
    }
  }
  return make_error(errc::internal, "unknown query kind");  // every kind returns above
}

}  // namespace

std::int64_t read_args::integer(std::string_view name, std::int64_t fallback) const {
  const auto found = integers.find(name);
  return found == integers.end() ? fallback : found->second;
}

std::string read_args::text(std::string_view name) const {
  const auto found = texts.find(name);
  return found == texts.end() ? std::string() : found->second;
}

std::span<const read_route> read_routes() { return routes; }

const read_route* find_read_route(std::string_view pattern) {
  for (const read_route& r : routes) {
    if (r.pattern == pattern) return &r;
  }
  return nullptr;
}

result<read_args> decode_read(const read_route& route, const request& req) {
  read_args out;
  switch (route.path) {
    case path_kind::none:
      break;
    case path_kind::integer: {
      TELEPAY_TRY(id, path_integer(req, route.path_name));
      out.id = id;
      break;
    }
    case path_kind::text: {
      TELEPAY_TRY(key, path_text(req, route.path_name));
      out.key = std::move(key);
      break;
    }
  }
  TELEPAY_TRY(pairs, query_pairs(req.query));
  std::set<std::string, std::less<>> seen;
  for (const auto& [name, value] : pairs) {
    if (!seen.insert(name).second) {
      return make_error(errc::invalid_argument, "query parameter " + name + " is given twice");
    }
    if (route.paged && name == "cursor") {
      TELEPAY_CHECK(check_text(value, name));
      out.cursor = value;
      continue;
    }
    if (route.paged && name == "limit") {
      TELEPAY_TRY(limit, integer_in(value, name, 1, page_limit_max));
      out.limit = static_cast<std::size_t>(limit);
      continue;
    }
    const query_field* field = nullptr;
    for (const query_field& f : route.fields) {
      if (f.name == name) field = &f;
    }
    if (field == nullptr) {
      return make_error(errc::invalid_argument, "query parameter " + utf8_prefix(name, 64) + " is not taken by " +
                                                    std::string(route.pattern));
    }
    TELEPAY_CHECK(decode_field(*field, value, out));
  }
  if (out.integers.contains("since") && out.integers.contains("until") &&
      out.integer("until", 0) <= out.integer("since", 0)) {
    return make_error(errc::invalid_argument, "query parameter until must be after since");
  }
  return out;
}

}  // namespace telepay::gateways::http
