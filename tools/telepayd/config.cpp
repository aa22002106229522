#include "tools/telepayd/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

namespace telepay::tools {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

/// Reads a secret from the environment and removes it, so it is neither inherited by a child
/// nor left readable in /proc/<pid>/environ (the bytes are overwritten in place first).
bool take_secret(const char* name, std::string& into) {
  char* value = std::getenv(name);
  if (value == nullptr) {
    return false;
  }
  into = value;
  // The entry is "NAME=value" in one block (the initial environment or a putenv/setenv copy):
  // drop it from environ (which only unlinks it), then wipe the bytes themselves.
  char* entry = value - std::strlen(name) - 1;
  const std::size_t entry_bytes = std::strlen(entry);
  ::unsetenv(name);
  std::memset(entry, 0, entry_bytes);
  return !into.empty();
}

}  // namespace

std::vector<gateway_status> daemon_config::gateways() const {
  std::vector<gateway_status> out;
  out.push_back({"telegram", !telegram_bot_token.empty(),
                 telegram_bot_token.empty() ? "TELEPAY_TELEGRAM_BOT_TOKEN" : ""});
  std::string missing;
  if (nowpayments_api_key.empty()) {
    missing = "TELEPAY_NOWPAYMENTS_API_KEY";
  }
  if (nowpayments_ipn_secret.empty()) {
    missing += missing.empty() ? "" : ", ";
    missing += "TELEPAY_NOWPAYMENTS_IPN_SECRET";
  }
  out.push_back({"nowpayments", missing.empty(), missing});
  out.push_back({"chain", !chain_rpc_url.empty(),
                 chain_rpc_url.empty() ? "TELEPAY_CHAIN_RPC_URL" : ""});
  return out;
}

result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return make_error(errc::invalid_argument,
                      "listen address must be HOST:PORT, got '" + std::string(text) + "'");
  }
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(errc::invalid_argument,
                      "listen port must be 0..65535, got '" + std::string(port_text) + "'");
  }
  return std::pair<std::string, std::uint16_t>(host, static_cast<std::uint16_t>(port));
}

namespace {

/// The node's value when it is a TOML integer; a float, a string or a boolean is not one (toml++'s
/// value<int64_t>() would convert a float, casting one out of range is undefined behaviour).
std::optional<std::int64_t> integer_of(const toml::node* node) {
  if (node == nullptr || !node->is_integer()) return std::nullopt;
  return node->as_integer()->get();
}

}  // namespace

status load_config_file(const std::filesystem::path& file, daemon_config& config) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return make_error(errc::invalid_argument, "config " + file.string() + ": cannot be opened for reading");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return make_error(errc::invalid_argument, "config " + file.string() + ": could not be read");
  }
  return load_config_text(text.str(), file.string(), config);
}

status load_config_text(std::string_view toml_text, std::string_view source, daemon_config& config) {
  const std::string file(source);
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return make_error(errc::invalid_argument, "config " + file + ": " + std::string(e.description()));
  }
  std::string problem;
  const auto string_key = [&](const toml::table& section, std::string_view section_name,
                              std::string_view key, std::string& into) {
    if (const auto* node = section.get(key)) {
      if (auto value = node->value<std::string>()) {
        into = *value;
      } else if (problem.empty()) {
        problem = std::string(section_name) + "." + std::string(key) + " must be a string";
      }
    }
  };
  static const std::vector<std::pair<std::string, std::vector<std::string>>> known = {
      {"store", {"dir"}},
      {"http", {"listen", "io_threads", "request_deadline_ms", "connections_per_address_max",
                "anonymous_rate_per_second", "anonymous_burst", "webhook_listen"}},
      {"actors", {"scheduler_threads"}},
      {"log", {"level"}},
      {"telegram", {"bot_token", "api_url", "ca_file", "mode", "webhook_url", "webhook_secret", "admins",
                    "poll_timeout_s"}},
      {"nowpayments", {"api_key", "ipn_secret", "api_url", "ca_file", "ipn_callback_url", "success_url",
                       "cancel_url", "reconcile_every_ms", "reconcile_after_ms"}},
      {"subscriptions", {"expiry_scan_ms"}},
      {"webhooks", {"signing_key_file", "ca_file", "timeout_ms", "retry_first_ms", "retry_max_ms"}},
      {"chain", {"rpc_url", "chain_id", "token", "token_decimals", "xpub", "hot_key_file", "confirmations",
                 "payout_confirmations", "start_block", "scan_window", "poll_ms", "tx_type",
                 "max_fee_per_gas_wei", "priority_fee_per_gas_wei", "replace_after_ms", "rebroadcast_ms",
                 "ca_file"}},
  };
  for (const auto& [name, node] : table) {
    const auto section = std::find_if(known.begin(), known.end(),
                                      [&](const auto& k) { return k.first == name.str(); });
    if (section == known.end() || !node.is_table()) {
      return make_error(errc::invalid_argument,
                        "config " + file + ": unknown section [" +
                            std::string(name.str()) + "]");
    }
    for (const auto& [key, value] : *node.as_table()) {
      (void)value;
      if (std::find(section->second.begin(), section->second.end(), key.str()) ==
          section->second.end()) {
        return make_error(errc::invalid_argument, "config " + file + ": unknown key " +
                                                      std::string(name.str()) + "." +
                                                      std::string(key.str()));
      }
    }
  }
  const toml::table empty;
  const auto section = [&](std::string_view name) -> const toml::table& {
    const auto* t = table.get_as<toml::table>(name);
    return t != nullptr ? *t : empty;
  };
  std::string dir;
  string_key(section("store"), "store", "dir", dir);
  if (!dir.empty()) {
    config.data_dir = dir;
  }
  std::string listen;
  string_key(section("http"), "http", "listen", listen);
  if (!listen.empty()) {
    auto parsed = parse_listen(listen);
    if (!parsed) {
      return make_error(errc::invalid_argument, "config http.listen: " + parsed.error().message);
    }
    config.listen_address = parsed->first;
    config.listen_port = parsed->second;
  }
  const auto integer = [&](std::string_view sec, std::string_view key, std::int64_t low, std::int64_t high,
                           const auto& apply) {
    if (const auto* node = section(sec).get(key)) {
      auto v = integer_of(node);
      if (!v || *v < low || *v > high) {
        if (problem.empty()) {
          problem = std::string(sec) + "." + std::string(key) + " must be an integer in " + std::to_string(low) +
                    ".." + std::to_string(high);
        }
      } else {
        apply(*v);
      }
    }
  };
  integer("http", "request_deadline_ms", 100, 600'000, [&](std::int64_t v) { config.http_request_deadline_ms = v; });
  integer("http", "connections_per_address_max", 1, 1024,
          [&](std::int64_t v) { config.http_connections_per_address_max = static_cast<std::size_t>(v); });
  integer("http", "anonymous_rate_per_second", 1, 1'000'000,
          [&](std::int64_t v) { config.http_anonymous_rate_per_second = static_cast<std::uint32_t>(v); });
  integer("http", "anonymous_burst", 1, 10'000'000,
          [&](std::int64_t v) { config.http_anonymous_burst = static_cast<std::uint32_t>(v); });
  std::string webhook_listen;
  string_key(section("http"), "http", "webhook_listen", webhook_listen);
  if (!webhook_listen.empty()) {
    auto parsed = parse_listen(webhook_listen);
    if (!parsed) {
      return make_error(errc::invalid_argument, "config http.webhook_listen: " + parsed.error().message);
    }
    config.webhook_listen = *parsed;
  }
  integer("http", "io_threads", 1, 64, [&](std::int64_t v) { config.http_io_threads = static_cast<std::size_t>(v); });
  integer("actors", "scheduler_threads", 1, 256,
          [&](std::int64_t v) { config.scheduler_threads = static_cast<std::size_t>(v); });
  string_key(section("log"), "log", "level", config.log_level);
  string_key(section("telegram"), "telegram", "bot_token", config.telegram_bot_token);
  string_key(section("telegram"), "telegram", "api_url", config.telegram_api_url);
  string_key(section("telegram"), "telegram", "ca_file", config.telegram_ca_file);
  string_key(section("telegram"), "telegram", "mode", config.telegram_mode);
  string_key(section("telegram"), "telegram", "webhook_url", config.telegram_webhook_url);
  string_key(section("telegram"), "telegram", "webhook_secret", config.telegram_webhook_secret);
  if (const auto* admins = section("telegram")["admins"].as_array()) {
    for (const auto& a : *admins) {
      auto id = integer_of(&a);
      if (!id || *id <= 0) {
        if (problem.empty()) problem = "telegram.admins must be a list of positive Telegram user ids";
      } else {
        config.telegram_admins.push_back(*id);
      }
    }
  }
  integer("telegram", "poll_timeout_s", 1, 50, [&](std::int64_t v) { config.telegram_poll_timeout_s = v; });
  if (config.telegram_mode != "polling" && config.telegram_mode != "webhook" && problem.empty()) {
    problem = "telegram.mode must be polling or webhook";
  }
  string_key(section("nowpayments"), "nowpayments", "api_key", config.nowpayments_api_key);
  string_key(section("nowpayments"), "nowpayments", "ipn_secret", config.nowpayments_ipn_secret);
  string_key(section("nowpayments"), "nowpayments", "api_url", config.nowpayments_api_url);
  string_key(section("nowpayments"), "nowpayments", "ca_file", config.nowpayments_ca_file);
  string_key(section("nowpayments"), "nowpayments", "ipn_callback_url", config.nowpayments_ipn_callback_url);
  string_key(section("nowpayments"), "nowpayments", "success_url", config.nowpayments_success_url);
  string_key(section("nowpayments"), "nowpayments", "cancel_url", config.nowpayments_cancel_url);
  const auto millis = [&](std::string_view sec, std::string_view key, std::int64_t& into) {
    integer(sec, key, 10, 86'400'000, [&](std::int64_t v) { into = v; });
  };
  millis("nowpayments", "reconcile_every_ms", config.nowpayments_reconcile_every_ms);
  millis("nowpayments", "reconcile_after_ms", config.nowpayments_reconcile_after_ms);
  millis("subscriptions", "expiry_scan_ms", config.expiry_scan_ms);
  string_key(section("webhooks"), "webhooks", "signing_key_file", config.webhooks_signing_key_file);
  string_key(section("webhooks"), "webhooks", "ca_file", config.webhooks_ca_file);
  millis("webhooks", "timeout_ms", config.webhooks_timeout_ms);
  millis("webhooks", "retry_first_ms", config.webhooks_retry_first_ms);
  millis("webhooks", "retry_max_ms", config.webhooks_retry_max_ms);
  if (config.webhooks_retry_max_ms < config.webhooks_retry_first_ms && problem.empty()) {
    problem = "webhooks.retry_max_ms must be at least webhooks.retry_first_ms";
  }
  string_key(section("chain"), "chain", "rpc_url", config.chain_rpc_url);
  for (const auto& [key, value] : section("chain")) {
    if (key.str() == "rpc_url") continue;
    if (auto text = value.value<std::string>()) {
      config.chain[std::string(key.str())] = *text;
    } else if (auto number = integer_of(&value)) {
      config.chain[std::string(key.str())] = std::to_string(*number);
    } else if (problem.empty()) {
      problem = "chain." + std::string(key.str()) + " must be a string or an integer";
    }
  }
  if (!problem.empty()) {
    return make_error(errc::invalid_argument, "config " + file + ": " + problem);
  }
  return {};
}

status load_config_env(daemon_config& config) {
  std::string problem;  // the first problem found
  const auto refuse = [&](std::string text) {
    if (problem.empty()) problem = std::move(text);
  };
  take_secret("TELEPAY_TELEGRAM_BOT_TOKEN", config.telegram_bot_token);
  take_secret("TELEPAY_TELEGRAM_WEBHOOK_SECRET", config.telegram_webhook_secret);
  take_secret("TELEPAY_NOWPAYMENTS_API_KEY", config.nowpayments_api_key);
  take_secret("TELEPAY_NOWPAYMENTS_IPN_SECRET", config.nowpayments_ipn_secret);
  std::string hot_key;
  if (take_secret("TELEPAY_CHAIN_HOT_KEY", hot_key)) {
    config.chain["hot_key"] = std::move(hot_key);
  }
  if (const char* v = env("TELEPAY_TELEGRAM_API_URL")) {
    config.telegram_api_url = v;
  }
  if (const char* v = env("TELEPAY_TELEGRAM_CA_FILE")) {
    config.telegram_ca_file = v;
  }
  if (const char* v = env("TELEPAY_TELEGRAM_MODE")) {
    config.telegram_mode = v;
    if (config.telegram_mode != "polling" && config.telegram_mode != "webhook") {
      refuse("TELEPAY_TELEGRAM_MODE must be polling or webhook");
    }
  }
  if (const char* v = env("TELEPAY_TELEGRAM_WEBHOOK_URL")) {
    config.telegram_webhook_url = v;
  }
  if (const char* v = env("TELEPAY_TELEGRAM_ADMINS")) {  // comma-separated Telegram ids
    config.telegram_admins.clear();
    std::string_view rest(v);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view one = rest.substr(0, comma);
      std::int64_t id = 0;
      const auto [end, ec] = std::from_chars(one.data(), one.data() + one.size(), id);
      if (ec == std::errc() && end == one.data() + one.size() && id > 0) {
        config.telegram_admins.push_back(id);
      } else {
        refuse("TELEPAY_TELEGRAM_ADMINS must be comma-separated positive Telegram user ids");
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (const char* v = env("TELEPAY_NOWPAYMENTS_API_URL")) {
    config.nowpayments_api_url = v;
  }
  if (const char* v = env("TELEPAY_NOWPAYMENTS_CA_FILE")) {
    config.nowpayments_ca_file = v;
  }
  if (const char* v = env("TELEPAY_NOWPAYMENTS_IPN_CALLBACK_URL")) {
    config.nowpayments_ipn_callback_url = v;
  }
  const auto number = [&](const char* name, std::int64_t& into, std::int64_t low, std::int64_t high) {
    if (const char* v = env(name)) {
      std::int64_t parsed = 0;
      const std::string_view text(v);
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (ec == std::errc() && end == text.data() + text.size() && parsed >= low && parsed <= high) {
        into = parsed;
      } else {
        refuse(std::string(name) + " must be an integer in " + std::to_string(low) + ".." + std::to_string(high));
      }
    }
  };
  number("TELEPAY_NOWPAYMENTS_RECONCILE_EVERY_MS", config.nowpayments_reconcile_every_ms, 10, 86'400'000);
  number("TELEPAY_NOWPAYMENTS_RECONCILE_AFTER_MS", config.nowpayments_reconcile_after_ms, 10, 86'400'000);
  number("TELEPAY_EXPIRY_SCAN_MS", config.expiry_scan_ms, 10, 86'400'000);
  number("TELEPAY_TELEGRAM_POLL_TIMEOUT_S", config.telegram_poll_timeout_s, 1, 50);
  number("TELEPAY_HTTP_REQUEST_DEADLINE_MS", config.http_request_deadline_ms, 100, 600'000);
  // Test hooks exist only in builds configured with TELEPAY_TEST_HOOKS (tools/test): elsewhere
  // setting one is refused, so nobody believes it took effect.
#ifdef TELEPAY_TEST_HOOKS
  number("TELEPAY_TEST_KEYPAD_TIMEOUT_S", config.test_keypad_timeout_s, 1, 3600);
  number("TELEPAY_TEST_EXPIRY_CLOCK_OFFSET_S", config.test_expiry_clock_offset_s, 0, 3650LL * 86'400);
  if (const char* v = env("TELEPAY_TEST_CRASH_AFTER_PAYMENT_START")) {
    config.test_crash_after_payment_start = std::string_view(v) == "1";
  }
  if (const char* v = env("TELEPAY_TEST_CRASH_AFTER_SIGN")) {
    config.test_crash_after_sign = std::string_view(v) == "1";
  }
#else
  for (const char* hook : {"TELEPAY_TEST_KEYPAD_TIMEOUT_S", "TELEPAY_TEST_EXPIRY_CLOCK_OFFSET_S",
                           "TELEPAY_TEST_CRASH_AFTER_PAYMENT_START", "TELEPAY_TEST_CRASH_AFTER_SIGN"}) {
    if (env(hook) != nullptr) {
      refuse(std::string(hook) + " is a test hook; this build has none (configure with -DTELEPAY_TEST_HOOKS=ON)");
    }
  }
#endif
  if (const char* v = env("TELEPAY_CHAIN_RPC_URL")) {
    config.chain_rpc_url = v;
  }
  static const std::pair<const char*, const char*> chain_env[] = {
      {"TELEPAY_CHAIN_ID", "chain_id"},
      {"TELEPAY_CHAIN_TOKEN", "token"},
      {"TELEPAY_CHAIN_TOKEN_DECIMALS", "token_decimals"},
      {"TELEPAY_CHAIN_XPUB", "xpub"},
      {"TELEPAY_CHAIN_HOT_KEY_FILE", "hot_key_file"},
      {"TELEPAY_CHAIN_CONFIRMATIONS", "confirmations"},
      {"TELEPAY_CHAIN_PAYOUT_CONFIRMATIONS", "payout_confirmations"},
      {"TELEPAY_CHAIN_START_BLOCK", "start_block"},
      {"TELEPAY_CHAIN_SCAN_WINDOW", "scan_window"},
      {"TELEPAY_CHAIN_POLL_MS", "poll_ms"},
      {"TELEPAY_CHAIN_TX_TYPE", "tx_type"},
      {"TELEPAY_CHAIN_MAX_FEE_PER_GAS_WEI", "max_fee_per_gas_wei"},
      {"TELEPAY_CHAIN_PRIORITY_FEE_PER_GAS_WEI", "priority_fee_per_gas_wei"},
      {"TELEPAY_CHAIN_REPLACE_AFTER_MS", "replace_after_ms"},
      {"TELEPAY_CHAIN_REBROADCAST_MS", "rebroadcast_ms"},
      {"TELEPAY_CHAIN_CA_FILE", "ca_file"},
  };
  for (const auto& [name, key] : chain_env) {
    if (const char* v = env(name)) config.chain[key] = v;
  }
  if (!problem.empty()) {
    return make_error(errc::invalid_argument, problem);
  }
  return {};
}

}  // namespace telepay::tools
