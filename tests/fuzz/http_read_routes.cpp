// Fuzzes the query decoder of every read route of the operator API, driven by the route table
// (gateways/http/read_routes.hpp), so a route added to the table is fuzzed with no change here.
//
// Input: byte 0 picks the route (modulo the table size); up to the first '\n' is the value of
// the route's path parameter; the rest is the query string (after '?'), any bytes.
// Properties: a decoded page limit is 1..1000; every decoded integer is within its field's
// range; every decoded text is bounded UTF-8 without control characters; a query the decoder
// accepted, rebuilt from what it decoded, decodes to the same arguments.
//
// fuzz-dict: query

#include <cstdio>

#include "domain/base/json.hpp"
#include "gateways/http/read_routes.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::gateways::http;

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '_' ||
        b == '.' || b == ':') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 15]);
    }
  }
  return out;
}

void check_texts(const read_args& args) {
  for (const auto& [name, value] : args.texts) {
    if (value.size() > 256 || !is_valid_utf8(value)) fuzz::fail("a decoded text is not bounded UTF-8", name);
    for (const char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) fuzz::fail("a decoded text holds a control character", name);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto routes = read_routes();
  if (size == 0 || routes.empty()) return 0;
  fuzz::reader in(fuzz::as_text(data, size));
  const read_route& route = routes[in.byte() % routes.size()];
  const std::string_view param = in.line();
  request req;
  req.method = "GET";
  req.path = std::string(route.pattern);
  req.query = std::string(in.rest());
  if (route.path != path_kind::none) {
    req.path_params.emplace_back(std::string(route.path_name), std::string(param));
  }
  auto args = decode_read(route, req);
  if (!args) return 0;
  if (args->limit < 1 || args->limit > 1000) fuzz::fail("page limit out of 1..1000");
  for (const auto& [name, value] : args->integers) {
    bool placed = false;
    for (const query_field& f : route.fields) {
      if (f.name != name) continue;
      placed = true;
      if (value < f.min || value > f.max) fuzz::fail("a decoded integer is out of its range", name);
    }
    if (!placed) fuzz::fail("a decoded integer the route does not take", name);
  }
  check_texts(*args);
  if (args->cursor.size() > 256 || !is_valid_utf8(args->cursor)) fuzz::fail("the cursor is not bounded UTF-8");
  if (args->at_seq && args->at_time_us) fuzz::fail("at is both a seq and a time");
  // Rebuilt from what was decoded, the query decodes to the same arguments.
  std::string rebuilt;
  const auto add = [&](std::string_view name, std::string_view value) {
    rebuilt += (rebuilt.empty() ? "" : "&") + std::string(name) + "=" + percent_encode(value);
  };
  if (!args->cursor.empty()) add("cursor", args->cursor);
  if (req.query.find("limit") != std::string::npos && route.paged) add("limit", std::to_string(args->limit));
  for (const auto& [name, value] : args->integers) {
    if (!(route.paged && name == "limit")) add(name, std::to_string(value));
  }
  for (const auto& [name, value] : args->texts) add(name, value);
  request again = req;
  again.query = rebuilt;
  auto second = decode_read(route, again);
  if (!second) fuzz::fail("a rebuilt query does not decode", second.error().message);
  if (second->cursor != args->cursor || second->integers != args->integers || second->texts != args->texts ||
      second->at_seq != args->at_seq || second->at_time_us != args->at_time_us || second->id != args->id ||
      second->key != args->key || (route.paged && second->limit != args->limit && req.query.find("limit") != std::string::npos)) {
    fuzz::fail("a rebuilt query decodes to other arguments", rebuilt);
  }
  return 0;
}
