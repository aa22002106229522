#include "tools/bench/loopback.hpp"

#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace telepay::tools {

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::pair<int, std::string> exchange(int fd, const std::string& request, std::string& buffer) {
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return {0, ""};
    sent += static_cast<std::size_t>(n);
  }
  while (true) {
    const auto header_end = buffer.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      const auto cl = buffer.find("Content-Length: ");
      const auto cl_lower = buffer.find("content-length: ");
      const auto at = cl != std::string::npos && cl < header_end ? cl : cl_lower;
      const std::size_t length = at == std::string::npos ? 0 : std::stoul(buffer.substr(at + 16));
      if (buffer.size() >= header_end + 4 + length) {
        const int status = std::atoi(buffer.c_str() + 9);
        std::string body = buffer.substr(header_end + 4, length);
        buffer.erase(0, header_end + 4 + length);
        return {status, body};
      }
    }
    char chunk[4096];
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return {0, ""};
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace telepay::tools
