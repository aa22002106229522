// telepayd: the ledger server. Opens the event log (refusing a broken chain), starts the actor
// runtime and the ledger (resuming interrupted processes), the projections (catching up, then
// following the log), and the operator HTTP API; reports which gateways are configured; and
// shuts down in order on SIGINT/SIGTERM: HTTP, bridges, projections (saving them), actors, log.
//
//   telepayd [--data DIR] [--listen HOST:PORT] [--config FILE] [--port-file FILE]
//   telepayd token create --role admin|operator|auditor [--operator NAME] [--label L] [--cidr CIDR]...
//                         [--rate N] [--burst N] [--data DIR]      (offline: the server stopped)
//   telepayd token revoke --id ID [--data DIR]                        (offline: the server stopped)

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <csignal>
#include <fstream>
#include <future>
#include <thread>

#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/client.hpp"
#include "actors/expiry.hpp"
#include "actors/ledger.hpp"
#include "actors/notifier.hpp"
#include "actors/telegram_feeds.hpp"
#include "actors/webhook_feed.hpp"
#include "actors/reads.hpp"
#include "actors/runtime.hpp"
#include "domain/base/bytes.hpp"
#include "domain/base/json.hpp"
#include "domain/broadcast.hpp"
#include "domain/codec/json.hpp"
#include "eventstore/event_store.hpp"
#include "gateways/chain/service.hpp"
#include "gateways/http/api.hpp"
#include "gateways/http/read_routes.hpp"
#include "gateways/http/write_routes.hpp"
#include "gateways/http/router.hpp"
#include "gateways/http/server.hpp"
#include "gateways/nowpayments/service.hpp"
#include "gateways/telegram/service.hpp"
#include "gateways/webhooks/service.hpp"
#include "projections/host.hpp"
#include "tools/telepayd/chain_config.hpp"
#include "tools/telepayd/config.hpp"
#include "tools/telepayd/openapi.hpp"

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

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Projections more than this many events behind the log make the server "not ready".
constexpr std::uint64_t ready_lag_max = 10'000;

std::string health_body(const actors::ledger_reads& reads, const daemon_config& config,
                        std::chrono::steady_clock::time_point started, const std::string& head_hash,
                        bool writable) {
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  const auto failure = reads.projection_failure();
  const std::uint64_t lag = reads.projection_lag();
  // A log that latched a failed write refuses every append: not ready (load balancers and
  // operators must see it), whatever the reads can still answer.
  const bool ready = writable && !failure && lag <= ready_lag_max;
  std::string body = "{\"status\":\"" + std::string(ready ? "ok" : "degraded") + "\"";
  body += ",\"ready\":" + std::string(ready ? "true" : "false");
  body += ",\"version\":\"" + std::string(version) + "\"";
  body += ",\"uptime_seconds\":" + std::to_string(uptime);
  body += ",\"store\":{\"open\":true,\"writable\":" + std::string(writable ? "true" : "false");
  if (!writable) {
    body += ",\"failure\":\"a write to the event log failed; every write is refused until telepayd is restarted\"";
  }
  body += ",\"head_seq\":" + std::to_string(reads.head_seq());
  body += ",\"head_hash\":\"" + head_hash + "\"}";
  body += ",\"projections\":{\"position\":" + std::to_string(reads.projection_position());
  body += ",\"lag\":" + std::to_string(lag);
  if (failure) {
    body += ",\"failure\":";
    append_json_string(body, *failure);
  }
  body += "},\"gateways\":{";
  bool first = true;
  for (const auto& gateway : config.gateways()) {
    body += first ? "" : ",";
    first = false;
    append_json_string(body, gateway.name);
    body += gateway.configured ? ":\"configured\"" : ":\"not_configured\"";
  }
  body += "}}";
  return body;
}

std::string metrics_body(eventstore::event_store& store, const actors::ledger_reads& reads,
                         actors::ledger& ledger, caf::actor_system& system) {
  const auto s = store.stats();
  std::string out;
  const auto counter = [&](const char* name, const char* help, std::uint64_t value,
                           const std::string& labels = "") {
    out += "# HELP " + std::string(name) + " " + help + "\n# TYPE " + name + " counter\n";
    out += std::string(name) + labels + " " + std::to_string(value) + "\n";
  };
  const auto gauge = [&](const char* name, const char* help, std::uint64_t value) {
    out += "# HELP " + std::string(name) + " " + help + "\n# TYPE " + name + " gauge\n";
    out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  out += "# HELP telepay_appends_total Appends to the event log by outcome.\n"
         "# TYPE telepay_appends_total counter\n";
  out += "telepay_appends_total{outcome=\"written\"} " + std::to_string(s.appends_written) + "\n";
  out += "telepay_appends_total{outcome=\"deduplicated\"} " + std::to_string(s.appends_deduplicated) + "\n";
  out += "telepay_appends_total{outcome=\"rejected\"} " + std::to_string(s.appends_rejected) + "\n";
  counter("telepay_events_written_total", "Events written to the log.", s.events_written);
  counter("telepay_batches_committed_total", "Synced group commits.", s.batches_committed);
  out += "# HELP telepay_append_latency_seconds From append to durable acknowledgement.\n"
         "# TYPE telepay_append_latency_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < eventstore::append_latency_bounds_us.size(); ++i) {
    cumulative += s.append_latency_buckets[i];
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g",
                  static_cast<double>(eventstore::append_latency_bounds_us[i]) / 1e6);
    out += "telepay_append_latency_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += s.append_latency_buckets.back();
  out += "telepay_append_latency_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  char sum[48];
  std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(s.append_latency_sum_us) / 1e6);
  out += "telepay_append_latency_seconds_sum " + std::string(sum) + "\n";
  out += "telepay_append_latency_seconds_count " + std::to_string(cumulative) + "\n";
  gauge("telepay_log_head_seq", "The last durable seq.", reads.head_seq());
  gauge("telepay_projection_position", "The last seq applied to every projection.", reads.projection_position());
  gauge("telepay_projection_lag_events", "Events the projections are behind the log.", reads.projection_lag());
  const auto wallets = ledger.wallet_stats(system);
  gauge("telepay_live_actors", "Live wallet actors.", wallets.live);
  counter("telepay_passivations_total", "Wallet actors passivated.", wallets.passivated);
  counter("telepay_actor_spawns_total", "Wallet actors spawned.", wallets.spawned);
  return out;
}

status write_port_file(const std::filesystem::path& file, std::uint16_t port) {
  const auto temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.flush();
    if (!out) {
      return make_error(errc::invalid_argument, "cannot write --port-file " + file.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);  // readers never see a half-written file
  if (ec) {
    return make_error(errc::invalid_argument, "cannot write --port-file " + file.string() + ": " + ec.message());
  }
  return {};
}

/// The data directory holds the money's history and token hashes: owner only. New files are
/// created 0600 (umask 077); an existing directory or file readable by others is tightened.
status secure_data_dir(const std::filesystem::path& dir, const std::shared_ptr<spdlog::logger>& log) {
  ::umask(0077);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(errc::invalid_argument, "cannot create the data directory " + dir.string() + ": " + ec.message());
  }
  using std::filesystem::perms;
  std::size_t tightened = 0;
  const auto tighten = [&](const std::filesystem::path& path, perms wanted) {
    std::error_code failed;
    const auto current = std::filesystem::status(path, failed).permissions();
    if (!failed && (current & (perms::group_all | perms::others_all)) != perms::none) {
      std::filesystem::permissions(path, wanted, std::filesystem::perm_options::replace, failed);
      if (!failed) {
        ++tightened;
      }
    }
  };
  tighten(dir, perms::owner_all);
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec)) {
      continue;
    }
    tighten(it->path(), it->is_directory(ec) ? perms::owner_all : perms::owner_read | perms::owner_write);
  }
  if (tightened != 0) {
    log->warn("data directory was readable by others: tightened entries={} dir={}", tightened, dir.string());
  }
  return {};
}

/// Each connection and each log file needs a descriptor: use the hard limit, not the default 1024.
/// The outbound webhooks' signing key: `file` when configured (it must exist), else
/// <data>/webhook-signing.key, made with 32 random bytes (hex) on first start. Refused when it is
/// not a regular file, is readable by group or others, or holds fewer than 32 bytes.
result<std::string> webhook_signing_key(const daemon_config& config, const std::shared_ptr<spdlog::logger>& log) {
  const bool configured = !config.webhooks_signing_key_file.empty();
  const std::filesystem::path file =
      configured ? std::filesystem::path(config.webhooks_signing_key_file) : config.data_dir / "webhook-signing.key";
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    if (configured) {
      return make_error(errc::invalid_argument, "webhooks.signing_key_file " + file.string() + " cannot be read");
    }
    std::ifstream random("/dev/urandom", std::ios::binary);
    unsigned char raw[32];
    if (!random.read(reinterpret_cast<char*>(raw), sizeof raw)) {
      return make_error(errc::internal, "cannot read /dev/urandom for the webhook signing key");
    }
    const std::string text = to_hex(std::span<const unsigned char>(raw, sizeof raw)) + "\n";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return make_error(errc::internal, "cannot write the webhook signing key " + file.string());
    }
    ::close(fd);
    log->info("webhook signing key created file={}", file.string());
    if (::stat(file.c_str(), &info) != 0) {
      return make_error(errc::internal, "cannot read back the webhook signing key " + file.string());
    }
  }
  if (!S_ISREG(info.st_mode)) {
    return make_error(errc::invalid_argument, "the webhook signing key " + file.string() + " is not a regular file");
  }
  if (info.st_size > 4096) {
    return make_error(errc::invalid_argument, "the webhook signing key " + file.string() + " is larger than 4 KiB");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(errc::invalid_argument, "the webhook signing key " + file.string() +
                                                  " is accessible by group or others: chmod 600 it");
  }
  std::ifstream in(file, std::ios::binary);
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (!in.good() && !in.eof()) {
    return make_error(errc::invalid_argument, "the webhook signing key " + file.string() + " cannot be read");
  }
  if (key.size() < 32) {
    return make_error(errc::invalid_argument, "the webhook signing key " + file.string() + " holds fewer than 32 bytes");
  }
  return key;
}

/// GET /v1/webhook-endpoints, /{id} and /{id}/deliveries, from the feed (what is registered and
/// where delivery stands) and the service (the attempts).
void add_webhook_reads(gateways::http::api& api, gateways::http::router& routes, actors::webhook_feed& feed,
                       const gateways::webhooks::service& service, const eventstore::event_store& store) {
  using gateways::http::error_response;
  const auto page = [](const std::vector<std::string>& items, bool more, const std::string& next) {
    std::string body = "{\"has_more\":" + std::string(more ? "true" : "false") + ",\"items\":[";
    for (std::size_t i = 0; i < items.size(); ++i) body += (i == 0 ? "" : ",") + items[i];
    body += "],\"next_cursor\":";
    if (more) {
      append_json_string(body, next);
    } else {
      body += "null";
    }
    gateways::http::response out;
    out.body = body + "}";
    return out;
  };
  const auto unknown = [](const std::string& id) {
    return error_response(404, "webhook_not_found", "no webhook endpoint " + utf8_prefix(id, 64));
  };
  api.add_read(routes, "/v1/webhook-endpoints", domain::role::auditor,
               [&feed, &service, &store, page](const gateways::http::request&, const gateways::http::read_args& a,
                                               gateways::http::responder reply) {
                 (void)feed.catch_up();  // a failure is kept in feed.failure(); the list is what was read
                 const auto views = feed.endpoints();  // by id
                 if (!a.cursor.empty() && std::none_of(views.begin(), views.end(), [&](const auto& v) {
                       return v.endpoint.id == a.cursor;
                     })) {
                   reply(error_response(400, "invalid_argument",
                                        "query parameter cursor is not a next_cursor this list gave"));
                   return;
                 }
                 std::vector<std::string> items;
                 bool more = false;
                 std::string last;
                 for (const auto& v : views) {
                   if (!a.cursor.empty() && v.endpoint.id <= a.cursor) continue;
                   if (items.size() == a.limit) {
                     more = true;
                     break;
                   }
                   items.push_back(service.endpoint_json(v, store.head_seq()));
                   last = v.endpoint.id;
                 }
                 reply(page(items, more, last));
               });
  api.add_read(routes, "/v1/webhook-endpoints/{id}", domain::role::auditor,
               [&feed, &service, &store, unknown](const gateways::http::request&, const gateways::http::read_args& a,
                                                  gateways::http::responder reply) {
                 (void)feed.catch_up();
                 const auto view = feed.endpoint(a.key);
                 if (!view) {
                   reply(unknown(a.key));
                   return;
                 }
                 gateways::http::response out;
                 out.body = service.endpoint_json(*view, store.head_seq());
                 reply(std::move(out));
               });
  api.add_read(routes, "/v1/webhook-endpoints/{id}/deliveries", domain::role::auditor,
               [&feed, &service, page, unknown](const gateways::http::request&, const gateways::http::read_args& a,
                                                gateways::http::responder reply) {
                 (void)feed.catch_up();
                 if (!feed.endpoint(a.key)) {
                   reply(unknown(a.key));
                   return;
                 }
                 std::uint64_t before = 0;
                 if (!a.cursor.empty()) {
                   const auto [end, ec] = std::from_chars(a.cursor.data(), a.cursor.data() + a.cursor.size(), before);
                   if (ec != std::errc() || end != a.cursor.data() + a.cursor.size() || before == 0 ||
                       before > service.newest_attempt(a.key)) {
                     reply(error_response(400, "invalid_argument",
                                          "query parameter cursor is not a next_cursor this list gave"));
                     return;
                   }
                 }
                 bool more = false;
                 const auto attempts = service.attempts(a.key, before, a.limit, more);
                 std::vector<std::string> items;
                 for (const auto& at : attempts) items.push_back(gateways::webhooks::service::attempt_json(at));
                 reply(page(items, more, attempts.empty() ? std::string() : std::to_string(attempts.back().n)));
               });
}

void raise_open_files_limit(const std::shared_ptr<spdlog::logger>& log) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      log->warn("cannot raise the open files limit");
    }
  }
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    log->info("open files limit={}", static_cast<unsigned long long>(limit.rlim_cur));
  }
}

/// With no token at all, creates the first admin token and prints it once on stderr.
void bootstrap_token(actors::ledger_client& client, const actors::ledger_reads& reads,
                     const std::shared_ptr<spdlog::logger>& log) {
  // Only once the tokens read model has caught up with the log can "no token" be trusted: a
  // rebuild still under way must not mint a second admin token.
  if (!reads.wait_for(reads.head_seq(), std::chrono::seconds(60))) {
    log->warn("projections still catching up: no first admin token created (restart to retry)");
    return;
  }
  if (reads.token_count() != 0) {
    return;
  }
  const auto token = gateways::http::generate_token();
  domain::token::create create;
  create.access = domain::role::admin;
  create.secret_sha256 = token.secret_sha256;
  create.label = "bootstrap";
  create.by = "telepayd";
  create.operator_name = "owner";
  auto created = client.ask_and_wait<actors::entity_reply>(actors::token_request{token.id, create, now_us()});
  if (!created) {
    log->error("cannot create the first admin token detail={}", created.error().message);
    return;
  }
  log->warn("created the first admin token token_id={} (its secret is printed once on stderr)", token.id);
  std::fprintf(stderr, "\ntelepayd: first admin API token (shown once; store it now):\n  %s\n\n",
               token.text.c_str());
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

  if (auto secured = secure_data_dir(config.data_dir, log); !secured) {
    log->error("{}", secured.error().message);
    return 1;
  }
  raise_open_files_limit(log);

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

  // The chain: options checked now; a node that answers with another chain id or token
  // decimals refuses the start (an unreachable one is retried in the background).
  std::optional<gateways::chain::service_options> chain_config;
  if (!config.chain_rpc_url.empty()) {
    auto parsed = chain_options(config);
    if (!parsed) {
      log->error("chain configuration refused detail={}", parsed.error().message);
      return 2;
    }
    chain_config = std::move(*parsed);
    chain_config->log = [chain_log = make_logger("chain")](gateways::chain::log_level level, const std::string& text) {
      switch (level) {
        case gateways::chain::log_level::info: chain_log->info("{}", text); break;
        case gateways::chain::log_level::warn: chain_log->warn("{}", text); break;
        case gateways::chain::log_level::error: chain_log->error("{}", text); break;
      }
    };
    auto checked = gateways::chain::check_node(*chain_config);
    if (!checked && checked.code() == errc::chain_mismatch) {
      log->error("chain node refused: {} (check chain.chain_id, chain.token and chain.token_decimals)",
                 checked.error().message);
      return 2;
    }
    if (!checked) {
      log->warn("chain node not reachable yet, retrying in the background detail={}", checked.error().message);
    }
    if (config.test_crash_after_sign) log->warn("TEST KNOB: telepayd exits right after signing a payout");
  }

  actors::runtime_options runtime_options;
  runtime_options.scheduler_threads = config.scheduler_threads;
  auto runtime = std::make_unique<actors::runtime>(runtime_options);
  actors::ledger_options ledger_options;
  ledger_options.flows.crash_after_payment_start = config.test_crash_after_payment_start;
  if (chain_config && chain_config->hot_key) {
    std::string hot = gateways::chain::to_lower_hex(gateways::chain::address_of(*chain_config->hot_key));
    ledger_options.flows.sender = domain::chain_send::key{chain_config->chain_id, hot};
  } else {
    log->warn("no hot wallet configured (chain.rpc_url and chain.hot_key): withdrawals are refused and "
              "channel payouts accrue unbatched until one is");
  }
  ledger_options.recovery_progress = [&log](std::uint64_t seq) {
    log->info("recovery scan progress seq={}", seq);
  };
  auto started_ledger = actors::ledger::start(runtime->system(), *store, ledger_options);
  if (!started_ledger) {
    log->error("cannot start the ledger detail={}", started_ledger.error().message);
    return 1;
  }
  auto ledger = std::move(started_ledger.value());
  log->info("ledger started resumed_processes={} resumed_transfers={} resumed_payouts={} resumed_payments={}",
            ledger->recovered().processes.size(), ledger->recovered().transfers.size(),
            ledger->recovered().payouts.size(), ledger->recovered().payments.size());
  for (const auto& problem : ledger->recovered().problems) {
    log->error("recovery problem detail={}", problem);
  }

  auto projections_host = projections::projection_host::start(*store, projections::host_options{});
  if (!projections_host) {
    log->error("cannot start the projections detail={}", projections_host.error().message);
    return 1;
  }
  log->info("projections loaded position={} head_seq={}", (*projections_host)->position(),
            store->head_seq());
  for (const auto& rebuilt : (*projections_host)->rebuilt()) {
    log->warn("read model rebuilt from the log projection={} reason={}", rebuilt.name, rebuilt.reason);
  }
  actors::ledger_reads reads(*store, **projections_host);
  auto client = std::make_unique<actors::ledger_client>(runtime->system(), ledger->facade());
  bootstrap_token(*client, reads, log);

  // The Telegram outbox (notices for users) and the subscription expiry scheduler.
  actors::notifier_options notifier_options;
  notifier_options.admins = config.telegram_admins;
  notifier_options.on_control_change = [control_log = make_logger("control")](const std::string& change) {
    control_log->warn("control changed: {}", change);
  };
  auto notifier = actors::notifier::start(*store, *client, std::move(notifier_options));
  if (!notifier) {
    log->error("cannot start the notifier detail={}", notifier.error().message);
    return 1;
  }
  actors::expiry_options expiry_options;
  expiry_options.interval = std::chrono::milliseconds(config.expiry_scan_ms);
  expiry_options.clock_offset_us = config.test_expiry_clock_offset_s * 1'000'000;
  if (expiry_options.clock_offset_us != 0) {
    log->warn("TEST KNOB: the expiry scheduler judges time {} s ahead", config.test_expiry_clock_offset_s);
  }
  auto expiry = std::make_unique<actors::expiry_scheduler>(
      *client,
      [&reads](std::int64_t now_us, std::size_t limit) {
        std::vector<actors::due_item> out;
        for (const auto& d : reads.due_subscriptions(now_us, limit)) {
          out.push_back(actors::due_item{domain::user_id(d.user), domain::channel_id(d.channel), d.expire});
        }
        return out;
      },
      expiry_options);

  // NOWPayments: invoices, IPNs and reconciliation, when configured.
  std::unique_ptr<gateways::nowpayments::service> nowpayments;
  if (!config.nowpayments_api_key.empty() && !config.nowpayments_ipn_secret.empty()) {
    gateways::nowpayments::service_options np;
    np.api_base = config.nowpayments_api_url;
    np.api_key = config.nowpayments_api_key;
    np.ipn_secret = config.nowpayments_ipn_secret;
    np.ipn_callback_url = config.nowpayments_ipn_callback_url;
    np.success_url = config.nowpayments_success_url;
    np.cancel_url = config.nowpayments_cancel_url;
    np.http.ca_file = config.nowpayments_ca_file;
    np.reconcile_every = std::chrono::milliseconds(config.nowpayments_reconcile_every_ms);
    np.reconcile_after = std::chrono::milliseconds(config.nowpayments_reconcile_after_ms);
    auto started_np = gateways::nowpayments::service::start(*client, reads, std::move(np));
    if (!started_np) {
      log->error("cannot start the NOWPayments gateway detail={}", started_np.error().message);
      return 1;
    }
    nowpayments = std::move(started_np.value());
    log->info("nowpayments gateway started api_url={}", config.nowpayments_api_url);
  }

  // The chain: deposit watcher and hot-wallet sender, when an RPC URL is configured.
  std::unique_ptr<gateways::chain::service> chain;
  if (chain_config) {
    auto started_chain = gateways::chain::service::start(*client, reads, *chain_config);
    if (!started_chain) {
      log->error("cannot start the chain gateway detail={}", started_chain.error().message);
      return 2;
    }
    chain = std::move(started_chain.value());
    log->info("chain gateway started chain_id={} endpoints={} deposits={} sends={}", chain_config->chain_id,
              chain_config->rpc_urls.size(), chain_config->xpub.empty() ? "off (no xpub)" : "on",
              chain_config->hot_key ? "on" : "off (no hot-wallet key)");
  }

  // Outbound webhooks: always on (no endpoint registered: the feed only re-reads its stream).
  auto signing_key = webhook_signing_key(config, log);
  if (!signing_key) {
    log->error("cannot start outbound webhooks detail={}", signing_key.error().message);
    return 2;
  }
  gateways::webhooks::options outbound_options;
  outbound_options.signing_key = std::move(*signing_key);
  outbound_options.ca_file = config.webhooks_ca_file;
  outbound_options.timeout = std::chrono::milliseconds(config.webhooks_timeout_ms);
  outbound_options.first_retry = std::chrono::milliseconds(config.webhooks_retry_first_ms);
  outbound_options.max_retry = std::chrono::milliseconds(config.webhooks_retry_max_ms);
  outbound_options.log = [webhook_log = make_logger("webhooks")](const std::string& text) {
    webhook_log->warn("{}", text);
  };
  auto made_webhooks = gateways::webhooks::service::create(std::move(outbound_options));
  if (!made_webhooks) {
    log->error("cannot start outbound webhooks detail={}", made_webhooks.error().message);
    return 2;
  }
  std::unique_ptr<gateways::webhooks::service> webhooks = std::move(made_webhooks.value());
  auto started_feed = actors::webhook_feed::start(
      *store, [svc = webhooks.get()](const domain::webhook::endpoint& e, const domain::webhook::delivery& d,
                                     const std::atomic<bool>& cancelled) { return svc->deliver(e, d, cancelled); });
  if (!started_feed) {
    log->error("cannot start the webhook feed detail={}", started_feed.error().message);
    return 1;
  }
  std::unique_ptr<actors::webhook_feed> webhook_feed = std::move(started_feed.value());
  log->info("outbound webhooks started endpoints={}", webhook_feed->endpoints().size());

  // Telegram: the outbox feed and the bot (when a bot token is configured).
  std::unique_ptr<actors::outbox_feed> outbox;
  std::unique_ptr<gateways::telegram::service> telegram;
  std::unique_ptr<actors::update_feed> updates;
  if (!config.telegram_bot_token.empty()) {
    auto feed = actors::outbox_feed::start(*store, *client);
    if (!feed) {
      log->error("cannot start the telegram outbox detail={}", feed.error().message);
      return 1;
    }
    outbox = std::move(feed.value());
    gateways::telegram::service_options tg;
    tg.api_base = config.telegram_api_url;
    tg.token = config.telegram_bot_token;
    tg.mode = config.telegram_mode;
    tg.webhook_url = config.telegram_webhook_url;
    tg.webhook_secret = config.telegram_webhook_secret;
    tg.admins = config.telegram_admins;
    tg.state_dir = config.data_dir;
    tg.poll_timeout_s = static_cast<int>(config.telegram_poll_timeout_s);
    tg.http.ca_file = config.telegram_ca_file;
    tg.keypad_timeout = std::chrono::seconds(config.test_keypad_timeout_s);
    tg.log = [tg_log = make_logger("telegram")](gateways::telegram::log_level level, const std::string& text) {
      switch (level) {
        case gateways::telegram::log_level::info: tg_log->info("{}", text); break;
        case gateways::telegram::log_level::warn: tg_log->warn("{}", text); break;
        case gateways::telegram::log_level::error: tg_log->error("{}", text); break;
      }
    };
    if (chain && chain_config && !chain_config->xpub.empty()) {
      gateways::chain::service* chain_for_bot = chain.get();
      tg.deposit_address = [chain_for_bot](domain::user_id user) { return chain_for_bot->deposit_address(user); };
    }
    if (config.test_keypad_timeout_s != 300) {
      log->warn("TEST KNOB: the donation keypad times out after {} s", config.test_keypad_timeout_s);
    }
    gateways::nowpayments::service* np_for_bot = nowpayments.get();
    gateways::telegram::invoice_maker make_invoice;
    if (np_for_bot != nullptr) {
      make_invoice = [np_for_bot](actors::invoice_create_request request,
                                  std::function<void(result<std::string>)> done) {
        np_for_bot->create_invoice(std::move(request),
                                   [done = std::move(done)](result<domain::invoice::state> invoice, bool) {
                                     done(invoice ? result<std::string>(invoice->url)
                                                  : result<std::string>(invoice.error()));
                                   });
      };
    }
    auto created = gateways::telegram::service::create(std::move(tg), *client, reads, *outbox, std::move(make_invoice));
    if (!created) {
      log->error("cannot configure the telegram gateway detail={}", created.error().message);
      return 1;
    }
    telegram = std::move(created.value());
    gateways::telegram::service* bot = telegram.get();
    auto feed_updates = actors::update_feed::start(
        *store, [bot](const actors::inbound_update& u, std::function<void()> done) { bot->handle_update(u, std::move(done)); });
    if (!feed_updates) {
      log->error("cannot start the telegram update feed detail={}", feed_updates.error().message);
      return 1;
    }
    updates = std::move(feed_updates.value());
  }

  const auto started = std::chrono::steady_clock::now();
  gateways::http::api_hooks hooks;
  hooks.health = [&reads, &config, &store, started, &log] {
    const auto stats = store->stats();
    static std::atomic<bool> reported{false};
    if (stats.write_failed && !reported.exchange(true)) {
      log->error("event log refuses writes until restart detail={}", stats.write_failure);
    }
    return health_body(reads, config, started, to_hex(store->head_hash()), !stats.write_failed);
  };
  hooks.metrics = [&store, &reads, &ledger, &runtime, &nowpayments, &notifier, &expiry, &telegram, &chain, &outbox,
                   &updates, &webhooks, &webhook_feed] {
    std::string out = metrics_body(*store, reads, *ledger, runtime->system());
    const auto counter = [&](const char* name, const char* help, std::uint64_t value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
             std::to_string(value) + "\n";
    };
    counter("telepay_notices_recorded_total", "Telegram notices recorded in the outbox.",
            (*notifier)->notices_recorded());
    {
      const auto& board = ledger->attention();
      out += "# HELP telepay_processes_needing_attention Processes that stopped retrying and wait for an operator.\n"
             "# TYPE telepay_processes_needing_attention gauge\n"
             "telepay_processes_needing_attention " + std::to_string(board->size()) + "\n";
      counter("telepay_processes_parked_total", "Processes parked after their retries ran out.", board->parked_total());
    }
    counter("telepay_control_changes_total",
            "Changes to the controls that guard money (write tokens, withdrawal limits), each announced.",
            (*notifier)->control_changes());
    counter("telepay_subscription_reminders_total", "Expiry reminders recorded.", expiry->reminders());
    counter("telepay_subscription_expiries_total", "Expiries recorded.", expiry->expiries());
    if (nowpayments) {
      out += nowpayments->metrics_text();
    }
    if (telegram) {
      out += telegram->metrics_text();
    }
    if (outbox && updates) {
      counter("telepay_telegram_undecodable_records_total",
              "Log records the Telegram feeds skipped because they did not decode.",
              outbox->undecodable().count + updates->undecodable().count);
    }
    if (chain) {
      out += chain->metrics_text();
    }
    out += webhooks->metrics_text(webhook_feed->endpoints(), store->head_seq());
    return out;
  };
  hooks.webhook_secret = [svc = webhooks.get()](std::string_view id) { return svc->secret_for(id); };
  hooks.openapi = std::string(openapi_document);
  hooks.attention = ledger->attention();
  hooks.chain_rescan = [&chain](const gateways::http::chain_rescan& rescan) {
    if (!chain) {
      return gateways::http::error_response(409, "chain_not_configured",
                                            "the chain gateway is not configured on this server");
    }
    chain->request_rescan(rescan.from_block, rescan.by);
    return gateways::http::json_response(202, "{\"rescan_from\":" + std::to_string(rescan.from_block) + "}");
  };
  hooks.create_invoice = [&nowpayments](const gateways::http::invoice_order& order, gateways::http::responder reply) {
    if (!nowpayments) {
      reply(gateways::http::error_response(503, "not_configured", "NOWPayments is not configured on this server"));
      return;
    }
    nowpayments->handle_create_invoice(order, std::move(reply));
  };
  if (chain && chain_config && !chain_config->xpub.empty()) {
    gateways::chain::service* chain_for_api = chain.get();
    hooks.assign_deposit_address = [chain_for_api](domain::user_id user, gateways::http::responder reply) {
      chain_for_api->handle_deposit_address(user.value(), true, std::move(reply));
    };
  }
  hooks.broadcasts_delivered = telegram != nullptr;
  hooks.anonymous_rate_per_second = config.http_anonymous_rate_per_second;
  hooks.anonymous_burst = config.http_anonymous_burst;
  gateways::http::api api(*client, reads, std::move(hooks));
  gateways::http::router routes;
  api.install(routes);
  gateways::nowpayments::service* np_service = nowpayments.get();
  // Webhooks are served on the main listener and, when http.webhook_listen is set, also on a
  // second one that serves nothing else (beside /health).
  gateways::http::router webhook_routes;
  const auto add_webhook = [&](const std::string& pattern, gateways::http::handler fn) {
    api.add_public(routes, "POST", pattern, fn);
    api.add_public(webhook_routes, "POST", pattern, fn);
  };
  add_webhook("/v1/webhooks/nowpayments",
             [np_service](const gateways::http::request& req, gateways::http::responder reply) {
               if (np_service == nullptr) {
                 reply(gateways::http::error_response(503, "not_configured",
                                                      "NOWPayments is not configured on this server"));
                 return;
               }
               np_service->handle_ipn(req, std::move(reply));
             });
  gateways::chain::service* chain_service = chain.get();
  // A user's deposit address: the GET only reads it (404 while none is assigned); the write
  // route POST /v1/admin/users/{id}/deposit-address (hooks.assign_deposit_address) records it.
  api.add_read(routes, "/v1/users/{id}/deposit-address", domain::role::operator_,
               [chain_service](const gateways::http::request&, const gateways::http::read_args& a,
                               gateways::http::responder reply) {
                 if (chain_service == nullptr) {
                   reply(gateways::http::error_response(409, "chain_not_configured",
                                                        "the chain gateway is not configured on this server"));
                   return;
                 }
                 chain_service->handle_deposit_address(a.id, false, std::move(reply));  // an integer: decoded
               });
  api.add_read(routes, "/v1/chain/status", domain::role::auditor,
               [chain_service](const gateways::http::request&, const gateways::http::read_args&,
                               gateways::http::responder reply) {
                 gateways::http::response out;
                 out.body = chain_service == nullptr ? "{\"configured\":false}" : chain_service->status_json();
                 reply(std::move(out));
               });
  add_webhook_reads(api, routes, *webhook_feed, *webhooks, *store);
  gateways::telegram::service* tg_service = telegram.get();
  add_webhook("/v1/webhooks/telegram",
             [tg_service](const gateways::http::request& req, gateways::http::responder reply) {
               if (tg_service == nullptr) {
                 reply(gateways::http::error_response(503, "not_configured",
                                                      "Telegram is not configured on this server"));
                 return;
               }
               tg_service->handle_webhook(req, std::move(reply));
             });
  gateways::http::server_options http_options;
  http_options.address = config.listen_address;
  http_options.port = config.listen_port;
  http_options.io_threads = config.http_io_threads;
  http_options.request_deadline = std::chrono::milliseconds(config.http_request_deadline_ms);
  http_options.connections_per_address_max = config.http_connections_per_address_max;
  http_options.on_server_error = [http_log = make_logger("http")](const gateways::http::request& req,
                                                                  const gateways::http::response& res) {
    http_log->error("request failed request_id={} method={} path={} remote={} status={} detail={}", req.id,
                    req.method, req.path, req.remote_address, res.status,
                    res.log_detail.empty() ? "-" : res.log_detail);
  };
  auto server = gateways::http::server::start(http_options, std::ref(routes));
  if (!server) {
    log->error("cannot start the HTTP server detail={}", server.error().message);
    return 1;
  }
  log->info("http listening address={} port={} request_deadline_ms={} connections_per_address_max={}",
            config.listen_address, (*server)->port(), config.http_request_deadline_ms,
            config.http_connections_per_address_max);
  std::unique_ptr<gateways::http::server> webhook_server;
  if (config.webhook_listen) {
    webhook_routes.add("GET", "/health", [&routes](const gateways::http::request& req,
                                                   gateways::http::responder reply) {
      routes(req, std::move(reply));  // the main router's /health (and its anonymous limit)
    });
    gateways::http::server_options webhook_options = http_options;
    webhook_options.address = config.webhook_listen->first;
    webhook_options.port = config.webhook_listen->second;
    auto started_webhooks = gateways::http::server::start(webhook_options, std::ref(webhook_routes));
    if (!started_webhooks) {
      log->error("cannot start the webhook listener detail={}", started_webhooks.error().message);
      return 1;
    }
    webhook_server = std::move(started_webhooks.value());
    log->info("http webhook listener address={} port={} (webhooks and /health only)", webhook_options.address,
              webhook_server->port());
  }
  if (nowpayments && nowpayments->ipn_callback_url().empty()) {
    // No public URL configured: NOWPayments is told to call this server where it listens
    // (right for local runs and the simulator; production sets nowpayments.ipn_callback_url).
    const bool v6 = config.listen_address.find(':') != std::string::npos;
    nowpayments->set_ipn_callback_url("http://" + (v6 ? "[" + config.listen_address + "]" : config.listen_address) +
                                      ":" + std::to_string((*server)->port()) + "/v1/webhooks/nowpayments");
    log->warn("nowpayments.ipn_callback_url not set: using {}", nowpayments->ipn_callback_url());
  }
  if (telegram && config.telegram_mode == "webhook" && telegram->webhook_url().empty()) {
    // No public URL configured: tell Telegram to call this server where it listens (right for
    // the simulator; production sets telegram.webhook_url to its public https URL).
    const bool v6 = config.listen_address.find(':') != std::string::npos;
    telegram->set_webhook_url("http://" + (v6 ? "[" + config.listen_address + "]" : config.listen_address) + ":" +
                              std::to_string((*server)->port()) + "/v1/webhooks/telegram");
    log->warn("telegram.webhook_url not set: using {}", telegram->webhook_url());
  }
  // Telegram starts in the background (after the HTTP server: in webhook mode Telegram may call
  // as soon as the hook is set): an unreachable Bot API is retried with backoff while the ledger
  // and the API serve; a refused token is logged and the gateway stays off.
  std::atomic<bool> stopping_telegram{false};
  std::thread telegram_starter;
  if (telegram) {
    telegram_starter = std::thread([&telegram, &stopping_telegram, &log, &config] {
      for (int attempt = 0; !stopping_telegram.load(); ++attempt) {
        auto s = telegram->start();
        if (s) {
          log->info("telegram gateway started mode={} bot=@{}", config.telegram_mode, telegram->bot_username());
          return;
        }
        if (s.code() != errc::upstream_unavailable) {
          log->error("telegram gateway refused, not started detail={}", s.error().message);
          return;
        }
        const int wait_s = std::min(60, 2 << std::min(attempt, 5));
        log->warn("telegram Bot API unreachable, retrying in {} s detail={}", wait_s, s.error().message);
        for (int i = 0; i < wait_s * 10 && !stopping_telegram.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  if (!config.port_file.empty()) {
    if (auto written = write_port_file(config.port_file, (*server)->port()); !written) {
      log->error("{}", written.error().message);
      (*server)->stop();
      return 2;  // destructors below stop the gateways, the actors and the log in order
    }
    if (webhook_server) {
      if (auto written = write_port_file(config.port_file.string() + ".webhooks", webhook_server->port()); !written) {
        log->error("{}", written.error().message);
      }
    }
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  log->info("stopping signal={}", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop();
  if (webhook_server) {
    webhook_server->stop();
  }
  if (updates) {
    updates->stop();
  }
  webhook_feed->stop();  // an attempt in flight ends within webhooks.timeout_ms
  stopping_telegram.store(true);
  if (telegram_starter.joinable()) {
    telegram_starter.join();
  }
  if (telegram) {
    telegram->stop();
  }
  if (outbox) {
    outbox->stop();
  }
  if (nowpayments) {
    nowpayments->stop();
  }
  if (chain) {
    chain->stop();
  }
  expiry->stop();
  (*notifier)->stop();
  client->stop();
  (*projections_host)->stop();
  ledger.reset();
  client.reset();
  runtime.reset();
  projections_host->reset();
  store.reset();
  log->info("stopped");
  return 0;
}

struct token_options {
  std::string role = "operator";
  std::string operator_name;  // empty: the token is an operator of its own ("token.{id}")
  std::string label;
  std::vector<std::string> cidrs;
  std::uint32_t rate = 50;
  std::uint32_t burst = 100;
};

/// The stopped server's log, for the offline token commands (a running server holds its lock:
/// then the API does the same thing).
result<std::unique_ptr<eventstore::event_store>> open_offline(const daemon_config& config, const char* instead) {
  if (auto secured = secure_data_dir(config.data_dir, make_logger("telepayd")); !secured) {
    return secured.error();
  }
  eventstore::open_options store_options;
  store_options.directory = config.data_dir / "eventlog";
  auto store = eventstore::event_store::open(store_options);
  if (!store) {
    return make_error(store.code(), "cannot open " + store_options.directory.string() + " (" +
                                        store.error().message + "); if telepayd is running, use " + instead +
                                        " instead");
  }
  return std::move(store).value();
}

/// `telepayd token create`: appends a token to the (stopped) server's log, prints it once.
int create_token(const daemon_config& config, const token_options& options) {
  auto access = domain::parse_role(options.role);
  if (!access) {
    std::fprintf(stderr, "telepayd: %s\n", access.error().message.c_str());
    return 2;
  }
  auto store = open_offline(config, "POST /v1/admin/tokens");
  if (!store) {
    std::fprintf(stderr, "telepayd: %s\n", store.error().message.c_str());
    return 1;
  }
  const auto token = gateways::http::generate_token();
  domain::token::create create;
  create.access = *access;
  create.secret_sha256 = token.secret_sha256;
  create.allowed_cidrs = options.cidrs;
  create.rate_per_second = options.rate;
  create.burst = options.burst;
  create.label = options.label;
  create.by = "telepayd-cli";
  create.operator_name = options.operator_name;
  auto events = domain::token::decide(domain::token::state(token.id), create, now_us());
  if (!events) {
    std::fprintf(stderr, "telepayd: %s\n", events.error().message.c_str());
    return 2;
  }
  std::vector<eventstore::new_event> encoded;
  for (const auto& e : *events) {
    auto x = domain::encode_event(e);
    encoded.push_back(eventstore::new_event{x.type, x.version, x.payload});
  }
  auto appended = (*store)->append(domain::token::stream(token.id),
                                   eventstore::expected_version::no_stream(), encoded, "");
  if (!appended) {
    std::fprintf(stderr, "telepayd: %s\n", appended.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", token.text.c_str());
  std::fprintf(stderr, "telepayd: created %s token %s (the line above is its secret; shown once)\n",
               options.role.c_str(), token.id.c_str());
  return 0;
}

/// `telepayd token revoke --id ID`: records the token's revocation in the (stopped) server's
/// log, so a leaked admin token can be shut out even when no other admin token is at hand.
/// Exit 0 when revoked (or already revoked), 1 when the token does not exist or the log cannot
/// be written, 2 for bad input.
int revoke_token(const daemon_config& config, const std::string& id) {
  if (!domain::is_token(id, domain::token::id_bytes)) {
    std::fprintf(stderr, "telepayd: a token id is the 12 characters after tp_ (tp_<id>_<secret>)\n");
    return 2;
  }
  auto store = open_offline(config, "POST /v1/admin/tokens/{id}/revoke");
  if (!store) {
    std::fprintf(stderr, "telepayd: %s\n", store.error().message.c_str());
    return 1;
  }
  const std::string stream = domain::token::stream(id);
  domain::token::state state(id);
  std::uint64_t stream_at = 0;
  for (;;) {
    auto page = (*store)->read_stream(stream, stream_at + 1, 256);
    if (!page) {
      std::fprintf(stderr, "telepayd: reading %s: %s\n", stream.c_str(), page.error().message.c_str());
      return 1;
    }
    for (const auto& r : *page) {
      auto e = domain::decode_event<domain::token::event>(r.type, r.schema_version, r.payload);
      if (!e) {
        std::fprintf(stderr, "telepayd: %s version %llu does not decode: %s\n", stream.c_str(),
                     static_cast<unsigned long long>(r.version), e.error().message.c_str());
        return 1;
      }
      domain::token::evolve(state, *e);
      stream_at = r.version;
    }
    if (page->size() < 256) break;
  }
  auto events = domain::token::decide(state, domain::token::revoke{"telepayd-cli"}, now_us());
  if (!events) {
    std::fprintf(stderr, "telepayd: %s\n", events.error().message.c_str());
    return events.code() == errc::token_not_found ? 1 : 2;
  }
  if (events->empty()) {
    std::fprintf(stderr, "telepayd: token %s was already revoked\n", id.c_str());
    return 0;
  }
  std::vector<eventstore::new_event> encoded;
  for (const auto& e : *events) {
    auto x = domain::encode_event(e);
    encoded.push_back(eventstore::new_event{x.type, x.version, x.payload});
  }
  auto appended = (*store)->append(stream, eventstore::expected_version::exactly(stream_at), encoded, "");
  if (!appended) {
    std::fprintf(stderr, "telepayd: %s\n", appended.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "telepayd: revoked token %s (by telepayd-cli)\n", id.c_str());
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
  telepay::tools::token_options token;
  auto* token_cmd = app.add_subcommand("token", "manage API tokens offline (server stopped)");
  auto* create_cmd = token_cmd->add_subcommand("create", "create a token and print it once");
  token_cmd->require_subcommand(1);
  create_cmd->add_option("--role", token.role, "admin, operator or auditor (default operator)")
      ->check(CLI::IsMember({"admin", "operator", "auditor"}));
  create_cmd->add_option("--label", token.label, "what the token is for");
  create_cmd->add_option("--operator", token.operator_name,
                         "the person it belongs to (default: the token is an operator of its own); "
                         "approvals need another operator");
  create_cmd->add_option("--cidr", token.cidrs, "allow only these source addresses (repeatable)");
  create_cmd->add_option("--rate", token.rate, "requests per second (default 50)")
      ->check(CLI::Range(1u, 1'000'000u));
  create_cmd->add_option("--burst", token.burst, "burst size (default 100)")
      ->check(CLI::Range(1u, 10'000'000u));
  create_cmd->add_option("--data", data_dir, "data directory (default ./data)");
  std::string revoke_id;
  auto* revoke_cmd = token_cmd->add_subcommand("revoke", "revoke a token (it is refused from then on)");
  revoke_cmd->add_option("--id", revoke_id, "the token id: the 12 characters after tp_")->required();
  revoke_cmd->add_option("--data", data_dir, "data directory (default ./data)");
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
  if (auto loaded = telepay::tools::load_config_env(config); !loaded) {
    std::fprintf(stderr, "telepayd: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (!data_dir.empty()) {
    config.data_dir = data_dir;
  }
  if (create_cmd->parsed()) {
    return telepay::tools::create_token(config, token);
  }
  if (revoke_cmd->parsed()) {
    return telepay::tools::revoke_token(config, revoke_id);
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
