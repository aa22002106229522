#include "tools/bench/seed.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>

#include "domain/user.hpp"
#include "domain/wallet.hpp"

namespace telepay::tools {
namespace {

/// Keeps up to `max_in_flight` appends outstanding and records the first failure.
class pump {
 public:
  pump(eventstore::event_store& store, std::size_t max_in_flight) : store_(store), max_(max_in_flight) {}

  template <class Event>
  void append(std::string stream, const Event& event, std::string key = "") {
    const auto encoded = domain::encode_one(event);
    eventstore::append_request request;
    request.stream = std::move(stream);
    request.events.push_back(eventstore::new_event{encoded.type, encoded.version, encoded.payload});
    request.idempotency_key = std::move(key);
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return in_flight_ < max_; });
      ++in_flight_;
    }
    store_.append_async(std::move(request), [this](result<eventstore::append_result> r) {
      std::lock_guard lock(mutex_);
      --in_flight_;
      if (!r && error_.empty()) {
        error_ = r.error().message;
      }
      ++done_;
      cv_.notify_all();
    });
  }

  std::string drain() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return error_;
  }

  std::uint64_t done() {
    std::lock_guard lock(mutex_);
    return done_;
  }

 private:
  eventstore::event_store& store_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t in_flight_ = 0;
  std::uint64_t done_ = 0;
  std::string error_;
};

domain::wallet_key user_wallet(std::uint64_t id) {
  return {domain::wallet_owner::of(domain::user_id(static_cast<std::int64_t>(id))), domain::asset::usdt};
}

}  // namespace

seed_result seed_log(eventstore::event_store& store, const seed_options& options,
                     const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  seed_result out;
  pump p(store, 8192);
  const auto deposit = domain::amount(domain::asset::usdt, pow10_u128(18) * 1000);
  const auto cent = domain::amount(domain::asset::usdt, pow10_u128(16));
  const std::string clearing = "wallet-sys:nowpayments_clearing-USDT";
  const std::uint64_t total = options.users * 3 + 1 + options.transfers * 3;
  std::mt19937_64 random(options.seed);
  for (std::uint64_t u = 1; u <= options.users; ++u) {
    const domain::user_id id(static_cast<std::int64_t>(u));
    p.append(domain::user_stream(id), domain::user::registered{id, "user" + std::to_string(u),
                                                               domain::referral_code_for(id)});
    if (u > 1) {
      p.append(domain::user_stream(id), domain::user::referrer_linked{id, domain::user_id(static_cast<std::int64_t>(1 + random() % (u - 1)))});
    } else {
      p.append(domain::user_stream(id), domain::user::banned{id, "seed", "bench"});
    }
    p.append(user_wallet(u).stream(),
             domain::wallet::credited{domain::transfer_id("seed-" + std::to_string(u)), deposit,
                                      "deposit", clearing});
    if (progress && u % 100'000 == 0) {
      progress(p.done(), total);
    }
  }
  p.append(clearing, domain::wallet::debited{domain::transfer_id("seed-all"),
                                             domain::amount(domain::asset::usdt, deposit.units() * options.users),
                                             "deposit", "bench"});
  for (std::uint64_t t = 0; t < options.transfers; ++t) {
    const std::uint64_t from = 1 + random() % options.users;
    std::uint64_t to = 1 + random() % options.users;
    if (to == from) {
      to = from % options.users + 1;
    }
    const domain::transfer_id tid("x" + std::to_string(t));
    p.append(user_wallet(from).stream(), domain::wallet::held{tid, cent, user_wallet(to).stream(), 4'000'000'000'000'000});
    p.append(user_wallet(to).stream(), domain::wallet::credited{tid, cent, "transfer", user_wallet(from).stream()});
    p.append(user_wallet(from).stream(), domain::wallet::hold_posted{tid, cent});
    if (progress && t % 100'000 == 0) {
      progress(p.done(), total);
    }
  }
  out.error = p.drain();
  out.events = p.done();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace telepay::tools
