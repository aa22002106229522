// Goal: the defects of the hostile-input review, each reproduced against the real telepayd:
// a wrong JSON type in an optional text field, idempotency keys that crossed routes, a
// concurrent duplicate with another body, a transient failure remembered as a key's answer,
// /health ready after the log latched a failed write (and the library text in the 503), a
// handler that never answers, one client holding every connection, unauthenticated floods,
// secrets left in the environment, a world-readable data directory, a hot key file others can
// read, and a --port-file that cannot be written.
// Method: telepayd on loopback with a plain socket client; a tmpfs of a few MiB (when the test
// may mount, as CI does as root) to fill the disk under the log.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/daemon.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_field.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace telepay {
namespace {

const std::string daemon_binary = TELEPAYD_BIN;

std::string create_token(const std::filesystem::path& data, const std::string& role) {
  auto r = testing::run_command({daemon_binary, "token", "create", "--data", data.string(), "--role", role,
                                 "--rate", "100000", "--burst", "100000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find_first_of("\r\n"));
}

class Hardening : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& environment = {}, const std::string& toml = "") {
    if (admin.empty()) {
      admin = create_token(data(), "admin");
    }
    std::vector<std::string> args;
    if (!toml.empty()) {
      std::ofstream(dir.path() / "telepay.toml") << toml;
      args = {"--config", (dir.path() / "telepay.toml").string()};
    }
    daemon = std::make_unique<testing::daemon_process>(daemon_binary, data(), args, environment);
    ASSERT_TRUE(daemon->started()) << daemon->log();
  }
  std::filesystem::path data() const { return dir.path() / "data"; }

  testing::http_reply post(const std::string& target, const std::string& body, const std::string& key,
                           const std::string& token = "") {
    return testing::http_request(daemon->port(), "POST", target, body,
                                 {{"Authorization", "Bearer " + (token.empty() ? admin : token)},
                                  {"Idempotency-Key", key}});
  }
  testing::http_reply get(const std::string& target) {
    return testing::http_request(daemon->port(), "GET", target, "", {{"Authorization", "Bearer " + admin}});
  }
  std::string field(const std::string& json, std::initializer_list<std::string> path) {
    return testing::json_field(json, path);
  }
  std::string new_token(const std::string& role, const std::string& key) {
    auto r = post("/v1/admin/tokens", R"({"role":")" + role + R"(","rate_per_second":1000,"burst":1000})", key);
    EXPECT_EQ(r.status, 201) << r.body;
    return field(r.body, {"token"});
  }

  testing::temp_dir dir;
  std::string admin;
  std::unique_ptr<testing::daemon_process> daemon;
};

TEST_F(Hardening, AWrongTypeInAnOptionalTextFieldIsRefusedAndTheServerStaysUp) {
  start();
  for (const char* body : {R"({"user_id":43,"username":1})", R"({"user_id":43,"referral_code":[]})"}) {
    auto r = post("/v1/admin/users", body, std::string("wrong-type-") + body[20]);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(field(r.body, {"message"}).find("must be a string"), std::string::npos) << r.body;
  }
  auto purchase = post("/v1/admin/purchases",
                       R"({"purchase_id":"p1","user_id":1,"channel_id":-1001,"tier":1,"coupon":1})", "coupon-1");
  EXPECT_EQ(purchase.status, 400) << purchase.body;
  EXPECT_NE(purchase.body.find("coupon"), std::string::npos);
  auto label = post("/v1/admin/tokens", R"({"role":"auditor","label":[]})", "label-1");
  EXPECT_EQ(label.status, 400) << label.body;
  EXPECT_NE(label.body.find("label"), std::string::npos);
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 200) << daemon->log();
}

TEST_F(Hardening, AnIdempotencyKeyIsScopedToItsRoute) {
  start();
  const std::string first = new_token("auditor", "mint-1");
  const std::string second = new_token("auditor", "mint-2");
  const std::string first_id = first.substr(3, 12);
  const std::string second_id = second.substr(3, 12);
  // Empty bodies on both routes: before, the second revocation replayed the first's answer.
  auto one = post("/v1/admin/tokens/" + first_id + "/revoke", "", "same-key");
  ASSERT_EQ(one.status, 200) << one.body;
  auto two = post("/v1/admin/tokens/" + second_id + "/revoke", "", "same-key");
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.header("idempotent-replay"), "") << "another route is another request";
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/v1/channels", "", {{"Authorization", "Bearer " + second}})
                .status,
            401)
      << "the second token is revoked too";
  // A real retry still replays, and says what it answers for.
  auto again = post("/v1/admin/tokens/" + second_id + "/revoke", "", "same-key");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("idempotent-replay"), "true");
  EXPECT_EQ(again.header("idempotent-replay-of"), "POST /v1/admin/tokens/" + second_id + "/revoke");
}

TEST_F(Hardening, AConcurrentDuplicateWithAnotherBodyGets422) {
  start();
  int overlapped_or_not = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "race-" + std::to_string(i);
    const std::string id = std::to_string(1000 + i);
    auto first = std::async(std::launch::async, [&] {
      return post("/v1/admin/users", R"({"user_id":)" + id + R"(,"username":"a"})", key);
    });
    auto second = post("/v1/admin/users", R"({"user_id":)" + id + R"(,"username":"b"})", key);
    auto first_reply = first.get();
    // Whichever ran first, the other body under the same key is refused, never answered with
    // the other's result.
    const bool a_won = first_reply.status == 200;
    const auto& loser = a_won ? second : first_reply;
    EXPECT_TRUE(a_won || second.status == 200) << first_reply.body << " / " << second.body;
    EXPECT_EQ(loser.status, 422) << loser.body;
    EXPECT_EQ(field(loser.body, {"error"}), "idempotency_key_reused_with_different_payload");
    ++overlapped_or_not;
  }
  EXPECT_EQ(overlapped_or_not, 20);
}

TEST_F(Hardening, ATransientFailureIsNotRememberedAsTheKeysAnswer) {
  start();  // NOWPayments is not configured: invoice creation answers 503 not_configured
  const std::string body = R"({"user_id":42,"channel_id":-1001,"tier":1})";
  auto first = post("/v1/admin/invoices", body, "invoice-1");
  ASSERT_EQ(first.status, 503) << first.body;
  auto retry = post("/v1/admin/invoices", body, "invoice-1");
  EXPECT_EQ(retry.status, 503);
  EXPECT_EQ(retry.header("idempotent-replay"), "") << "a 503 ran again, it was not replayed";
  auto audit = get("/v1/audit-log");
  EXPECT_EQ(audit.body.find("invoice-1"), std::string::npos) << "transient answers are not recorded";
}

// Issue 13: a token could be revoked only over the API, by another admin token; a leaked
// token of the only admin could not be shut out. `telepayd token revoke` records the revocation
// in the stopped server's log; the restarted server refuses the token.
TEST_F(Hardening, ATokenIsRevokedOfflineAndRefusedAfterTheRestart) {
  start();
  const std::string auditor = new_token("auditor", "mint-auditor");
  const auto authorised = [&](const std::string& token) {
    return testing::http_request(daemon->port(), "GET", "/v1/channels", "", {{"Authorization", "Bearer " + token}})
        .status;
  };
  for (int i = 0; i < 200 && authorised(auditor) != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(authorised(auditor), 200);
  const std::string id = auditor.substr(3, 12);
  auto busy = testing::run_command({daemon_binary, "token", "revoke", "--data", data().string(), "--id", id});
  EXPECT_EQ(busy.exit_code, 1) << "the running server holds the log";
  EXPECT_NE(busy.err.find("POST /v1/admin/tokens/{id}/revoke"), std::string::npos) << busy.err;
  EXPECT_EQ(daemon->stop(), 0);
  auto bad = testing::run_command({daemon_binary, "token", "revoke", "--data", data().string(), "--id", "no such!"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto unknown = testing::run_command({daemon_binary, "token", "revoke", "--data", data().string(), "--id", "AAAAAAAAAAAA"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_NE(unknown.err.find("no token"), std::string::npos) << unknown.err;
  auto revoked = testing::run_command({daemon_binary, "token", "revoke", "--data", data().string(), "--id", id});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_NE(revoked.err.find("revoked token " + id), std::string::npos) << revoked.err;
  auto again = testing::run_command({daemon_binary, "token", "revoke", "--data", data().string(), "--id", id});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;
  daemon = std::make_unique<testing::daemon_process>(daemon_binary, data());
  ASSERT_TRUE(daemon->started()) << daemon->log();
  EXPECT_EQ(authorised(auditor), 401);
  EXPECT_EQ(authorised(admin), 200) << "the other tokens still work";
  auto events = get("/v1/events?from=1&limit=1000");
  EXPECT_NE(events.body.find("token.revoked"), std::string::npos) << events.body;
}

TEST_F(Hardening, InputRefusedBeforeItRanIsNotRecorded) {
  start();
  auto head = [&] { return field(testing::http_request(daemon->port(), "GET", "/health").body, {"store", "head_seq"}); };
  const std::string before = head();
  auto r = testing::http_request(daemon->port(), "POST", "/v1/admin/users/\xff/unban", "",
                                 {{"Authorization", "Bearer " + admin}, {"Idempotency-Key", "raw-byte"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(post("/v1/admin/users/abc/unban", "", "not-a-number").status, 400);
  EXPECT_EQ(post("/v1/admin/users", "{\"user_id\":", "broken-json").status, 400);
  EXPECT_EQ(head(), before) << "a refused request writes nothing, not even its answer";
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 200);
}

TEST_F(Hardening, ServerErrorsCarryARequestIdAndNoDetail) {
  start();
  auto r = post("/v1/admin/invoices", R"({"user_id":42,"channel_id":-1001,"tier":1})", "np-off");
  ASSERT_EQ(r.status, 503);
  EXPECT_FALSE(r.header("x-request-id").empty());
  auto ok = get("/v1/channels");
  EXPECT_FALSE(ok.header("x-request-id").empty()) << "every answer names its request";
  EXPECT_NE(ok.header("x-request-id"), r.header("x-request-id"));
}

/// Mounts a tmpfs of `bytes` at `path`; false where this process may not mount (not root).
bool mount_small_disk(const std::filesystem::path& path, std::size_t bytes) {
  std::filesystem::create_directories(path);
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
  return ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

TEST_F(Hardening, HealthIsNotReadyOnceTheLogLatchedAFailedWriteAndErrorsCarryNoPaths) {
  const auto disk = dir.path() / "small";
  if (!mount_small_disk(disk, 48 * 1024 * 1024)) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root, as in CI)";
  }
  struct unmount {
    std::filesystem::path path;
    ~unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount_at_end{disk};
  admin = create_token(disk / "data", "admin");
  daemon = std::make_unique<testing::daemon_process>(daemon_binary, disk / "data");
  ASSERT_TRUE(daemon->started()) << daemon->log();
  ASSERT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 200);
  {
    // Fill the disk but a little; then appends grow the log until one synced write fails.
    std::ofstream filler(disk / "filler", std::ios::binary);
    const std::string block(1024 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  std::filesystem::resize_file(disk / "filler", std::filesystem::file_size(disk / "filler") - 256 * 1024);
  testing::http_reply failed;
  const std::string reason(60, 'r');
  for (int i = 0; i < 2000 && failed.status != 503; ++i) {
    failed = testing::http_request(daemon->port(), "POST", "/v1/admin/users",
                                   R"({"user_id":)" + std::to_string(10 + i) + R"(,"username":")" + reason + "\"}",
                                   {{"Authorization", "Bearer " + admin}, {"Idempotency-Key", "fill-" + std::to_string(i)}});
  }
  ASSERT_EQ(failed.status, 503) << "the disk never filled: " << failed.body;
  EXPECT_EQ(failed.body.find('/'), std::string::npos) << "no file paths in the answer: " << failed.body;
  EXPECT_EQ(failed.body.find("IO error"), std::string::npos) << "no library text: " << failed.body;
  EXPECT_NE(failed.body.find("request_id"), std::string::npos) << failed.body;
  auto health = testing::http_request(daemon->port(), "GET", "/health");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(field(health.body, {"ready"}), "false");
  EXPECT_EQ(field(health.body, {"store", "writable"}), "false");
  EXPECT_NE(daemon->log().find("event log refuses writes until restart"), std::string::npos)
      << "the detail is in the operator's log";
  daemon->kill_hard();
}

/// A TCP listener that accepts nothing: connections complete in the backlog and hang.
class silent_listener {
 public:
  silent_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 16);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~silent_listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(Hardening, AHandlerThatNeverAnswersGetsA504WithItsRequestId) {
  silent_listener upstream;
  start({"TELEPAY_NOWPAYMENTS_API_KEY=k", "TELEPAY_NOWPAYMENTS_IPN_SECRET=s",
         "TELEPAY_NOWPAYMENTS_API_URL=http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1",
         "TELEPAY_HTTP_REQUEST_DEADLINE_MS=700"});
  ASSERT_EQ(post("/v1/admin/users", R"({"user_id":42})", "u42").status, 200);
  ASSERT_EQ(post("/v1/admin/channels",
                 R"({"channel_id":-1001,"owner_id":42,"title":"T","tiers":[{"price":"9.99","days":30}],)"
                 R"("payout_strategy":"instant","payout_address":"0x7F31abEa73053A3e049Eaa0f8E73d351DA173229"})",
                 "c1")
                .status,
            200);
  const auto started = std::chrono::steady_clock::now();
  auto r = post("/v1/admin/invoices", R"({"user_id":42,"channel_id":-1001,"tier":1})", "hangs");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(field(r.body, {"error"}), "deadline_exceeded");
  EXPECT_EQ(field(r.body, {"request_id"}), r.header("x-request-id"));
  EXPECT_LT(took, std::chrono::seconds(5)) << "answered at the deadline, not when the upstream gave up";
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 200);
}

/// An open connection that sends nothing.
struct idle_connection {
  explicit idle_connection(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~idle_connection() { ::close(fd); }
  /// Whether the server closed it (read returns 0 within the time).
  bool closed_by_server(int timeout_ms) const {
    timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char byte = 0;
    return ::recv(fd, &byte, 1, 0) == 0;
  }
  int fd = -1;
  bool connected = false;
};

TEST_F(Hardening, OneClientCannotHoldEveryConnection) {
  start({}, "[http]\nconnections_per_address_max = 4\n");
  std::vector<std::unique_ptr<idle_connection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<idle_connection>(daemon->port()));
    ASSERT_TRUE(held.back()->connected);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  idle_connection fifth(daemon->port());
  EXPECT_TRUE(fifth.closed_by_server(2000)) << "over the per-address cap: closed at once";
  EXPECT_FALSE(held.front()->closed_by_server(300)) << "the first four stay open";
  held.pop_back();  // one slot free again
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 200);
}

TEST_F(Hardening, UnauthenticatedRequestsAreRateLimitedPerAddress) {
  start({}, "[http]\nanonymous_rate_per_second = 1\nanonymous_burst = 5\n");
  int limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = testing::http_request(daemon->port(), "GET", "/v1/channels", "", {{"Authorization", "Bearer tp_bad"}});
    if (r.status == 429) {
      ++limited;
      EXPECT_FALSE(r.header("retry-after").empty());
    } else {
      EXPECT_EQ(r.status, 401);
    }
  }
  EXPECT_GE(limited, 2) << "guessing tokens is limited like any anonymous request";
  EXPECT_EQ(testing::http_request(daemon->port(), "GET", "/health").status, 429) << "so is /health";
  EXPECT_EQ(get("/v1/channels").status, 200) << "a valid token is not limited by the anonymous bucket";
}

TEST_F(Hardening, AWebhookListenerServesOnlyWebhooks) {
  start({"TELEPAY_NOWPAYMENTS_API_KEY=k", "TELEPAY_NOWPAYMENTS_IPN_SECRET=s"},
        "[http]\nwebhook_listen = \"127.0.0.1:0\"\n");
  const auto port = testing::wait_port_file(data() / "telepayd.port.webhooks", 5000);
  ASSERT_NE(port, 0) << daemon->log();
  EXPECT_EQ(testing::http_request(port, "GET", "/v1/channels", "", {{"Authorization", "Bearer " + admin}}).status, 404)
      << "the operator API is not on the public listener";
  EXPECT_EQ(testing::http_request(port, "POST", "/v1/webhooks/nowpayments", "{}").status, 401)
      << "the IPN endpoint is (and wants its signature)";
  EXPECT_EQ(testing::http_request(port, "GET", "/health").status, 200);
}

TEST_F(Hardening, SecretsAreRemovedFromTheEnvironmentAndTheDataDirectoryIsPrivate) {
  std::filesystem::create_directories(data());
  std::filesystem::permissions(data(), std::filesystem::perms::all);  // as an umask 0 would leave it
  start({"TELEPAY_NOWPAYMENTS_API_KEY=np-secret-key-4711", "TELEPAY_NOWPAYMENTS_IPN_SECRET=ipn-secret-4711"});
  std::ifstream environ("/proc/" + std::to_string(daemon->pid()) + "/environ", std::ios::binary);
  std::stringstream text;
  text << environ.rdbuf();
  EXPECT_EQ(text.str().find("np-secret-key-4711"), std::string::npos) << "the API key left the environment";
  EXPECT_EQ(text.str().find("ipn-secret-4711"), std::string::npos);
  EXPECT_EQ(text.str().find("TELEPAY_NOWPAYMENTS_API_KEY"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(data().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u) << "data/ is the owner's only";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data() / "eventlog")) {
    ASSERT_EQ(::stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 077, 0u) << entry.path() << " is readable by others";
  }
}

TEST_F(Hardening, AHotKeyFileOthersCanReadIsRefused) {
  const auto key_file = dir.path() / "hot.key";
  std::ofstream(key_file) << "0x0bca2c4f0fbab0c86d82054a11f28b2ea56d268139d1ce5fb544f4bed04ec9db\n";
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                             std::filesystem::perms::others_read);
  testing::daemon_process refused(daemon_binary, data(), {},
                                  {"TELEPAY_CHAIN_RPC_URL=http://127.0.0.1:9", "TELEPAY_CHAIN_HOT_KEY_FILE=" + key_file.string()});
  EXPECT_EQ(refused.wait_exit(10000), 2) << refused.log();
  EXPECT_NE(refused.log().find("chmod 600"), std::string::npos) << refused.log();

  // A path that is not a key file: a FIFO would block the start for ever, a large file would be
  // read whole. Both are refused by name.
  const auto fifo = dir.path() / "hot.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto large = dir.path() / "large.key";
  std::ofstream(large) << std::string(4096, '0');
  std::filesystem::permissions(large, std::filesystem::perms::owner_read);
  const std::pair<std::filesystem::path, std::string> wrong[] = {{fifo, "is not a regular file"},
                                                                 {large, "is larger than a key"}};
  for (const auto& [path, expected] : wrong) {
    testing::daemon_process not_a_key(daemon_binary, dir.path() / ("data-" + path.filename().string()), {},
                                      {"TELEPAY_CHAIN_RPC_URL=http://127.0.0.1:9", "TELEPAY_CHAIN_HOT_KEY_FILE=" + path.string()});
    EXPECT_EQ(not_a_key.wait_exit(10000), 2) << not_a_key.log();
    EXPECT_NE(not_a_key.log().find(expected), std::string::npos) << not_a_key.log();
  }
}

TEST_F(Hardening, APortFileThatCannotBeWrittenStopsCleanly) {
  admin = create_token(data(), "admin");
  auto r = testing::run_command({daemon_binary, "--data", data().string(), "--listen", "127.0.0.1:0", "--port-file",
                                 (dir.path() / "no-such-dir" / "port").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot write --port-file"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace telepay
