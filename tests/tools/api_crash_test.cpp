// Goal: kill -9 of telepayd during a write load over HTTP loses nothing acknowledged: after a
// restart every write that got a 2xx answer is present (users registered, manual deposits
// credited), retries of acknowledged writes get their first answer, and the auditor's
// `telepay-audit verify`, `check` and `replay` all pass on the data directory.
// Method: the real binaries; 6 client threads write over loopback while the parent kills the
// server at a random moment, 5 times over one data directory. TELEPAY_CRASH_SEED replays.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;
const std::string audit_binary = TELEPAY_AUDIT_BIN;

std::string offline_token(const std::filesystem::path& data, const std::string& role) {
  auto r = testing::run_command({daemon_binary, "token", "create", "--data", data.string(), "--role",
                                 role, "--rate", "100000", "--burst", "100000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

struct acked {
  std::mutex mutex;
  std::set<std::int64_t> users;      // registered
  std::set<std::int64_t> deposited;  // manual deposit approved for this user (1 USDT each)
};

testing::http_reply post(std::uint16_t port, const std::string& token, const std::string& path,
                         const std::string& body, const std::string& key) {
  return testing::http_request(port, "POST", path, body,
                               {{"Authorization", "Bearer " + token}, {"Idempotency-Key", key}});
}

TEST(ApiCrash, AcknowledgedWritesSurviveKillNine) {
  const char* seed_env = std::getenv("TELEPAY_CRASH_SEED");
  const unsigned seed = seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10))
                                 : std::random_device{}();
  std::printf("api crash seed: %u (set TELEPAY_CRASH_SEED to replay)\n", seed);
  std::mt19937 random(seed);
  testing::temp_dir dir;
  const auto data = dir.path() / "data";
  const std::string alice = offline_token(data, "operator");
  const std::string bob = offline_token(data, "operator");
  const std::string auditor = offline_token(data, "auditor");
  acked done;
  std::atomic<std::int64_t> next_user{1000};

  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::daemon_process daemon(daemon_binary, data);
    ASSERT_TRUE(daemon.started()) << daemon.log();
    const std::uint16_t port = daemon.port();
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 6; ++t) {
      writers.emplace_back([&, t] {
        while (!stop) {
          const std::int64_t user = next_user++;
          const std::string id = std::to_string(user);
          auto reg = post(port, alice, "/v1/admin/users", R"({"user_id":)" + id + "}", "reg-" + id);
          if (reg.status != 200) {
            continue;  // killed mid-request: not acknowledged
          }
          {
            std::lock_guard lock(done.mutex);
            done.users.insert(user);
          }
          if (t % 2 == 0) {
            continue;
          }
          auto requested = post(port, alice, "/v1/admin/manual-deposits",
                                R"({"id":"m)" + id + R"(","user_id":)" + id +
                                    R"(,"amount":"1","reference":"crash test"})",
                                "req-" + id);
          if (requested.status != 200) {
            continue;
          }
          auto approved = post(port, bob, "/v1/admin/manual-deposits/m" + id + "/approve", "{}",
                               "app-" + id);
          if (approved.status == 200) {
            std::lock_guard lock(done.mutex);
            done.deposited.insert(user);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 900));
    daemon.kill_hard();
    stop = true;
    for (auto& w : writers) {
      w.join();
    }
  }

  // Restart once more and check every acknowledged write.
  testing::daemon_process daemon(daemon_binary, data);
  ASSERT_TRUE(daemon.started()) << daemon.log();
  const std::uint16_t port = daemon.port();
  ASSERT_GT(done.users.size(), 0u);
  ASSERT_GT(done.deposited.size(), 0u);
  // Projections catch up from their last save; wait until ready with no lag.
  for (int i = 0; i < 300; ++i) {
    auto health = testing::http_request(port, "GET", "/health");
    if (health.body.find("\"lag\":0") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::int64_t user : done.users) {
    auto r = testing::http_request(port, "GET", "/v1/users/" + std::to_string(user), "",
                                   {{"Authorization", "Bearer " + auditor}});
    EXPECT_EQ(r.status, 200) << "acknowledged registration of " << user << " is missing";
  }
  for (std::int64_t user : done.deposited) {
    auto r = testing::http_request(port, "GET", "/v1/users/" + std::to_string(user) + "/balances", "",
                                   {{"Authorization", "Bearer " + auditor}});
    EXPECT_NE(r.body.find("\"available\":\"1\""), std::string::npos)
        << "acknowledged deposit to " << user << " is missing: " << r.body;
  }
  // A retried acknowledged write gets its first answer and writes nothing.
  const std::int64_t some = *done.deposited.begin();
  auto retry = post(port, bob, "/v1/admin/manual-deposits/m" + std::to_string(some) + "/approve", "{}",
                    "app-" + std::to_string(some));
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.header("idempotent-replay"), "true");
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  const std::string db = (data / "eventlog").string();
  auto verify = testing::run_command({audit_binary, "verify", "--db", db});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto check = testing::run_command({audit_binary, "check", "--db", db});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto replay = testing::run_command({audit_binary, "replay", "--db", db});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  std::printf("api crash: 5 kills, %zu registrations and %zu deposits acknowledged\n",
              done.users.size(), done.deposited.size());
}

}  // namespace
}  // namespace telepay
