#include "tests/support/http_client.hpp"

#include "tests/support/openapi_check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace telepay::testing {
namespace {

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

/// Parses one reply from the front of `buffer`; returns false if it is not complete yet.
bool parse_reply(std::string& buffer, http_reply& out) {
  const auto header_end = buffer.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return false;
  }
  const std::string head = buffer.substr(0, header_end);
  http_reply reply;
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  const auto space = status_line.find(' ');
  reply.status = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
  std::size_t content_length = 0;
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                               : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.erase(value.begin());
    }
    reply.headers.emplace_back(lower(line.substr(0, colon)), value);
    if (lower(line.substr(0, colon)) == "content-length") {
      content_length = std::stoul(value);
    }
  }
  if (buffer.size() < header_end + 4 + content_length) {
    return false;
  }
  reply.body = buffer.substr(header_end + 4, content_length);
  buffer.erase(0, header_end + 4 + content_length);
  out = std::move(reply);
  return true;
}

}  // namespace

std::string http_reply::header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) {
      return value;
    }
  }
  return "";
}

std::vector<http_reply> http_exchange(std::uint16_t port, const std::string& raw,
                                      std::size_t expected_replies, int timeout_ms) {
  std::vector<http_reply> replies;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return replies;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return replies;
  }
  std::size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // the server may close early (e.g. after a 413); read what it answered
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string buffer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char chunk[65536];
  while (replies.size() < expected_replies && std::chrono::steady_clock::now() < deadline) {
    http_reply reply;
    if (parse_reply(buffer, reply)) {
      replies.push_back(std::move(reply));
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      continue;
    }
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  http_reply last;
  if (replies.size() < expected_replies && parse_reply(buffer, last)) {
    replies.push_back(std::move(last));
  }
  close(fd);
  return replies;
}

http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    raw += name + ": " + value + "\r\n";
  }
  if (!body.empty() || method == "POST") {
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  auto replies = http_exchange(port, raw);
  http_reply reply = replies.empty() ? http_reply{} : replies.front();
  check_contract(port, method, target, reply.status, reply.header("content-type"), reply.body);
  return reply;
}

}  // namespace telepay::testing
