// A child process for the ledger crash test: runs a real ledger on DB_DIR (resuming whatever a
// previous kill interrupted), sets up users and a channel (idempotently), then buys
// subscriptions and donates from 12 threads forever, printing "acked ID" once a purchase's
// process completed (every step durable) and "refused ID CODE" when it was refused.
//
//   ledger_crash_child DB_DIR ROUND

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <unistd.h>

#include "actors/ledger.hpp"
#include "actors/runtime.hpp"

using namespace telepay;
using namespace telepay::actors;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Reply, class Request>
result<Reply> call(caf::actor_system& system, const ledger_actor& facade, Request req) {
  caf::scoped_actor self{system};
  result<Reply> out = make_error(errc::internal, "no reply");
  self->request(facade, caf::infinite, std::move(req))
      .receive([&](result<Reply>& r) { out = std::move(r); },
               [&](caf::error&) { out = make_error(errc::internal, "request failed"); });
  return out;
}

void say(const std::string& line) {
  const std::string text = line + "\n";
  // One write(2) per line, so a kill never leaves half a line.
  if (write(STDOUT_FILENO, text.data(), text.size()) < 0) {
    std::_Exit(9);
  }
}

template <class T>
void must(const result<T>& r, const char* what, errc allowed = errc::internal) {
  if (!r && r.error().code != allowed) {
    std::fprintf(stderr, "%s failed: %s\n", what, r.error().message.c_str());
    std::_Exit(5);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB_DIR ROUND\n", argv[0]);
    return 2;
  }
  eventstore::open_options store_options;
  store_options.directory = argv[1];
  auto store = eventstore::event_store::open(store_options);
  if (!store) {
    std::fprintf(stderr, "open failed: %s\n", store.error().message.c_str());
    return 3;
  }
  runtime rt(runtime_options{});
  auto started = ledger::start(rt.system(), **store, ledger_options{});
  if (!started) {
    std::fprintf(stderr, "ledger failed: %s\n", started.error().message.c_str());
    return 4;
  }
  auto& the_ledger = **started;
  say("resumed " + std::to_string(the_ledger.recovered().processes.size() +
                                  the_ledger.recovered().transfers.size()));
  const auto facade = the_ledger.facade();
  auto& system = rt.system();
  for (int u = 1; u <= 6; ++u) {
    const std::string code = u > 1 ? domain::referral_code_for(domain::user_id(1)) : "";
    must(call<entity_reply>(system, facade, register_user_request{domain::user_id(u), "u", code, now_us()}),
         "register");
    must(call<process_reply>(system, facade,
                        deposit_request{"seed-" + std::to_string(u), domain::user_id(u),
                                        *domain::parse_amount("40", domain::asset::usdt),
                                        domain::system_account::nowpayments_clearing, "", now_us()}),
         "deposit");
  }
  domain::channel::register_channel c;
  c.owner = domain::user_id(1);
  c.title = "Crash channel";
  c.tiers = {domain::channel::tier{*domain::parse_amount("3", domain::asset::usd), 30},
             domain::channel::tier{*domain::parse_amount("5", domain::asset::usd), 60}};
  c.donations_enabled = true;
  c.strategy = domain::channel::payout_strategy::threshold;
  c.threshold = *domain::parse_amount("1000000", domain::asset::usd);  // no batches: no pending payout holds
  c.payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  must(call<entity_reply>(system, facade, channel_request{domain::channel_id(-77), c, now_us()}),
       "channel", errc::channel_exists);
  say("ready");

  const std::string round = argv[2];
  std::vector<std::thread> buyers;
  for (int t = 0; t < 12; ++t) {
    buyers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t * 7919 + std::atoi(argv[2])));
      for (int n = 0;; ++n) {
        const std::string id = "r" + round + "-t" + std::to_string(t) + "-" + std::to_string(n);
        const auto buyer = domain::user_id(1 + static_cast<std::int64_t>(random() % 6));
        const auto tier = static_cast<std::uint32_t>(random() % 3);  // 0: a donation
        purchase_request req{id, buyer, domain::channel_id(-77), tier,
                             tier == 0 ? *domain::parse_amount("5", domain::asset::usd)
                                       : domain::amount(domain::asset::usd, 0),
                             "", now_us()};
        auto r = call<process_reply>(system, facade, req);
        if (r) {
          say("acked " + id);
        } else {
          say("refused " + id + " " + std::string(errc_name(r.error().code)));
          if (r.error().code == errc::insufficient_funds) {
            // Top the buyer up so purchases keep flowing.
            (void)call<process_reply>(system, facade,
                                deposit_request{"top-" + id, buyer,
                                                *domain::parse_amount("20", domain::asset::usdt),
                                                domain::system_account::nowpayments_clearing, "",
                                                now_us()});
          }
        }
      }
    });
  }
  for (auto& b : buyers) {
    b.join();
  }
  return 0;
}
