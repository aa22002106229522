#include "tools/bench/postgres_baseline.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <pwd.h>
#include <unistd.h>

#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

const std::filesystem::path pg_bin = "/usr/lib/postgresql/15/bin";

/// Runs a shell command, returns (exit code, stdout+stderr).
std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

class server {
 public:
  server(std::filesystem::path dir, int port) : dir_(std::move(dir)), port_(port) {
    // initdb refuses to run as root: run the server as the Debian package's postgres user.
    as_ = geteuid() == 0 ? "runuser -u postgres -- " : "";
  }
  ~server() { stop(); }

  std::string start() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_, ec);
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) {
        return "no 'postgres' user (install the postgresql package)";
      }
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return "cannot hand " + dir_.string() + " to the postgres user";
      }
    }
    const auto data = (dir_ / "data").string();
    auto [rc, out] = shell(as_ + (pg_bin / "initdb").string() + " -D " + quote(data) +
                           " -A trust -U bench --no-sync");
    if (rc != 0) {
      return "initdb failed: " + out.substr(0, 400);
    }
    const std::string settings =
        "-p " + std::to_string(port_) + " -k " + dir_.string() +
        " -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        " -c shared_buffers=512MB -c max_connections=200 -c max_wal_size=4GB";
    std::tie(rc, out) = shell(as_ + (pg_bin / "pg_ctl").string() + " -D " + quote(data) + " -l " +
                              quote((dir_ / "server.log").string()) + " -o " + quote(settings) +
                              " -w start");
    if (rc != 0) {
      return "pg_ctl start failed: " + out.substr(0, 400);
    }
    started_ = true;
    return {};
  }

  void stop() {
    if (started_) {
      shell(as_ + (pg_bin / "pg_ctl").string() + " -D " + quote((dir_ / "data").string()) +
            " -m fast -w stop");
      started_ = false;
    }
  }

  std::pair<int, std::string> psql(const std::string& sql) {
    return shell(as_ + (pg_bin / "psql").string() + " -h " + dir_.string() + " -p " +
                 std::to_string(port_) + " -U bench -d postgres -v ON_ERROR_STOP=1 -q -c " +
                 quote(sql));
  }

  std::pair<int, std::string> pgbench(const std::string& args) {
    return shell(as_ + (pg_bin / "pgbench").string() + " -h " + dir_.string() + " -p " +
                 std::to_string(port_) + " -U bench " + args + " postgres");
  }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  int port_;
  std::string as_;
  bool started_ = false;
};

std::string script(bool hot) {
  std::string s =
      "\\set a random(1, :users)\n"
      "\\set b random(1, :users)\n";
  if (hot) {
    s += "\\set pick random(0, 1)\n\\set b :pick * :b\n";  // half of the transfers go to account 0
  }
  s +=
      "BEGIN;\n"
      "UPDATE accounts SET balance = balance - 0.01 WHERE id = :a;\n"
      "UPDATE accounts SET balance = balance + 0.01 WHERE id = :b;\n"
      "INSERT INTO ledger (from_id, to_id, amount) VALUES (:a, :b, 0.01);\n"
      "END;\n";
  return s;
}

/// Reads pgbench's per-transaction logs: the third field is the latency in microseconds.
std::vector<std::uint32_t> read_latencies(const std::filesystem::path& dir, const std::string& prefix) {
  std::vector<std::uint32_t> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) != 0) {
      continue;
    }
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string client, number, latency;
      fields >> client >> number >> latency;
      if (!latency.empty() && std::all_of(latency.begin(), latency.end(), ::isdigit)) {
        out.push_back(static_cast<std::uint32_t>(std::stoul(latency)));
      }
    }
    std::filesystem::remove(entry.path());
  }
  return out;
}

}  // namespace

postgres_result run_postgres_baseline(const std::filesystem::path& directory, std::size_t users,
                                      const std::vector<std::string>& mixes, double seconds,
                                      const std::vector<std::size_t>& clients) {
  postgres_result out;
  if (!std::filesystem::exists(pg_bin / "postgres") || !std::filesystem::exists(pg_bin / "pgbench")) {
    out.note = "PostgreSQL 15 is not installed (" + pg_bin.string() + "); tools/bootstrap installs it";
    return out;
  }
  std::random_device seed;
  server pg(directory / ("postgres-" + std::to_string(users)), 40000 + static_cast<int>(seed() % 20000));
  std::fprintf(stderr, "postgres: starting a server for %zu users...\n", users);
  if (auto failed = pg.start(); !failed.empty()) {
    out.note = failed;
    return out;
  }
  const std::string schema =
      "CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric(38,18) NOT NULL);"
      "CREATE TABLE ledger (id bigserial PRIMARY KEY, from_id bigint NOT NULL, to_id bigint NOT NULL,"
      " amount numeric(38,18) NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"
      "INSERT INTO accounts SELECT g, 1000000 FROM generate_series(0, " + std::to_string(users) + ") g;";
  for (const std::string& sql : {schema, std::string("VACUUM ANALYZE accounts")}) {
    if (auto [rc, text] = pg.psql(sql); rc != 0) {
      out.note = "loading the accounts failed: " + text.substr(0, 400);
      pg.stop();
      std::error_code ec;
      std::filesystem::remove_all(pg.dir(), ec);
      return out;
    }
  }
  for (const std::string& mix : mixes) {
    const auto script_path = pg.dir() / (mix + ".sql");
    std::ofstream(script_path) << script(mix == "hot");
    for (std::size_t c : clients) {
      std::fprintf(stderr, "postgres: %zu users, %s mix, %zu clients, %.0f s...\n", users, mix.c_str(), c, seconds);
      const std::string prefix = "pglog-" + mix + "-" + std::to_string(c);
      auto [rc, text] = pg.pgbench("-n -c " + std::to_string(c) + " -j 2 -T " +
                                   std::to_string(static_cast<int>(std::max(1.0, seconds))) +
                                   " -D users=" + std::to_string(users) + " --max-tries=100 -l --log-prefix=" +
                                   (pg.dir() / prefix).string() + " -f " + script_path.string());
      if (rc != 0) {
        out.note = "pgbench failed: " + text.substr(0, 400);
        continue;
      }
      postgres_figure f;
      f.users = users;
      f.mix = mix;
      f.clients = c;
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("tps = ", 0) == 0) {
          f.per_second = std::stod(line.substr(6));
        } else if (line.find("number of transactions actually processed:") != std::string::npos) {
          f.transactions = std::stoull(line.substr(line.find(':') + 1));
        } else if (line.find("number of failed transactions:") != std::string::npos) {
          f.failed = std::stoull(line.substr(line.find(':') + 1));
        }
      }
      auto latencies = read_latencies(pg.dir(), prefix);
      const auto lat = summarize(latencies);
      f.p50_us = lat.p50_us;
      f.p99_us = lat.p99_us;
      out.figures.push_back(f);
    }
  }
  pg.stop();
  std::error_code ec;
  std::filesystem::remove_all(pg.dir(), ec);
  return out;
}

}  // namespace telepay::tools
