#include "tests/support/http_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace telepay::testing {

std::string received_request::header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

http_receiver::http_receiver() { start(); }

http_receiver::~http_receiver() { stop(); }

bool http_receiver::start() {
  if (listener_ >= 0) return true;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    return false;
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  listener_ = fd;
  stopping_.store(false);
  thread_ = std::thread([this, fd] { serve(fd); });
  return true;
}

void http_receiver::stop() {
  if (listener_ < 0) return;
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  listener_ = -1;
}

std::vector<received_request> http_receiver::received() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void http_receiver::serve(int listener) {
  while (!stopping_.load()) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    handle(connection);
    ::close(connection);
  }
}

void http_receiver::handle(int connection) {
  std::string data;
  char buffer[4096];
  const auto read_more = [&] {
    pollfd p{connection, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    const ssize_t n = ::read(connection, buffer, sizeof buffer);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) return;
  }
  received_request r;
  std::size_t line_end = data.find("\r\n");
  const std::string first = data.substr(0, line_end);
  const auto space = first.find(' ');
  r.method = first.substr(0, space);
  r.target = first.substr(space + 1, first.rfind(' ') - space - 1);
  std::size_t content_length = 0;
  for (std::size_t at = line_end + 2; at < end;) {
    const std::size_t next = data.find("\r\n", at);
    const std::string line = data.substr(at, next - at);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    if (name == "content-length") content_length = std::stoul(value);
    r.headers.emplace_back(std::move(name), std::move(value));
    at = next + 2;
  }
  while (data.size() < end + 4 + content_length) {
    if (!read_more()) return;
  }
  r.body = data.substr(end + 4, content_length);
  r.answered = status_.load();
  const std::string answer = "HTTP/1.1 " + std::to_string(r.answered) +
                             " Test\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok";
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(r));
  }
  (void)::write(connection, answer.data(), answer.size());
  changed_.notify_all();
}

}  // namespace telepay::testing
