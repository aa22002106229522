#pragma once
// telepayd configuration: defaults, then an optional TOML file, then environment variables (for
// secrets), then command-line flags. Secrets are held here and never logged.

#include <cstdint>
#include <filesystem>
#include <map>
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
  /// [http]: a handler's deadline (504 after it), open connections per client address, and the
  /// per-address limit on requests without a valid token (see gateways/http).
  std::int64_t http_request_deadline_ms = 30'000;
  std::size_t http_connections_per_address_max = 128;
  std::uint32_t http_anonymous_rate_per_second = 100;
  std::uint32_t http_anonymous_burst = 200;
  /// [http] webhook_listen: a second listener that serves only the webhooks (and /health), so
  /// the operator API can stay on loopback while NOWPayments and Telegram reach this one.
  std::optional<std::pair<std::string, std::uint16_t>> webhook_listen;
  std::size_t scheduler_threads = 2;
  std::string log_level = "info";

  std::string telegram_bot_token;       // secret: never logged
  std::string telegram_api_url = "https://api.telegram.org";
  std::string telegram_ca_file;         // empty: the system CA store
  std::string telegram_mode = "polling";  // polling | webhook
  std::string telegram_webhook_url;     // webhook mode: our public https URL
  std::string telegram_webhook_secret;  // webhook mode: X-Telegram-Bot-Api-Secret-Token (secret)
  std::vector<std::int64_t> telegram_admins;
  std::int64_t telegram_poll_timeout_s = 25;
  std::int64_t test_keypad_timeout_s = 300;  // test knob: TELEPAY_TEST_KEYPAD_TIMEOUT_S
  std::string nowpayments_api_key;
  std::string nowpayments_ipn_secret;
  std::string nowpayments_api_url = "https://api.nowpayments.io/v1";
  std::string nowpayments_ca_file;       // empty: the system CA store
  std::string nowpayments_ipn_callback_url;
  std::string nowpayments_success_url;
  std::string nowpayments_cancel_url;
  std::int64_t nowpayments_reconcile_every_ms = 60'000;
  std::int64_t nowpayments_reconcile_after_ms = 600'000;
  std::string chain_rpc_url;  // comma-separated: several endpoints fail over in order
  /// Every other [chain] setting as text (TOML values or TELEPAY_CHAIN_* variables), parsed and
  /// checked by chain_options() in chain_config.hpp. Holds the hot-wallet key when given inline
  /// (TELEPAY_CHAIN_HOT_KEY): never logged.
  std::map<std::string, std::string> chain;
  bool test_crash_after_sign = false;  // TELEPAY_TEST_CRASH_AFTER_SIGN=1

  /// Outbound webhooks ([webhooks], docs/WEBHOOKS.md): the signing key file (empty: <data>/
  /// webhook-signing.key, made on first start, 0600), trusted CAs, the bound of each attempt and
  /// the backoff between attempts.
  std::string webhooks_signing_key_file;
  std::string webhooks_ca_file;
  std::int64_t webhooks_timeout_ms = 10'000;
  std::int64_t webhooks_retry_first_ms = 1'000;
  std::int64_t webhooks_retry_max_ms = 300'000;

  /// How often the expiry scheduler scans for reminders and expiries.
  std::int64_t expiry_scan_ms = 60'000;
  /// Test and drill knobs (environment only): the expiry scheduler judges "now" this many
  /// seconds ahead; exit right after a payment's settlement starts (crash tests).
  std::int64_t test_expiry_clock_offset_s = 0;
  bool test_crash_after_payment_start = false;

  std::vector<gateway_status> gateways() const;
};

/// Parses "HOST:PORT" (IPv4 or [IPv6]); PORT 0 means any free port.
result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);

/// Reads a TOML file into `config` (only keys present override). Unknown keys are errors, so a
/// typo does not silently fall back to a default.
status load_config_file(const std::filesystem::path& file, daemon_config& config);
/// The same for TOML text; `source` names it in errors (the file's path).
status load_config_text(std::string_view text, std::string_view source, daemon_config& config);

/// Applies TELEPAY_* environment variables (secrets and URLs). Secrets are removed from the
/// environment once read. Errors name the variable (a malformed value, a test hook in a build
/// without them).
status load_config_env(daemon_config& config);

}  // namespace telepay::tools
