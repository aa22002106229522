// The request and response helpers of gateways/http/server.hpp that need no Beast (the route
// decoders and the fuzz targets link them without the server).

#include "domain/base/json.hpp"
#include "gateways/http/server.hpp"

namespace telepay::gateways::http {

std::string_view request::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) {
      return value;
    }
  }
  return {};
}

std::string_view request::param(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

response json_response(unsigned status, std::string body) {
  response out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

response error_response(unsigned status, std::string_view code, std::string_view message) {
  response out;
  out.status = status;
  out.body = "{\"error\":";
  append_json_string(out.body, code);
  out.body += ",\"message\":";
  append_json_string(out.body, message);
  out.body += "}";
  return out;
}

}  // namespace telepay::gateways::http
