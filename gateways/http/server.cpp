// Beast HTTP/1.1 server: one session per connection with body and header limits, timeouts,
// keep-alive, a cap on connections and security headers on every answer.

#include "gateways/http/server.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "domain/base/json.hpp"
#include "domain/base/limits.hpp"

namespace telepay::gateways::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

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

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

class session;

/// Shared by the server and its sessions. It owns the io_context, so a session kept alive by a
/// responder that fires late (after stop) never outlives the services its socket belongs to.
struct shared_state {
  std::shared_ptr<net::io_context> io;
  handler on_request;
  std::chrono::seconds timeout{30};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::mutex sessions_mutex;
  bool stopping = false;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    state_->connections.fetch_add(1);
  }
  ~session() {
    state_->connections.fetch_sub(1);
    std::lock_guard lock(state_->sessions_mutex);
    state_->sessions.erase(this);
  }

  void run() {
    {
      std::lock_guard lock(state_->sessions_mutex);
      if (state_->stopping) {
        return;  // the server is stopping: drop the connection unread
      }
      state_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  /// Closes the connection from the session's own executor (used by server::stop).
  void close_soon() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(limits::http_request_body_bytes_max);
    parser_->header_limit(static_cast<std::uint32_t>(limits::http_request_header_bytes_max));
    stream_.expires_after(state_->timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      close();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      respond_and_close(error_response(413, "payload_too_large",
                                       "request body exceeds " +
                                           std::to_string(limits::http_request_body_bytes_max) +
                                           " bytes"));
      return;
    }
    if (ec == bhttp::error::header_limit) {
      respond_and_close(error_response(431, "headers_too_large", "request headers are too large"));
      return;
    }
    if (ec) {
      respond_and_close(error_response(400, "bad_request", "malformed HTTP request"));
      return;
    }
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    request req;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    const auto question = req.target.find('?');
    req.path = req.target.substr(0, question);
    req.query = question == std::string::npos ? "" : req.target.substr(question + 1);
    for (const auto& field : message) {
      req.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(message.body());
    beast::error_code endpoint_error;
    if (!remote_known_) {  // one getpeername per connection, not per request
      const auto remote = stream_.socket().remote_endpoint(endpoint_error);
      remote_address_ = endpoint_error ? "" : remote.address().to_string();
      remote_known_ = true;
    }
    req.remote_address = remote_address_;
    state_->requests.fetch_add(1, std::memory_order_relaxed);

    auto self = shared_from_this();
    responder reply = [self](response res) {
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    };
    try {
      state_->on_request(req, std::move(reply));
    } catch (const std::exception&) {
      // A handler bug must not take the server down; the caller gets a 500 and no detail.
      write(error_response(500, "internal_error", "internal error"));
    }
  }

  void respond_and_close(response res) {
    keep_alive_ = false;
    version_ = 11;
    write(std::move(res));
  }

  void write(response res) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(res.status), version_);
    out->set(bhttp::field::server, "telepay");
    out->set(bhttp::field::content_type, res.content_type);
    out->set(bhttp::field::cache_control, "no-store");
    out->set("X-Content-Type-Options", "nosniff");
    out->set("X-Frame-Options", "DENY");
    out->set("Referrer-Policy", "no-referrer");
    out->set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    for (auto& [name, value] : res.headers) {
      out->set(name, value);
    }
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    stream_.expires_after(state_->timeout);
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                         self->on_write(ec, out->keep_alive());
                       });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive) {
      close();
      return;
    }
    read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  std::string remote_address_;
  bool remote_known_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<shared_state> state_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

class beast_server final : public server {
 public:
  beast_server(const server_options& options, handler on_request)
      : options_(options),
        io_(std::make_shared<net::io_context>(static_cast<int>(options.io_threads))),
        acceptor_(net::make_strand(*io_)), state_(std::make_shared<shared_state>()) {
    state_->io = io_;
    state_->on_request = std::move(on_request);
    state_->timeout = options.timeout;
  }

  ~beast_server() override { stop(); }

  status listen() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.address, ec);
    if (ec) {
      return make_error(errc::invalid_argument,
                        "bad listen address '" + options_.address + "': " + ec.message());
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return make_error(errc::invalid_argument, "cannot listen on " + options_.address + ":" +
                                                    std::to_string(options_.port) + ": " +
                                                    ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (std::size_t i = 0; i < options_.io_threads; ++i) {
      threads_.emplace_back([io = io_] { io->run(); });
    }
    return {};
  }

  std::uint16_t port() const override { return port_; }
  std::uint64_t requests_served() const override { return state_->requests.load(); }

  void stop() override {
    if (stopped_.exchange(true)) {
      return;
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    // Close every open connection; their pending reads complete as aborted, so the io threads
    // run out of work and return (a stuck peer is bounded by the timeout anyway).
    std::vector<std::shared_ptr<session>> open;
    {
      std::lock_guard lock(state_->sessions_mutex);
      state_->stopping = true;
      for (auto& [raw, weak] : state_->sessions) {
        if (auto strong = weak.lock()) {
          open.push_back(std::move(strong));
        }
      }
    }
    for (auto& s : open) {
      s->close_soon();
    }
    open.clear();
    for (auto& thread : threads_) {
      thread.join();
    }
    threads_.clear();
  }

 private:
  void accept() {
    acceptor_.async_accept(net::make_strand(*io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
        return;
      }
      if (!ec) {
        if (state_->connections.load() >= limits::http_connections_max) {
          beast::error_code ignored;
          socket.close(ignored);  // over the cap: refuse rather than queue without bound
        } else {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<session>(std::move(socket), state_)->run();
        }
      }
      accept();
    });
  }

  server_options options_;
  std::shared_ptr<net::io_context> io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<shared_state> state_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

result<std::unique_ptr<server>> server::start(const server_options& options, handler on_request) {
  LEDGER_ASSERT(options.io_threads >= 1, "the HTTP server needs at least one io thread");
  auto instance = std::make_unique<beast_server>(options, std::move(on_request));
  if (auto listening = instance->listen(); !listening) {
    return listening.error();
  }
  return std::unique_ptr<server>(std::move(instance));
}

}  // namespace telepay::gateways::http
