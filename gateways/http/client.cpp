// Beast HTTP(S) client: a fresh connection per request, each step under a deadline.

#include "gateways/http/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace telepay::gateways::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

result<endpoint> parse_url(std::string_view url) {
  endpoint out;
  if (url.substr(0, 8) == "https://") {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.substr(0, 7) == "http://") {
    out.tls = false;
    url.remove_prefix(7);
  } else {
    return make_error(errc::invalid_argument, "a URL starts with http:// or https://");
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return make_error(errc::invalid_argument, "bad port in URL");
    }
    out.port = std::string(port);
    authority = authority.substr(0, colon);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  if (authority.empty()) {
    return make_error(errc::invalid_argument, "a URL needs a host");
  }
  out.host = std::string(authority);
  return out;
}

struct client::impl {
  endpoint where;
  client_options options;
  std::optional<ssl::context> tls;
};

client::client(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
client::~client() = default;

const endpoint& client::target() const { return impl_->where; }

result<std::unique_ptr<client>> client::create(std::string_view base_url, client_options options) {
  TELEPAY_TRY(where, parse_url(base_url));
  auto state = std::make_unique<impl>();
  state->where = std::move(where);
  state->options = std::move(options);
  if (state->where.tls) {
    state->tls.emplace(ssl::context::tls_client);
    auto& ctx = *state->tls;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (state->options.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(state->options.ca_file, ec);
    }
    if (ec) {
      return make_error(errc::upstream_unavailable,
                        "cannot load trusted CAs" +
                            (state->options.ca_file.empty() ? std::string() : " from " + state->options.ca_file) +
                            ": " + ec.message());
    }
    ctx.set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<client>(new client(std::move(state)));
}

namespace {

/// Runs the io_context until the started operation completes.
void run(net::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

error unavailable(const endpoint& where, std::string_view step, const beast::error_code& ec) {
  std::string what = ec.message();
  if (ec == beast::error::timeout) what = "timed out";
  return make_error(errc::upstream_unavailable,
                    std::string(step) + " " + where.host + ":" + where.port + ": " + what);
}

template <class Stream>
result<client_response> exchange(net::io_context& ioc, Stream& stream, const endpoint& where, const client_options& options,
                                 bhttp::request<bhttp::string_body>& req) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  bhttp::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  if (ec) return unavailable(where, "write to", ec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.body_limit);
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  if (ec) return unavailable(where, "read from", ec);
  auto res = parser.release();
  return client_response{res.result_int(), std::move(res.body())};
}

}  // namespace

result<client_response> client::send(const client_request& request) {
  const endpoint& where = impl_->where;
  const client_options& options = impl_->options;
  net::io_context ioc;
  beast::error_code ec;

  tcp::resolver resolver(ioc);
  tcp::resolver::results_type addresses;
  resolver.async_resolve(where.host, where.port, [&](beast::error_code e, tcp::resolver::results_type r) {
    ec = e;
    addresses = std::move(r);
  });
  run(ioc);
  if (ec) return unavailable(where, "resolve", ec);

  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method),
                                         where.base_path + request.path, 11};
  if (req.method() == bhttp::verb::unknown) {
    return make_error(errc::invalid_argument, "unknown HTTP method " + request.method);
  }
  req.set(bhttp::field::host, where.host);
  req.set(bhttp::field::user_agent, "telepay");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers) {
    req.set(name, value);
  }
  if (!request.body.empty() || req.method() == bhttp::verb::post) {
    req.body() = request.body;
    req.prepare_payload();
  }

  if (!where.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(options.timeout);
    stream.async_connect(addresses, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run(ioc);
    if (ec) return unavailable(where, "connect to", ec);
    auto out = exchange(ioc, stream, where, options, req);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
  }

  beast::ssl_stream<beast::tcp_stream> stream(ioc, *impl_->tls);
  boost::system::error_code not_ip;
  (void)net::ip::make_address(where.host, not_ip);
  if (!not_ip) {
    // An IP literal: no SNI (RFC 6066 forbids it), and the certificate must name the address
    // in an IP subjectAltName, checked by OpenSSL's own verification.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), where.host.c_str()) != 1) {
      return make_error(errc::upstream_unavailable, "cannot verify TLS for address " + where.host);
    }
  } else {
    // SSL_set_tlsext_host_name, without the macro's C cast.
    if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(where.host.c_str())) != 1) {
      return make_error(errc::upstream_unavailable, "cannot set TLS SNI for " + where.host);
    }
    stream.set_verify_callback(ssl::host_name_verification(where.host));
  }
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  beast::get_lowest_layer(stream).async_connect(addresses,
                                                [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  run(ioc);
  if (ec) return unavailable(where, "connect to", ec);
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  run(ioc);
  if (ec) return unavailable(where, "TLS handshake with", ec);
  auto out = exchange(ioc, stream, where, options, req);
  // Close politely; a peer that just drops the connection (stream_truncated) is fine.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  stream.async_shutdown([](beast::error_code) {});
  run(ioc);
  return out;
}

bool is_retryable(const result<client_response>& outcome) {
  if (!outcome) {
    return outcome.code() == errc::upstream_unavailable;
  }
  return outcome->status == 429 || outcome->status >= 500;
}

result<client_response> send_with_retries(client& c, const client_request& request,
                                          const retry_policy& policy,
                                          const std::function<void(std::chrono::milliseconds)>& sleep) {
  auto delay = policy.first_delay;
  result<client_response> outcome = make_error(errc::upstream_unavailable, "no attempt made");
  for (int attempt = 1; attempt <= std::max(1, policy.attempts); ++attempt) {
    outcome = c.send(request);
    if (!is_retryable(outcome) || attempt == policy.attempts) {
      return outcome;
    }
    if (sleep) {
      sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
    delay = std::min(delay * 2, policy.max_delay);
  }
  return outcome;
}

}  // namespace telepay::gateways::http
