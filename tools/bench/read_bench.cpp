#include "tools/bench/read_bench.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "projections/models.hpp"
#include "projections/replay.hpp"
#include "tools/bench/seed.hpp"

namespace telepay::tools {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, ""};
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

void report(std::uint64_t done, std::uint64_t total) {
  std::fprintf(stderr, "seed: %llu/%llu events\n", static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total));
}

}  // namespace

projections_bench_result run_projections_bench(const projections_bench_options& options) {
  projections_bench_result out;
  const auto dir = options.directory / "projections-log";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  eventstore::open_options store_options;
  store_options.directory = dir;
  auto store = eventstore::event_store::open(store_options);
  if (!store) {
    out.error = store.error().message;
    return out;
  }
  // users x 3 events + 1, then transfers x 3 events.
  seed_options seed;
  seed.users = std::max<std::uint64_t>(1000, options.events / 10);
  seed.transfers = options.events > seed.users * 3 ? (options.events - seed.users * 3) / 3 : 0;
  std::fprintf(stderr, "projections: seeding %llu users and %llu transfers...\n",
               static_cast<unsigned long long>(seed.users), static_cast<unsigned long long>(seed.transfers));
  const auto seeded = seed_log(**store, seed, report);
  if (!seeded.error.empty()) {
    out.error = seeded.error;
    return out;
  }
  out.seed_seconds = seeded.seconds;
  std::fprintf(stderr, "projections: replaying %llu events into every projection...\n",
               static_cast<unsigned long long>((*store)->head_seq()));
  projections::model_set models;
  models.track_changes(false);  // a one-shot replay saves nothing
  const auto start = std::chrono::steady_clock::now();
  auto replayed = projections::replay(**store, models, 1, (*store)->head_seq());
  out.replay_seconds = seconds_since(start);
  if (!replayed) {
    out.error = replayed.error().message;
    return out;
  }
  out.events = replayed->events;
  out.events_per_second = static_cast<double>(out.events) / std::max(out.replay_seconds, 1e-9);
  for (const auto* p : models.all()) {
    out.rows.emplace_back(std::string(p->name()), p->size());
  }
  store->reset();
  if (!options.keep) {
    std::filesystem::remove_all(dir, ec);
  }
  return out;
}

namespace {

/// Runs telepayd as a child with its output in a log file; stops it with SIGTERM.
class server_process {
 public:
  server_process(const std::filesystem::path& binary, const std::filesystem::path& data) {
    port_file_ = data / "port";
    std::filesystem::remove(port_file_);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = (data / "telepayd.log").string();
      if (freopen(log.c_str(), "a", stdout) == nullptr || freopen(log.c_str(), "a", stderr) == nullptr) {
        _exit(120);
      }
      execl(binary.c_str(), binary.c_str(), "--data", data.c_str(), "--listen", "127.0.0.1:0",
            "--port-file", port_file_.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
      _exit(121);
    }
  }
  ~server_process() { stop(); }

  std::uint16_t wait_port(std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in(port_file_);
      unsigned port = 0;
      if (in >> port && port != 0) {
        return static_cast<std::uint16_t>(port);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  std::filesystem::path port_file_;
};

double to_ms(const std::string& value) {
  // wrk prints "1.23ms", "456.00us", "1.02s".
  const double number = std::stod(value);
  if (value.find("us") != std::string::npos) return number / 1000.0;
  if (value.find("ms") != std::string::npos) return number;
  if (value.find('s') != std::string::npos) return number * 1000.0;
  return number;
}

wrk_figure parse_wrk(const std::string& name, const std::string& text) {
  wrk_figure f;
  f.name = name;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first == "Requests/sec:") {
      fields >> f.requests_per_second;
    } else if (first == "50%") {
      std::string v;
      fields >> v;
      f.p50_ms = to_ms(v);
    } else if (first == "99%") {
      std::string v;
      fields >> v;
      f.p99_ms = to_ms(v);
    } else if (line.find("requests in") != std::string::npos) {
      f.requests = std::stoull(first);
    } else if (first == "Non-2xx") {
      std::string rest;
      fields >> rest >> rest;  // "or 3xx responses: N"
      std::string count;
      while (fields >> count) {
      }
      f.non_2xx = std::stoull(count);
    }
  }
  return f;
}

std::string create_token(const std::filesystem::path& telepayd, const std::filesystem::path& data,
                         const std::string& role) {
  auto [rc, text] = shell(telepayd.string() + " token create --data " + data.string() + " --role " +
                          role + " --rate 1000000 --burst 1000000 2>/dev/null");
  if (rc != 0) {
    return "";
  }
  const auto at = text.find("tp_");
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

}  // namespace

http_bench_result run_http_bench(const http_bench_options& options) {
  http_bench_result out;
  out.users = options.users;
  const auto data = options.directory / "http-data";
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
  std::filesystem::create_directories(data, ec);
  {
    eventstore::open_options store_options;
    store_options.directory = data / "eventlog";
    auto store = eventstore::event_store::open(store_options);
    if (!store) {
      out.error = store.error().message;
      return out;
    }
    std::fprintf(stderr, "http: seeding %llu users...\n", static_cast<unsigned long long>(options.users));
    seed_options seed;
    seed.users = options.users;
    const auto seeded = seed_log(**store, seed, report);
    if (!seeded.error.empty()) {
      out.error = seeded.error;
      return out;
    }
    out.seed_seconds = seeded.seconds;
  }
  const std::string reader = create_token(options.telepayd, data, "auditor");
  const std::string writer = create_token(options.telepayd, data, "operator");
  if (reader.empty() || writer.empty()) {
    out.error = "cannot create tokens with " + options.telepayd.string();
    return out;
  }
  std::fprintf(stderr, "http: starting telepayd (projections catch up with %llu users)...\n",
               static_cast<unsigned long long>(options.users));
  const auto start = std::chrono::steady_clock::now();
  server_process server(options.telepayd, data);
  const std::uint16_t port = server.wait_port(std::chrono::seconds(600));
  if (port == 0) {
    out.error = "telepayd did not start; see " + (data / "telepayd.log").string();
    return out;
  }
  for (int i = 0; i < 6000; ++i) {
    auto [rc, health] = shell("curl -s http://127.0.0.1:" + std::to_string(port) + "/health");
    if (health.find("\"lag\":0") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  out.catch_up_seconds = seconds_since(start);

  const auto reads_lua = data / "reads.lua";
  std::ofstream(reads_lua) << "local users = " << options.users << "\n"
                           << "request = function()\n"
                              "  local id = math.random(1, users)\n"
                              "  return wrk.format('GET', '/v1/users/' .. id .. '/balances', "
                              "{['Authorization'] = 'Bearer "
                           << reader << "'})\nend\n";
  const auto mix_lua = data / "mix.lua";
  std::ofstream(mix_lua)
      << "local users = " << options.users << "\n"
      << "local n = 0\nlocal thread_id = 0\nlocal threads = {}\n"
         "function setup(thread) thread_id = thread_id + 1; thread:set('tid', thread_id) end\n"
         "function init(args) math.randomseed(tid * 7919) end\n"
         "request = function()\n"
         "  n = n + 1\n"
         "  if n % 10 == 0 then\n"
         "    local id = users + tid * 100000000 + n\n"
         "    local body = '{\"user_id\":' .. id .. '}'\n"
         "    return wrk.format('POST', '/v1/admin/users', {['Authorization'] = 'Bearer "
      << writer
      << "', ['Idempotency-Key'] = 'w' .. tid .. '-' .. n, ['Content-Type'] = 'application/json'}, body)\n"
         "  end\n"
         "  local id = math.random(1, users)\n"
         "  return wrk.format('GET', '/v1/users/' .. id .. '/balances', {['Authorization'] = 'Bearer "
      << reader << "'})\nend\n";
  const std::string base = "wrk -t" + std::to_string(options.threads) + " -c" +
                           std::to_string(options.connections) + " -d" +
                           std::to_string(static_cast<int>(options.seconds)) + "s --latency ";
  for (const auto& [name, script] : {std::pair<std::string, std::filesystem::path>{"balance reads", reads_lua},
                                     {"90% reads + 10% admin writes", mix_lua}}) {
    std::fprintf(stderr, "http: wrk %s for %.0f s...\n", name.c_str(), options.seconds);
    auto [rc, text] = shell(base + "-s " + script.string() + " http://127.0.0.1:" + std::to_string(port));
    if (rc != 0) {
      out.error = "wrk failed: " + text.substr(0, 300);
      return out;
    }
    out.runs.push_back(parse_wrk(name, text));
  }
  server.stop();
  if (!options.keep) {
    std::filesystem::remove_all(data, ec);
  }
  return out;
}

}  // namespace telepay::tools
