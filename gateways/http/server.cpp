// Beast HTTP/1.1 server: one session per connection with body and header limits, timeouts,
// keep-alive, a cap on connections and security headers on every answer.

#include "gateways/http/server.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
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
  server_options options;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> deadlines_missed{0};
  std::atomic<std::uint64_t> next_request{0};
  std::uint32_t id_prefix = 0;  // random per process, so ids from two runs do not collide
  std::mutex sessions_mutex;
  bool stopping = false;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  std::unordered_map<std::string, std::size_t> per_address;  // open connections by peer address

  std::string new_request_id() {
    char text[32];
    std::snprintf(text, sizeof text, "r%08x%08llx", id_prefix,
                  static_cast<unsigned long long>(next_request.fetch_add(1, std::memory_order_relaxed)));
    return text;
  }
};

/// Request targets are ASCII by RFC 9112; other bytes (which Beast lets through) are refused so
/// they never reach a route, a log line or a recorded event.
bool printable_ascii(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

class session : public std::enable_shared_from_this<session> {
 public:
  /// REQUIRES: the caller counted this connection in state->per_address[address].
  session(tcp::socket socket, std::shared_ptr<shared_state> state, std::string address)
      : stream_(std::move(socket)), remote_address_(std::move(address)), deadline_(stream_.get_executor()),
        state_(std::move(state)) {
    state_->connections.fetch_add(1);
  }
  ~session() {
    state_->connections.fetch_sub(1);
    std::lock_guard lock(state_->sessions_mutex);
    state_->sessions.erase(this);
    if (auto found = state_->per_address.find(remote_address_); found != state_->per_address.end()) {
      if (--found->second == 0) {
        state_->per_address.erase(found);
      }
    }
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
    stream_.expires_after(state_->options.timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    current_ = current_request{};
    current_.id = state_->new_request_id();
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
    req.id = current_.id;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    current_.method = req.method;
    if (!printable_ascii(req.target)) {
      write(error_response(400, "bad_request",
                           "the request target must be printable ASCII (percent-encode other bytes)"));
      return;
    }
    current_.path = req.target.substr(0, req.target.find('?'));
    const auto question = req.target.find('?');
    req.path = req.target.substr(0, question);
    req.query = question == std::string::npos ? "" : req.target.substr(question + 1);
    for (const auto& field : message) {
      req.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(message.body());
    req.remote_address = remote_address_;
    state_->requests.fetch_add(1, std::memory_order_relaxed);

    // Exactly one answer per request: the handler's or, past the deadline, a 504 (whichever
    // comes first; the other is dropped).
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto self = shared_from_this();
    responder reply = [self, answered](response res) {
      if (answered->exchange(true)) {
        return;  // the deadline answered first
      }
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    };
    deadline_.expires_after(state_->options.request_deadline);
    deadline_.async_wait([self, answered](beast::error_code wait_error) {
      if (wait_error || answered->exchange(true)) {
        return;
      }
      self->state_->deadlines_missed.fetch_add(1, std::memory_order_relaxed);
      self->write(error_response(504, "deadline_exceeded",
                                 "the server did not finish this request in time; a write may still "
                                 "complete: retry it with the same Idempotency-Key"));
    });
    try {
      state_->on_request(req, std::move(reply));
    } catch (const std::exception& e) {
      // A handler bug must not take the server down; the caller gets a 500 and no detail.
      if (!answered->exchange(true)) {
        response failed = error_response(500, "internal_error", "internal error");
        failed.log_detail = std::string("handler threw: ") + e.what();
        write(std::move(failed));
      }
    }
  }

  void respond_and_close(response res) {
    keep_alive_ = false;
    version_ = 11;
    write(std::move(res));
  }

  void write(response res) {
    deadline_.cancel();
    if (res.status >= 500) {
      server_failure(res);
    }
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(res.status), version_);
    out->set("X-Request-Id", current_.id);
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
    stream_.expires_after(state_->options.timeout);
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

  /// A 5xx: the request id goes into a JSON error body (so a client can quote it) and the
  /// answer, with its detail, to the server's hook; the detail is never sent.
  void server_failure(response& res) {
    if (res.content_type == "application/json" && res.body.starts_with("{\"error\":") &&
        res.body.ends_with("}")) {
      res.body.pop_back();
      res.body += ",\"request_id\":";
      append_json_string(res.body, current_.id);
      res.body += "}";
    }
    if (state_->options.on_server_error) {
      request seen;
      seen.id = current_.id;
      seen.method = current_.method;
      seen.path = current_.path;
      seen.remote_address = remote_address_;
      state_->options.on_server_error(seen, res);
    }
    res.log_detail.clear();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  struct current_request {
    std::string id;
    std::string method;
    std::string path;
  };

  beast::tcp_stream stream_;
  std::string remote_address_;
  net::steady_timer deadline_;
  current_request current_;
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
        acceptor_(net::make_strand(*io_)), accept_backoff_(acceptor_.get_executor()),
        state_(std::make_shared<shared_state>()) {
    state_->io = io_;
    state_->on_request = std::move(on_request);
    state_->options = options;
    std::random_device seed;
    state_->id_prefix = seed();
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
  std::uint64_t connections_refused() const override { return state_->refused.load(); }
  std::uint64_t deadlines_missed() const override { return state_->deadlines_missed.load(); }

  void stop() override {
    if (stopped_.exchange(true)) {
      return;
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      accept_backoff_.cancel();
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
      if (ec) {
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): accepting again at
        // once would spin on the same error; wait for connections to close.
        accept_backoff_.expires_after(std::chrono::milliseconds(100));
        accept_backoff_.async_wait([this](beast::error_code wait_error) {
          if (!wait_error && acceptor_.is_open()) {
            accept();
          }
        });
        return;
      }
      admit(std::move(socket));
      accept();
    });
  }

  /// Starts a session unless a cap is reached (refused rather than queued without bound).
  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) {
      return;  // the peer is already gone
    }
    std::string address = remote.address().to_string();
    bool admitted = false;
    {
      std::lock_guard lock(state_->sessions_mutex);
      std::size_t& open = state_->per_address[address];
      if (state_->connections.load() < limits::http_connections_max &&
          open < options_.connections_per_address_max) {
        ++open;
        admitted = true;
      } else if (open == 0) {
        state_->per_address.erase(address);
      }
    }
    if (!admitted) {
      state_->refused.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<session>(std::move(socket), state_, std::move(address))->run();
  }

  server_options options_;
  std::shared_ptr<net::io_context> io_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_backoff_;
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
