#pragma once
/// Path parameters of the operator API's routes, read the same way by the write and the read
/// route decoders: `{id}`-style integers and tokens, refused with a message naming `{name}`.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "domain/ids.hpp"
#include "gateways/http/server.hpp"

namespace telepay::gateways::http {

/// `{name}` as a decimal integer (Telegram ids are signed).
inline result<std::int64_t> path_integer(const request& req, std::string_view name) {
  const std::string_view text = req.param(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return make_error(errc::invalid_argument, "path {" + std::string(name) + "} must be an integer");
  }
  return value;
}

/// `{name}` as 1-128 of A-Z a-z 0-9 _ . : -.
inline result<std::string> path_text(const request& req, std::string_view name) {
  const std::string_view text = req.param(name);
  if (!domain::is_token(text, 128)) {
    return make_error(errc::invalid_argument,
                      "path {" + std::string(name) + "} must be 1-128 of A-Z a-z 0-9 _ . : -");
  }
  return std::string(text);
}

}  // namespace telepay::gateways::http
