#pragma once
/// Raw HTTP/1.1 over loopback for the load generators: a blocking keep-alive connection and
/// one request/response exchange framed by Content-Length (no Beast: the generator must not
/// share the server's code paths).

#include <cstdint>
#include <string>
#include <utility>

namespace telepay::tools {

/// A TCP connection to 127.0.0.1:port with TCP_NODELAY; -1 on failure.
int connect_loopback(std::uint16_t port);

/// Sends `request` (complete HTTP bytes) on `fd` and reads one response; its status and body
/// ({0, ""} when the connection fails). `buffer` carries bytes read past the response.
std::pair<int, std::string> exchange(int fd, const std::string& request, std::string& buffer);

}  // namespace telepay::tools
