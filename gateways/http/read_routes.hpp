#pragma once
/// The operator API's read routes as one table: the pattern (every read is a GET), the role it
/// needs, its path parameter and the query parameters it takes, each with its type and range.
/// One pure decoder (`decode_read`) turns a request into `read_args` by that table: a query
/// parameter the route does not take, one given twice, a malformed %-escape, text that is not
/// UTF-8 or has control characters, an integer out of its range are each a 400 naming the
/// parameter, before any read runs. The fuzz target `http_read_routes` drives every route of
/// the table, so a route added here is fuzzed without more.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/admin.hpp"
#include "domain/base/result.hpp"
#include "gateways/http/server.hpp"

namespace telepay::gateways::http {

enum class query_kind {
  integer,      // a decimal integer within [min, max]
  text,         // 1-256 bytes of UTF-8 without control characters (or one of `allowed`)
  seq_or_time,  // a log seq (a positive integer) or a UTC time like 2026-11-25T10:00:00Z
  time,         // a UTC time like 2026-11-25T10:00:00Z, kept in `integers` as microseconds
};

struct query_field {
  std::string_view name;
  query_kind kind = query_kind::text;
  std::int64_t min = 0;
  std::int64_t max = 0;
  /// For texts: the values allowed (empty: any).
  std::span<const std::string_view> allowed = {};
};

enum class path_kind {
  none,
  integer,  // {id}: a decimal integer (Telegram ids are signed)
  text,     // {id}, {order_id}: 1-128 of A-Z a-z 0-9 _ . : -
};

struct read_route {
  std::string_view pattern;
  domain::role need;
  /// Takes `cursor` (the previous page's next_cursor) and `limit` (1-1000, default 100).
  bool paged = false;
  path_kind path = path_kind::none;
  std::string_view path_name = {};
  std::span<const query_field> fields = {};
};

/// What a read request asks for, checked against its route.
struct read_args {
  std::string cursor;
  std::size_t limit = 100;
  /// The path parameter: `id` when integer, `key` when text.
  std::int64_t id = 0;
  std::string key;
  std::map<std::string, std::int64_t, std::less<>> integers;
  std::map<std::string, std::string, std::less<>> texts;
  /// seq_or_time parameters: exactly one of the two is set.
  std::optional<std::uint64_t> at_seq;
  std::optional<std::int64_t> at_time_us;

  bool has(std::string_view name) const { return integers.contains(name) || texts.contains(name); }
  std::int64_t integer(std::string_view name, std::int64_t fallback) const;
  std::string text(std::string_view name) const;  // empty when absent
};

/// Every read route of the operator API served by gateways/http/api.cpp, in a fixed order.
std::span<const read_route> read_routes();

/// The route of `pattern`; nullptr when it is not in the table.
const read_route* find_read_route(std::string_view pattern);

/// Decodes `req` (its query and the path parameter the router matched) by `route`. A time
/// range (`since`, `until`) whose until is not after its since is a 400 naming until.
result<read_args> decode_read(const read_route& route, const request& req);

}  // namespace telepay::gateways::http
