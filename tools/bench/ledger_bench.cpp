// telepay-bench ledger. For each user count: a fresh event log, every user's USDT wallet funded
// (one credit each, one balancing debit of NOWPayments clearing), then for each mix a closed
// loop of `in_flight` transfers of 0.01 USDT for `seconds`:
//   uniform  random user -> random other user
//   hot      half of the transfers go to one system wallet (platform revenue), half as uniform
// Each transfer is the full process: hold the source, credit the target, post the hold, each
// step durable before the next, the reply only after the post is durable.

#include "tools/bench/ledger_bench.hpp"

#include <cstdio>
#include <atomic>
#include <deque>
#include <future>
#include <thread>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

#include "actors/ledger.hpp"
#include "actors/runtime.hpp"
#include "eventstore/event_store.hpp"
#include "projections/host.hpp"
#include "tools/bench/postgres_baseline.hpp"
#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

using namespace telepay::actors;
using clock_type = std::chrono::steady_clock;

std::uint64_t current_rss_kb() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

std::uint64_t peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss);
}

domain::wallet_key user_wallet(std::size_t i) {
  return {domain::wallet_owner::of(domain::user_id(static_cast<std::int64_t>(i))), domain::asset::usdt};
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// What a driver run produced.
struct drive_outcome {
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  double seconds = 0;
  std::vector<std::uint32_t> latencies;
  std::string first_error;
};

/// Issues request `n` and calls `done(ok, error text)` when it completes.
using issue_fn = std::function<void(caf::event_based_actor*, std::uint64_t,
                                    std::function<void(bool, std::string)>)>;

/// A driver actor: keeps `in_flight` requests outstanding until `total` were issued (if non-zero)
/// or `seconds` passed, then reports.
drive_outcome drive(caf::actor_system& system, std::size_t in_flight, std::uint64_t total,
                    double seconds, issue_fn issue) {
  struct state {
    std::uint64_t next = 0;
    std::size_t outstanding = 0;
    drive_outcome out;
    clock_type::time_point start;
    clock_type::time_point deadline;
    std::promise<drive_outcome> finished;
  };
  auto st = std::make_shared<state>();
  auto future = st->finished.get_future();
  // Function-based actors take at least one argument (see tests/actors/runtime_test.cpp).
  system.spawn([st, in_flight, total, seconds, issue](caf::event_based_actor* self, int) {
    auto launch = std::make_shared<std::function<void()>>();
    *launch = [self, st, total, issue, launch] {
      const std::uint64_t n = st->next++;
      st->outstanding += 1;
      const auto issued = clock_type::now();
      issue(self, n, [self, st, issued, total, launch](bool ok, std::string why) {
        const auto now = clock_type::now();
        st->outstanding -= 1;
        if (ok) {
          st->out.completed += 1;
          st->out.latencies.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(now - issued).count()));
        } else {
          st->out.failed += 1;
          if (st->out.first_error.empty()) {
            st->out.first_error = std::move(why);
          }
        }
        const bool more = total != 0 ? st->next < total : now < st->deadline;
        if (more) {
          (*launch)();
        } else if (st->outstanding == 0) {
          st->out.seconds = std::chrono::duration<double>(now - st->start).count();
          st->finished.set_value(std::move(st->out));
          *launch = nullptr;
          self->quit();
        }
      });
    };
    st->start = clock_type::now();
    st->deadline = st->start + std::chrono::duration_cast<clock_type::duration>(
                                   std::chrono::duration<double>(seconds));
    const std::uint64_t first = total != 0 ? std::min<std::uint64_t>(total, in_flight) : in_flight;
    for (std::uint64_t i = 0; i < first; ++i) {
      (*launch)();
    }
    return caf::behavior{[](int) {}};
  }, 0);
  return future.get();
}

issue_fn transfer_issuer(ledger_actor facade, std::size_t users, bool hot, std::uint64_t salt) {
  auto random = std::make_shared<std::mt19937_64>(salt);
  const auto cent = domain::amount(domain::asset::usdt, pow10_u128(16));
  const auto hot_wallet = domain::wallet_key{
      domain::wallet_owner::of(domain::system_account::platform_revenue), domain::asset::usdt};
  return [facade, users, hot, salt, random, cent, hot_wallet](
             caf::event_based_actor* self, std::uint64_t n,
             std::function<void(bool, std::string)> done) {
    std::uniform_int_distribution<std::size_t> pick(1, users);
    const std::size_t from = pick(*random);
    std::size_t to = pick(*random);
    if (to == from) {
      to = from % users + 1;
    }
    const bool to_hot = hot && (n % 2 == 0);
    transfer_request req{"b" + std::to_string(salt) + "-" + std::to_string(n), user_wallet(from),
                         to_hot ? hot_wallet : user_wallet(to), cent, now_us()};
    self->request(facade, caf::infinite, std::move(req))
        .then([done](result<process_reply>& r) { done(r.has_value(), r ? "" : r.error().message); },
              [done](caf::error&) { done(false, "actor request failed"); });
  };
}

issue_fn seed_issuer(ledger_actor facade, std::string prefix = "seed-") {
  const auto funds = domain::amount(domain::asset::usdt, pow10_u128(18) * 1'000'000);
  return [facade, funds, prefix](caf::event_based_actor* self, std::uint64_t n,
                         std::function<void(bool, std::string)> done) {
    wallet_request req{user_wallet(n + 1),
                       domain::wallet::credit{domain::transfer_id(prefix + std::to_string(n + 1)),
                                              funds, "seed", "wallet-sys:nowpayments_clearing-USDT"},
                       command_meta{now_us(), "seed", "credit"}};
    self->request(facade, caf::infinite, std::move(req))
        .then([done](result<entity_reply>& r) { done(r.has_value(), r ? "" : r.error().message); },
              [done](caf::error&) { done(false, "actor request failed"); });
  };
}

/// Funds `users` wallets and balances them against NOWPayments clearing.
std::string seed(caf::actor_system& system, const ledger_actor& facade, std::size_t users,
                 std::size_t in_flight) {
  auto seeded = drive(system, in_flight, users, 0, seed_issuer(facade));
  if (seeded.failed != 0) {
    return "seeding failed: " + seeded.first_error;
  }
  caf::scoped_actor self{system};
  const auto total =
      domain::amount(domain::asset::usdt, pow10_u128(18) * 1'000'000 * users);
  std::string error;
  self->request(facade, std::chrono::seconds(60),
                wallet_request{{domain::wallet_owner::of(domain::system_account::nowpayments_clearing),
                                domain::asset::usdt},
                               domain::wallet::debit{domain::transfer_id("seed-total"), total, "seed",
                                                     "bench"},
                               command_meta{now_us(), "seed", "debit"}})
      .receive([&](result<entity_reply>& r) { error = r ? "" : r.error().message; },
               [&](caf::error&) { error = "seed debit failed"; });
  return error;
}

/// Follows the projections beside a run: every 20 ms notes the log's head, and when the
/// projections have applied up to a noted head, how long that took. The maximum is the lag.
class lag_sampler {
 public:
  lag_sampler(eventstore::event_store& store, const projections::projection_host& host)
      : thread_([this, &store, &host] {
          std::deque<std::pair<clock_type::time_point, std::uint64_t>> noted;
          while (!stop_) {
            const auto now = clock_type::now();
            noted.emplace_back(now, store.head_seq());
            const std::uint64_t at = host.position();
            while (!noted.empty() && noted.front().second <= at) {
              max_lag_ = std::max(max_lag_, std::chrono::duration<double>(now - noted.front().first).count());
              noted.pop_front();
            }
            if (!noted.empty()) {
              max_lag_ = std::max(max_lag_, std::chrono::duration<double>(now - noted.front().first).count());
            }
            max_events_ = std::max(max_events_, store.head_seq() - std::min(store.head_seq(), at));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~lag_sampler() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  double max_lag_seconds() const { return max_lag_; }
  std::uint64_t max_lag_events() const { return max_events_; }

 private:
  std::atomic<bool> stop_{false};
  double max_lag_ = 0;
  std::uint64_t max_events_ = 0;
  std::thread thread_;
};

std::string run_users(const ledger_bench_options& options, std::size_t users,
                      ledger_bench_result& out) {
  const auto dir = options.directory / ("ledger-" + std::to_string(users));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  eventstore::open_options store_options;
  store_options.directory = dir;
  auto store = eventstore::event_store::open(store_options);
  if (!store) {
    return store.error().message;
  }
  actors::runtime_options ro;
  ro.scheduler_policy = options.scheduler_policy;
  auto rt = std::make_unique<actors::runtime>(ro);
  ledger_options lo;
  lo.wallet_shards = 4;
  lo.wallets.live_max = std::max<std::size_t>(1, options.live_max / lo.wallet_shards);
  auto started = ledger::start(rt->system(), **store, lo);
  if (!started) {
    return started.error().message;
  }
  auto ledger = std::move(started.value());
  std::fprintf(stderr, "ledger: seeding %zu wallets...\n", users);
  const auto seed_start = clock_type::now();
  if (auto failed = seed(rt->system(), ledger->facade(), users, options.in_flight);
      !failed.empty()) {
    return failed;
  }
  const double seed_seconds = seconds_since(seed_start);
  // The server's read models follow the log during the runs, as they do in telepayd.
  auto host = projections::projection_host::start(**store, projections::host_options{});
  if (!host) {
    return host.error().message;
  }
  (*host)->wait_for((*store)->head_seq(), std::chrono::seconds(600));
  std::uint64_t salt = 1;
  for (const std::string& mix : options.mixes) {
    std::fprintf(stderr, "ledger: %zu users, %s mix, %.0f s...\n", users, mix.c_str(), options.seconds);
    lag_sampler lag(**store, **host);
    auto run = drive(rt->system(), options.in_flight, 0, options.seconds,
                     transfer_issuer(ledger->facade(), users, mix == "hot", salt++));
    lag.finish();
    ledger_figure f;
    f.users = users;
    f.mix = mix;
    f.transfers = run.completed;
    f.failures = run.failed;
    f.per_second = static_cast<double>(run.completed) / std::max(run.seconds, 1e-9);
    const auto lat = summarize(run.latencies);
    f.p50_us = lat.p50_us;
    f.p99_us = lat.p99_us;
    f.seed_seconds = seed_seconds;
    const auto stats = ledger->wallet_stats(rt->system());
    f.live_actors = stats.live;
    f.passivated = stats.passivated;
    f.rss_kb = current_rss_kb();
    f.projection_lag_seconds = lag.max_lag_seconds();
    f.projection_lag_events = lag.max_lag_events();
    out.ledger.push_back(f);
    if (run.failed != 0) {
      std::fprintf(stderr, "ledger: %llu transfers failed, first: %s\n",
                   static_cast<unsigned long long>(run.failed), run.first_error.c_str());
    }
  }
  (*host)->stop();
  ledger.reset();
  rt.reset();
  host->reset();
  store->reset();
  if (!options.keep) {
    std::filesystem::remove_all(dir, ec);
  }
  return {};
}

}  // namespace

ledger_bench_result run_ledger_bench(const ledger_bench_options& options) {
  ledger_bench_result out;
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  for (std::size_t users : options.user_counts) {
    if (auto failed = run_users(options, users, out); !failed.empty()) {
      out.error = failed;
      return out;
    }
    if (options.postgres) {
      auto pg = run_postgres_baseline(options.directory, users, options.mixes, options.seconds,
                                      options.postgres_clients);
      if (!pg.note.empty()) {
        out.postgres_note = pg.note;
      }
      out.postgres.insert(out.postgres.end(), pg.figures.begin(), pg.figures.end());
    }
  }
  out.peak_rss_kb = peak_rss_kb();
  return out;
}

}  // namespace telepay::tools
