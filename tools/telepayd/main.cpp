// telepayd: the ledger server. Opens the event log (refusing a broken chain), starts the actor
// runtime and the operator HTTP API, reports which gateways are configured, and shuts down in
// order on SIGINT/SIGTERM: HTTP first, then actors, then the log (which drains its appends).

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "actors/runtime.hpp"
#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "eventstore/event_store.hpp"
#include "gateways/http/router.hpp"
#include "gateways/http/server.hpp"
#include "tools/telepayd/config.hpp"

namespace telepay::tools {
namespace {

constexpr const char* version = "0.1.0";

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  auto logger = spdlog::get(name);
  if (!logger) {
    logger = spdlog::stdout_logger_mt(name);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %n %v", spdlog::pattern_time_type::utc);
  }
  return logger;
}

gateways::http::response health(const eventstore::event_store& store, const daemon_config& config,
                                 std::chrono::steady_clock::time_point started) {
  gateways::http::response res;
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  res.body = "{\"status\":\"ok\",\"version\":\"" + std::string(version) + "\"";
  res.body += ",\"uptime_seconds\":" + std::to_string(uptime);
  res.body += ",\"store\":{\"open\":true,\"head_seq\":" + std::to_string(store.head_seq());
  res.body += ",\"head_hash\":\"" + to_hex(store.head_hash()) + "\"}";
  res.body += ",\"gateways\":{";
  bool first = true;
  for (const auto& gateway : config.gateways()) {
    res.body += first ? "" : ",";
    first = false;
    append_json_string(res.body, gateway.name);
    res.body += gateway.configured ? ":\"configured\"" : ":\"not_configured\"";
  }
  res.body += "}}";
  return res;
}

void write_port_file(const std::filesystem::path& file, std::uint16_t port) {
  const auto temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
  }
  std::filesystem::rename(temporary, file);  // readers never see a half-written file
}

int run(const daemon_config& config) {
  auto log = make_logger("telepayd");
  log->info("starting version={} data_dir={} listen={}:{}", version, config.data_dir.string(),
            config.listen_address, config.listen_port);

  // Block the stop signals in every thread we start; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  eventstore::open_options store_options;
  store_options.directory = config.data_dir / "eventlog";
  auto opened = eventstore::event_store::open(store_options);
  if (!opened) {
    log->error("cannot open the event log error={} detail={}",
               errc_name(opened.error().code), opened.error().message);
    return 1;
  }
  std::unique_ptr<eventstore::event_store> store = std::move(opened.value());
  log->info("event log open dir={} head_seq={} head_hash={}", store_options.directory.string(),
            store->head_seq(), to_hex(store->head_hash()));

  for (const auto& gateway : config.gateways()) {
    if (gateway.configured) {
      log->info("gateway configured gateway={}", gateway.name);
    } else {
      log->warn("gateway not configured gateway={} set={}", gateway.name, gateway.missing);
    }
  }

  auto runtime = std::make_unique<actors::runtime>(
      actors::runtime_options{.scheduler_threads = config.scheduler_threads});

  const auto started = std::chrono::steady_clock::now();
  gateways::http::router routes;
  routes.add("GET", "/health", [&](const gateways::http::request&, gateways::http::responder reply) {
    reply(health(*store, config, started));
  });
  gateways::http::server_options http_options;
  http_options.address = config.listen_address;
  http_options.port = config.listen_port;
  http_options.io_threads = config.http_io_threads;
  auto server = gateways::http::server::start(http_options, std::ref(routes));
  if (!server) {
    log->error("cannot start the HTTP server detail={}", server.error().message);
    return 1;
  }
  log->info("http listening address={} port={}", config.listen_address, (*server)->port());
  if (!config.port_file.empty()) {
    write_port_file(config.port_file, (*server)->port());
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  log->info("stopping signal={}", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop();
  runtime.reset();
  store.reset();
  log->info("stopped");
  return 0;
}

}  // namespace
}  // namespace telepay::tools

int main(int argc, char** argv) {
  using telepay::tools::daemon_config;
  CLI::App app{"telepayd: the telepay ledger server"};
  std::string config_file;
  std::string data_dir;
  std::string listen;
  std::string port_file;
  std::string log_level;
  app.add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  app.add_option("--data", data_dir, "data directory (default ./data)");
  app.add_option("--listen", listen, "HTTP listen address HOST:PORT (default 127.0.0.1:8080)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--port-file", port_file, "write the bound HTTP port to this file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  daemon_config config;
  if (!config_file.empty()) {
    if (auto loaded = telepay::tools::load_config_file(config_file, config); !loaded) {
      std::fprintf(stderr, "telepayd: %s\n", loaded.error().message.c_str());
      return 2;
    }
  }
  telepay::tools::load_config_env(config);
  if (!data_dir.empty()) {
    config.data_dir = data_dir;
  }
  if (!listen.empty()) {
    auto parsed = telepay::tools::parse_listen(listen);
    if (!parsed) {
      std::fprintf(stderr, "telepayd: --listen: %s\n", parsed.error().message.c_str());
      return 2;
    }
    config.listen_address = parsed->first;
    config.listen_port = parsed->second;
  }
  if (!port_file.empty()) {
    config.port_file = port_file;
  }
  if (!log_level.empty()) {
    config.log_level = log_level;
  }
  static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), config.log_level) == levels.end()) {
    std::fprintf(stderr, "telepayd: log level must be one of trace, debug, info, warn, error\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  return telepay::tools::run(config);
}
