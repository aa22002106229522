// Goal: a process step that keeps failing with a transient error is retried a bounded number of
// times, then parked as "needs attention" with what kept failing (instead of looping for ever),
// its caller is answered, and an operator's retry resumes it.
// Method: the real ledger on a RocksDB log inside a tmpfs of a few MiB (when this process may
// mount, as CI does as root), filled until the log's synced writes fail; retries shortened.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <sys/mount.h>

#include "tests/support/ledger_fixture.hpp"

namespace telepay::actors {
namespace {

using namespace telepay::domain;

amount usdt(std::string_view text) { return *parse_amount(text, asset::usdt); }
wallet_key user_wallet(std::int64_t id) { return {wallet_owner::of(user_id(id)), asset::usdt}; }

TEST(ProcessAttention, AStepThatKeepsFailingIsParkedNotRetriedForEver) {
  testing::temp_dir dir;
  const auto disk = dir.path() / "small";
  std::filesystem::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=48m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root, as in CI)";
  }
  struct unmount {
    std::filesystem::path path;
    ~unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount_at_end{disk};
  {
    ledger_options options;
    options.flows.retry_attempts_max = 3;
    options.flows.retry_first = std::chrono::milliseconds(1);
    options.flows.retry_max = std::chrono::milliseconds(5);
    testing::ledger_fixture fx(options, disk / "eventlog");
    for (std::int64_t user : {7, 8}) {
      auto registered = fx.call<entity_reply>(
          register_user_request{user_id(user), "u" + std::to_string(user), "", testing::test_now_us()});
      ASSERT_TRUE(registered.has_value()) << registered.error().message;
    }
    auto funded = fx.call<process_reply>(deposit_request{"d1", user_id(7), usdt("1000"),
                                                         system_account::nowpayments_clearing, "ref",
                                                         testing::test_now_us()});
    ASSERT_TRUE(funded.has_value()) << funded.error().message;
    {
      std::ofstream filler(disk / "filler", std::ios::binary);
      const std::string block(1024 * 1024, 'x');
      while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
      }
    }
    std::filesystem::resize_file(disk / "filler", std::filesystem::file_size(disk / "filler") - 256 * 1024);
    result<process_reply> last = make_error(errc::internal, "not sent");
    int sent = 0;
    for (; sent < 5000; ++sent) {
      last = fx.call<process_reply>(transfer_request{"t" + std::to_string(sent), user_wallet(7), user_wallet(8),
                                                     usdt("0.01"), testing::test_now_us()},
                                    std::chrono::seconds(30));
      if (!last && last.error().message.find("needs attention") != std::string::npos) break;
    }
    ASSERT_FALSE(last.has_value()) << "the disk never filled after " << sent << " transfers";
    EXPECT_EQ(last.code(), errc::process_failed) << last.error().message;
    const auto parked = fx.ledger().attention()->list();
    ASSERT_FALSE(parked.empty());
    const auto& p = parked.back();
    EXPECT_EQ(p.kind, "transfer");
    EXPECT_EQ(p.attempts, 3);
    EXPECT_EQ(p.last_error.code, errc::storage_failed);
    EXPECT_FALSE(p.step.empty());
    // A retry takes it off the board and tries again (here: parked again, the disk is full).
    EXPECT_TRUE(fx.ledger().attention()->retry(p.kind, p.id));
    EXPECT_FALSE(fx.ledger().attention()->retry(p.kind, p.id)) << "a process is retried once per parking";
    for (int i = 0; i < 200 && fx.ledger().attention()->size() < parked.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(fx.ledger().attention()->size(), parked.size()) << "still failing: parked again";
    EXPECT_GE(fx.ledger().attention()->parked_total(), parked.size() + 1);
  }
}

}  // namespace
}  // namespace telepay::actors
