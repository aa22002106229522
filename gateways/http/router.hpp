#pragma once
/// Routes requests by method and path pattern (`/v1/users/{id}/balances`) to handlers.
/// Unknown paths get 404, known paths with another method get 405 with `Allow`.

#include <string>
#include <vector>

#include "gateways/http/server.hpp"

namespace telepay::gateways::http {

class router {
 public:
  /// REQUIRES: pattern starts with '/'; `{name}` matches exactly one non-empty segment.
  void add(std::string method, std::string pattern, handler on_request);

  /// Dispatches; usable directly as the server's handler.
  void operator()(const request& req, responder reply) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    handler on_request;
  };
  static std::vector<std::string> split(std::string_view path);
  static bool match(const route& r, const std::vector<std::string>& segments,
                    std::vector<std::pair<std::string, std::string>>& params);

  std::vector<route> routes_;
};

}  // namespace telepay::gateways::http
