#include "gateways/http/router.hpp"

#include "domain/base/assert.hpp"

namespace telepay::gateways::http {

std::vector<std::string> router::split(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    const auto end = path.find('/', at);
    segments.emplace_back(path.substr(at, end == std::string_view::npos ? end : end - at));
    if (end == std::string_view::npos) {
      break;
    }
    at = end;
  }
  return segments;
}

void router::add(std::string method, std::string pattern, handler on_request) {
  LEDGER_ASSERT(!pattern.empty() && pattern[0] == '/', "route pattern must start with /: ",
                pattern);
  routes_.push_back(route{std::move(method), split(pattern), std::move(on_request)});
}

bool router::match(const route& r, const std::vector<std::string>& segments,
                   std::vector<std::pair<std::string, std::string>>& params) {
  if (r.segments.size() != segments.size()) {
    return false;
  }
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = r.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      params.emplace_back(want.substr(1, want.size() - 2), segments[i]);
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

void router::operator()(const request& req, responder reply) const {
  const auto segments = split(req.path);
  std::vector<std::pair<std::string, std::string>> params;
  std::string allowed;
  for (const route& r : routes_) {
    if (!match(r, segments, params)) {
      continue;
    }
    if (r.method == req.method) {
      req.path_params = std::move(params);
      r.on_request(req, std::move(reply));
      return;
    }
    if (!allowed.empty()) {
      allowed += ", ";
    }
    allowed += r.method;
  }
  if (!allowed.empty()) {
    response res = error_response(405, "method_not_allowed",
                                  req.method + " is not allowed on " + req.path);
    res.headers.emplace_back("Allow", allowed);
    reply(std::move(res));
    return;
  }
  reply(error_response(404, "not_found", "no route for " + req.path));
}

}  // namespace telepay::gateways::http
