#pragma once
// telepayd configuration: defaults, then an optional TOML file, then environment variables (for
// secrets), then command-line flags. Secrets are held here and never logged.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "domain/base/result.hpp"

namespace telepay::tools {

struct gateway_status {
  std::string name;
  bool configured = false;
  std::string missing;  // what to set when not configured (names only, never values)
};

struct daemon_config {
  std::filesystem::path data_dir = "./data";
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::filesystem::path port_file;  // empty: none
  std::size_t http_io_threads = 1;
  std::size_t scheduler_threads = 2;
  std::string log_level = "info";

  std::string telegram_bot_token;
  std::string nowpayments_api_key;
  std::string nowpayments_ipn_secret;
  std::string chain_rpc_url;

  std::vector<gateway_status> gateways() const;
};

/// Parses "HOST:PORT" (IPv4 or [IPv6]); PORT 0 means any free port.
result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);

/// Reads a TOML file into `config` (only keys present override). Unknown keys are errors, so a
/// typo does not silently fall back to a default.
status load_config_file(const std::filesystem::path& file, daemon_config& config);

/// Applies TELEPAY_* environment variables (secrets and URLs).
void load_config_env(daemon_config& config);

}  // namespace telepay::tools
