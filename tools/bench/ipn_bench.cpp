#include "tools/bench/ipn_bench.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/client.hpp"
#include "actors/ledger.hpp"
#include "actors/reads.hpp"
#include "actors/runtime.hpp"
#include "gateways/http/router.hpp"
#include "gateways/http/server.hpp"
#include "gateways/nowpayments/codec.hpp"
#include "gateways/nowpayments/service.hpp"
#include "projections/host.hpp"
#include "tools/bench/loopback.hpp"
#include "tools/bench/stats.hpp"

namespace telepay::tools {
namespace {

constexpr std::string_view secret = "bench_ipn_secret";
constexpr std::int64_t channel = -1009000;


std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// One signed IPN as raw HTTP/1.1 bytes (keep-alive).
std::string ipn_request(std::uint64_t payment_id, const std::string& order, const char* status) {
  const std::string body = std::string(R"({"payment_id":)") + std::to_string(payment_id) +
                           R"(,"parent_payment_id":null,"invoice_id":)" + std::to_string(payment_id + 1) +
                           R"(,"payment_status":")" + status +
                           R"(","pay_address":"0xa0011296edbbd767586c9e615ac8bf1ffae0ae92","payin_extra_id":null,)"
                           R"("price_amount":9.99,"price_currency":"usd","pay_amount":10.0412,"actually_paid":10.0412,)"
                           R"("actually_paid_at_fiat":9.99,"pay_currency":"usdtbsc","order_id":")" +
                           order +
                           R"(","order_description":"Подписка","purchase_id":"1","outcome_amount":9.8211,)"
                           R"("outcome_currency":"usdtbsc","payment_extra_ids":null,"fee":{"currency":"usdtbsc",)"
                           R"("depositFee":0.0000001,"withdrawalFee":0,"serviceFee":0.05},"updated_at":1724067404468})";
  auto parsed = gateways::nowpayments::parse_js_json(body);
  const std::string sig =
      gateways::nowpayments::sign(*parsed, secret, gateways::nowpayments::signature_variant::recursive);
  return "POST /v1/webhooks/nowpayments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "x-nowpayments-sig: " + sig + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

ipn_bench_result run_ipn_bench(const ipn_bench_options& options) {
  ipn_bench_result out;
  out.orders = options.orders;
  const auto dir = options.directory / "ipn-log";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  eventstore::open_options store_options;
  store_options.directory = dir;
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

  // The market: one channel, one buyer per order (so settlements run in parallel).
  std::fprintf(stderr, "ipn: seeding %llu buyers and invoices...\n", static_cast<unsigned long long>(options.orders));
  const auto seed_start = std::chrono::steady_clock::now();
  domain::channel::register_channel c;
  c.owner = domain::user_id(1);
  c.title = "Bench";
  c.tiers = {domain::channel::tier{*domain::parse_amount("9.99", domain::asset::usd), 30}};
  c.strategy = domain::channel::payout_strategy::threshold;
  c.threshold = *domain::parse_amount("1000000", domain::asset::usd);
  c.payout_address = "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229";
  (void)client->ask_and_wait<actors::entity_reply>(
      actors::register_user_request{domain::user_id(1), "owner", "", now_us()});
  if (auto r = client->ask_and_wait<actors::entity_reply>(
          actors::channel_request{domain::channel_id(channel), c, now_us()});
      !r) {
    out.error = "channel: " + r.error().message;
    return out;
  }
  {
    std::atomic<std::uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> seeders;
    for (int t = 0; t < 16; ++t) {
      seeders.emplace_back([&] {
        for (std::uint64_t i = next++; i < options.orders && !failed; i = next++) {
          const domain::user_id user(static_cast<std::int64_t>(1000 + i));
          const std::string order = "o-" + std::to_string(i);
          auto u = client->ask_and_wait<actors::entity_reply>(actors::register_user_request{user, "b", "", now_us()});
          auto inv = client->ask_and_wait<domain::invoice::state>(actors::invoice_create_request{
              order, user, domain::channel_id(channel), 1, domain::amount(domain::asset::usd, 0),
              "", "", now_us()});
          auto link = client->ask_and_wait<actors::entity_reply>(actors::invoice_link_request{
              order, std::to_string(4'000'000'000ULL + i), "https://np/x", now_us()});
          if (!u || !inv || !link) failed = true;
        }
      });
    }
    for (auto& t : seeders) t.join();
    if (failed) {
      out.error = "seeding invoices failed";
      return out;
    }
  }
  std::fprintf(stderr, "ipn: seeded in %.1f s; signing %llu IPNs...\n", seconds_since(seed_start),
               static_cast<unsigned long long>(options.orders * 3 * options.duplicates));

  gateways::nowpayments::service_options np;
  np.api_base = "http://127.0.0.1:9/v1";  // never called: invoices are seeded above
  np.api_key = "unused";
  np.ipn_secret = std::string(secret);
  np.reconcile_every = std::chrono::hours(24);
  auto service = gateways::nowpayments::service::start(*client, reads, np);
  if (!service) {
    out.error = service.error().message;
    return out;
  }
  gateways::http::router routes;
  auto* svc = service->get();
  routes.add("POST", "/v1/webhooks/nowpayments",
             [svc](const gateways::http::request& req, gateways::http::responder reply) {
               svc->handle_ipn(req, std::move(reply));
             });
  gateways::http::server_options http_options;
  http_options.port = 0;
  auto server = gateways::http::server::start(http_options, std::ref(routes));
  if (!server) {
    out.error = server.error().message;
    return out;
  }

  // Per order: waiting, confirming, finished - each delivered `duplicates` times.
  const std::size_t conns = std::max<std::size_t>(1, options.connections);
  std::vector<std::vector<std::string>> work(conns);
  for (std::uint64_t i = 0; i < options.orders; ++i) {
    const std::string order = "o-" + std::to_string(i);
    for (const char* status : {"waiting", "confirming", "finished"}) {
      const std::string request = ipn_request(5'000'000'000ULL + i * 2, order, status);
      for (std::size_t d = 0; d < options.duplicates; ++d) {
        work[i % conns].push_back(request);
      }
    }
  }
  std::fprintf(stderr, "ipn: sending over %zu connections...\n", conns);
  std::atomic<std::uint64_t> recorded{0}, duplicates{0}, failures{0};
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
          if (status != 200) {
            failures++;
          } else if (body.find("\"recorded\":true") != std::string::npos) {
            recorded++;
          } else {
            duplicates++;
          }
        }
        if (fd >= 0) close(fd);
      });
    }
    for (auto& t : senders) t.join();
  }
  out.ingest_seconds = seconds_since(start);
  // Every order's settlement (deposit, purchase, activation) has completed.
  std::uint64_t settled = 0;
  while (true) {
    settled = (*host)->read([](const projections::model_set& m) {
      std::uint64_t n = 0;
      m.invoice.scan("", [&](const std::string&, const projections::invoice_row& r) {
        n += r.settlement.rfind("completed", 0) == 0 ? 1u : 0u;
        return true;
      });
      return n;
    });
    if (settled >= options.orders || seconds_since(start) > 600) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out.settle_seconds = seconds_since(start);
  out.activations = (*host)->read([](const projections::model_set& m) {
    std::uint64_t n = 0;
    m.subscription.scan("", [&](const std::string&, const projections::subscription_row& r) {
      n += r.purchases;
      return true;
    });
    return n;
  });
  out.requests = recorded + duplicates + failures;
  out.recorded = recorded;
  out.duplicates = duplicates;
  out.failures = failures;
  out.requests_per_second = static_cast<double>(out.requests) / out.ingest_seconds;
  out.recorded_per_second = static_cast<double>(out.recorded) / out.ingest_seconds;
  out.settlements_per_second = static_cast<double>(settled) / out.settle_seconds;
  std::vector<std::uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const auto summary = summarize(all);
  out.p50_us = summary.p50_us;
  out.p99_us = summary.p99_us;
  if (settled < options.orders) {
    out.error = "only " + std::to_string(settled) + " of " + std::to_string(options.orders) + " orders settled";
  }

  (*server)->stop();
  (*service)->stop();
  client->stop();
  (*host)->stop();
  (*ledger)->stop();
  client.reset();
  runtime.reset();
  host->reset();
  store->reset();
  if (!options.keep) {
    std::filesystem::remove_all(dir, ec);
  }
  return out;
}

}  // namespace telepay::tools
