#include "tools/bench/telegram_bench.hpp"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actors/client.hpp"
#include "actors/ledger.hpp"
#include "actors/reads.hpp"
#include "actors/runtime.hpp"
#include "actors/telegram_feeds.hpp"
#include "gateways/http/router.hpp"
#include "gateways/http/server.hpp"
#include "gateways/telegram/service.hpp"
#include "projections/host.hpp"
#include "tools/bench/loopback.hpp"
#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

constexpr std::string_view bot_token = "424242:BENCHbenchBENCHbenchBENCH_bench";
constexpr std::string_view webhook_secret = "bench_webhook_secret";

std::pair<int, std::string> one_request(std::uint16_t port, const std::string& method, const std::string& target,
                                        const std::string& body) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {0, ""};
  std::string buffer;
  auto r = exchange(fd,
                    method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                    buffer);
  close(fd);
  return r;
}

/// The simulator as a child process (stdout and stderr to a log file).
struct simulator {
  pid_t pid = -1;
  std::uint16_t port = 0;

  bool start(const std::string& script, const std::filesystem::path& dir) {
    const auto port_file = dir / "telegram-sim.port";
    const auto log_file = dir / "telegram-sim.log";
    std::filesystem::remove(port_file);
    pid = fork();
    if (pid == 0) {
      const int out = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
      }
      const std::string token(bot_token);
      execlp("node", "node", script.c_str(), "--token", token.c_str(), "--port", "0", "--port-file",
             port_file.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 500 && pid > 0; ++i) {
      std::ifstream in(port_file);
      int p = 0;
      if (in >> p && p > 0) {
        port = static_cast<std::uint16_t>(p);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  ~simulator() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

telegram_bench_result run_telegram_bench(const telegram_bench_options& options) {
  telegram_bench_result out;
  out.updates = options.updates;
  const auto dir = options.directory / "telegram-log";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  simulator sim;
  if (!sim.start(options.sim_script, dir)) {
    out.error = "the Telegram simulator did not start (node " + options.sim_script + ")";
    return out;
  }
  // The users have started the bot before (so sendMessage may write to them).
  {
    std::string ids;
    for (std::uint64_t i = 0; i < options.users; ++i) ids += (i ? "," : "") + std::to_string(100'000 + i);
    auto r = one_request(sim.port, "POST", "/sim/users", "{\"ids\":[" + ids + "]}");
    if (r.first != 200) {
      out.error = "the simulator refused the users";
      return out;
    }
  }

  eventstore::open_options store_options;
  store_options.directory = dir / "eventlog";
  auto store = eventstore::event_store::open(store_options);
  if (!store) {
    out.error = store.error().message;
    return out;
  }
  auto runtime = std::make_unique<actors::runtime>(actors::runtime_options{});
  auto ledger = actors::ledger::start(runtime->system(), **store, actors::ledger_options{});
  if (!ledger) {
    out.error = ledger.error().message;
    return out;
  }
  auto host = projections::projection_host::start(**store, projections::host_options{});
  if (!host) {
    out.error = host.error().message;
    return out;
  }
  actors::ledger_reads reads(**store, **host);
  auto client = std::make_unique<actors::ledger_client>(runtime->system(), (*ledger)->facade());
  auto outbox = actors::outbox_feed::start(**store, *client);
  if (!outbox) {
    out.error = outbox.error().message;
    return out;
  }
  gateways::telegram::service_options tg;
  tg.api_base = "http://127.0.0.1:" + std::to_string(sim.port);
  tg.token = std::string(bot_token);
  tg.mode = "webhook";
  tg.webhook_secret = std::string(webhook_secret);
  tg.state_dir = dir;
  auto service = gateways::telegram::service::create(tg, *client, reads, **outbox, {});
  if (!service) {
    out.error = service.error().message;
    return out;
  }
  auto* bot = service->get();
  auto updates = actors::update_feed::start(
      **store, [bot](const actors::inbound_update& u, std::function<void()> done) {
        bot->handle_update(u, std::move(done));
      });
  if (!updates) {
    out.error = updates.error().message;
    return out;
  }
  gateways::http::router routes;
  routes.add("POST", "/v1/webhooks/telegram",
             [bot](const gateways::http::request& req, gateways::http::responder reply) {
               bot->handle_webhook(req, std::move(reply));
             });
  gateways::http::server_options http_options;
  http_options.port = 0;
  auto server = gateways::http::server::start(http_options, std::ref(routes));
  if (!server) {
    out.error = server.error().message;
    return out;
  }
  bot->set_webhook_url("http://127.0.0.1:" + std::to_string((*server)->port()) + "/v1/webhooks/telegram");
  if (auto s = bot->start(); !s) {
    out.error = "telegram start: " + s.error().message;
    return out;
  }

  // The updates, spread over the connections: "/help" from users round robin.
  const std::size_t conns = std::max<std::size_t>(1, options.connections);
  std::vector<std::vector<std::string>> work(conns);
  for (std::uint64_t i = 0; i < options.updates; ++i) {
    const std::uint64_t user = 100'000 + i % options.users;
    const std::string body =
        R"({"update_id":)" + std::to_string(500'000'000 + i) + R"(,"message":{"message_id":)" + std::to_string(i + 1) +
        R"(,"date":1764000000,"from":{"id":)" + std::to_string(user) +
        R"(,"is_bot":false,"first_name":"bench"},"chat":{"id":)" + std::to_string(user) +
        R"(,"type":"private"},"text":"/help"}})";
    work[i % conns].push_back("POST /v1/webhooks/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                              "application/json\r\nX-Telegram-Bot-Api-Secret-Token: " +
                              std::string(webhook_secret) + "\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body);
  }
  std::fprintf(stderr, "telegram: %llu updates from %llu users over %zu connections...\n",
               static_cast<unsigned long long>(options.updates), static_cast<unsigned long long>(options.users), conns);
  std::atomic<std::uint64_t> accepted{0};
  std::vector<std::vector<std::uint32_t>> latencies(conns);
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> senders;
    for (std::size_t k = 0; k < conns; ++k) {
      senders.emplace_back([&, k] {
        int fd = connect_loopback((*server)->port());
        std::string buffer;
        for (const std::string& request : work[k]) {
          const auto sent_at = std::chrono::steady_clock::now();
          auto [status, body] = fd < 0 ? std::pair<int, std::string>{0, ""} : exchange(fd, request, buffer);
          latencies[k].push_back(
              static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - sent_at)
                                             .count()));
          if (status == 200) accepted++;
        }
        if (fd >= 0) close(fd);
      });
    }
    for (auto& t : senders) t.join();
  }
  out.intake_seconds = seconds_since(start);
  out.accepted = accepted;
  out.intake_per_second = static_cast<double>(out.accepted) / out.intake_seconds;
  std::vector<std::uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const auto summary = summarize(all);
  out.p50_us = summary.p50_us;
  out.p99_us = summary.p99_us;
  std::fprintf(stderr, "telegram: intake done in %.1f s; waiting for the bot...\n", out.intake_seconds);
  while ((*updates)->handled() < out.accepted && seconds_since(start) < 600) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out.processed_seconds = seconds_since(start);
  out.processed_per_second = static_cast<double>((*updates)->handled()) / out.processed_seconds;
  if ((*updates)->handled() < out.accepted) out.error = "the bot did not handle every update within 600 s";

  // The sender: watched for a while (it works under the limits from the first reply on).
  std::fprintf(stderr, "telegram: watching the outbox for %llu s...\n",
               static_cast<unsigned long long>(options.outbox_seconds));
  const std::uint64_t sent_before = (*outbox)->delivered();
  const auto window_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(options.outbox_seconds));
  const double window = seconds_since(window_start);
  out.outbox_sent = (*outbox)->delivered() - sent_before;
  out.outbox_per_second = static_cast<double>(out.outbox_sent) / window;

  (*server)->stop();
  (*updates)->stop();
  bot->stop();
  (*outbox)->stop();

  // What the simulator saw: sends per second and per chat.
  auto state = one_request(sim.port, "GET", "/sim/state", "");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(state.second).get(root) == simdjson::SUCCESS) {
    std::vector<std::int64_t> times;
    std::map<std::int64_t, std::int64_t> last_by_chat;
    simdjson::dom::array calls;
    if (root["calls"].get_array().get(calls) == simdjson::SUCCESS) {
      for (auto call : calls) {
        std::string_view method;
        std::int64_t status = 0, at = 0, chat = 0;
        if (call["method"].get_string().get(method) != simdjson::SUCCESS || method != "sendmessage") continue;
        if (call["status"].get_int64().get(status) != simdjson::SUCCESS) continue;
        if (call["at_ms"].get_int64().get(at) != simdjson::SUCCESS) continue;
        if (status == 429) out.flood_refusals++;
        times.push_back(at);
        if (call["chat_id"].get_int64().get(chat) == simdjson::SUCCESS) {
          auto it = last_by_chat.find(chat);
          if (it != last_by_chat.end()) {
            const std::int64_t gap = at - it->second;
            out.min_chat_gap_ms = out.min_chat_gap_ms < 0 ? gap : std::min(out.min_chat_gap_ms, gap);
          }
          last_by_chat[chat] = at;
        }
      }
    }
    std::sort(times.begin(), times.end());
    std::size_t lo = 0;
    for (std::size_t hi = 0; hi < times.size(); ++hi) {
      while (times[hi] - times[lo] >= 1000) ++lo;
      out.max_in_one_second = std::max<std::uint64_t>(out.max_in_one_second, hi - lo + 1);
    }
  }

  client->stop();
  (*host)->stop();
  (*ledger)->stop();
  client.reset();
  runtime.reset();
  host->reset();
  store->reset();
  if (!options.keep) std::filesystem::remove_all(dir, ec);
  return out;
}

}  // namespace telepay::tools
