#include "gateways/webhooks/service.hpp"

#include <algorithm>
#include <thread>

#include "domain/base/json.hpp"
#include "domain/codec/json.hpp"
#include "gateways/http/client.hpp"
#include "gateways/webhooks/signing.hpp"

namespace telepay::gateways::webhooks {

namespace {

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Waits `delay`, waking early when `cancelled` is set.
void pause(std::chrono::milliseconds delay, const std::atomic<bool>& cancelled) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!cancelled.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

std::string host_of(std::string_view url) {
  auto parsed = http::parse_url(url);
  return parsed ? parsed->host : std::string("?");
}

std::string label(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

struct service::endpoint_state {
  std::mutex client_mutex;  // the endpoint's own thread; held across one attempt
  std::string client_url;
  std::unique_ptr<http::client> client;
  // Under service::mutex_:
  endpoint_stats stats;
  std::deque<attempt> recent;  // oldest first
  std::uint64_t next_n = 1;
};

result<std::unique_ptr<service>> service::create(options o) {
  if (o.signing_key.size() < 32) {
    return make_error(errc::invalid_argument, "the webhook signing key must be at least 32 bytes");
  }
  if (o.first_retry.count() <= 0 || o.max_retry < o.first_retry || o.timeout.count() <= 0) {
    return make_error(errc::invalid_argument, "webhook retry delays and timeout must be positive, max >= first");
  }
  return std::unique_ptr<service>(new service(std::move(o)));
}

service::~service() = default;

std::string service::secret_for(std::string_view id) const { return webhooks::secret_for(options_.signing_key, id); }

std::shared_ptr<service::endpoint_state> service::state_of(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& slot = endpoints_[id];
  if (!slot) slot = std::make_shared<endpoint_state>();
  return slot;
}

void service::note(const std::shared_ptr<endpoint_state>& s, attempt a) {
  std::lock_guard lock(mutex_);
  a.n = s->next_n++;
  endpoint_stats& st = s->stats;
  ++st.attempts;
  if (a.delivered) {
    ++st.delivered;
    st.consecutive_failures = 0;
    st.failing_since_us = 0;
    st.last_delivered_at_us = a.at_us;
  } else {
    ++st.failed;
    ++st.consecutive_failures;
    if (st.failing_since_us == 0) st.failing_since_us = a.at_us;
    st.last_error = a.error;
  }
  s->recent.push_back(std::move(a));
  while (s->recent.size() > options_.attempts_kept) s->recent.pop_front();
}

bool service::deliver(const domain::webhook::endpoint& e, const domain::webhook::delivery& d,
                      const std::atomic<bool>& cancelled) {
  auto s = state_of(e.id);
  std::lock_guard client_lock(s->client_mutex);
  const std::string secret = secret_for(e.id);
  std::chrono::milliseconds delay = options_.first_retry;
  for (std::uint32_t try_number = 1;; ++try_number) {
    if (cancelled.load()) return false;
    attempt a;
    a.seq = d.seq;
    a.type = d.type;
    a.try_number = try_number;
    a.at_us = wall_us();
    const auto started = std::chrono::steady_clock::now();
    if (!s->client || s->client_url != e.url) {
      http::client_options copts;
      copts.ca_file = options_.ca_file;
      copts.timeout = options_.timeout;
      copts.body_limit = 64u << 10;  // the answer's body is not used
      auto made = http::client::create(e.url, copts);
      if (made) {
        s->client = std::move(*made);
        s->client_url = e.url;
      } else {
        s->client.reset();
        a.error = made.error().message;
      }
    }
    if (s->client) {
      http::client_request req;
      req.method = "POST";
      req.path = s->client->target().base_path.empty() ? "/" : "";
      const std::int64_t unix_seconds = a.at_us / 1'000'000;
      req.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", "telepay-webhooks/1"},
                     {"Telepay-Event-Id", "evt_" + std::to_string(d.seq)},
                     {"Telepay-Event-Type", d.type},
                     {"Telepay-Delivery-Attempt", std::to_string(try_number)},
                     {"Telepay-Signature", signature_header(secret, unix_seconds, d.body)}};
      req.body = d.body;
      auto answer = s->client->send(req);
      if (!answer) {
        a.error = answer.error().message;
      } else {
        a.http_status = answer->status;
        if (answer->status >= 200 && answer->status < 300) {
          a.delivered = true;
        } else {
          a.error = "answered HTTP " + std::to_string(answer->status);
        }
      }
    }
    a.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                        .count();
    const bool delivered = a.delivered;
    const std::string why = a.error;
    note(s, std::move(a));
    if (delivered) {
      if (try_number > 1 && options_.log) {
        options_.log("webhook " + e.id + " (" + host_of(e.url) + ") accepted seq " + std::to_string(d.seq) +
                     " after " + std::to_string(try_number) + " attempts");
      }
      return true;
    }
    if (options_.log && (try_number == 1 || try_number % 10 == 0)) {
      options_.log("webhook " + e.id + " (" + host_of(e.url) + ") seq " + std::to_string(d.seq) + " attempt " +
                   std::to_string(try_number) + " failed: " + why + "; retrying in " + std::to_string(delay.count()) +
                   " ms");
    }
    pause(delay, cancelled);
    delay = std::min(options_.max_retry, delay * 2);
  }
}

endpoint_stats service::stats(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = endpoints_.find(id);
  return found == endpoints_.end() ? endpoint_stats{} : found->second->stats;
}

std::uint64_t service::newest_attempt(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = endpoints_.find(id);
  return found == endpoints_.end() ? 0 : found->second->next_n - 1;
}

std::vector<attempt> service::attempts(std::string_view id, std::uint64_t before, std::size_t limit,
                                       bool& more) const {
  std::vector<attempt> out;
  more = false;
  std::lock_guard lock(mutex_);
  const auto found = endpoints_.find(id);
  if (found == endpoints_.end()) return out;
  const auto& recent = found->second->recent;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    if (before != 0 && it->n >= before) continue;
    if (out.size() == limit) {
      more = true;
      break;
    }
    out.push_back(*it);
  }
  return out;
}

std::string service::attempt_json(const attempt& a) {
  std::string out;
  {
    domain::json_object_writer w(out);
    w.time("at", a.at_us).boolean("delivered", a.delivered).i64("duration_ms", a.duration_ms);
    if (!a.error.empty()) w.str("error", utf8_prefix(a.error, 256));
    if (a.http_status != 0) w.u64("http_status", a.http_status);
    w.u64("n", a.n).u64("seq", a.seq).u64("try", a.try_number).str("type", a.type);
  }
  return out;
}

std::string service::endpoint_json(const actors::webhook_endpoint_view& view, std::uint64_t head) const {
  const endpoint_stats st = stats(view.endpoint.id);
  const auto& e = view.endpoint;
  std::string status = !e.enabled ? "disabled" : st.consecutive_failures > 0 ? "failing" : "delivering";
  std::string out;
  {
    domain::json_object_writer w(out);
    w.u64("attempts", st.attempts).u64("consecutive_failures", st.consecutive_failures).u64("delivered", st.delivered);
    if (!e.enabled) w.str("disabled_by", e.disabled_by).str("disabled_reason", e.disabled_reason);
    w.boolean("enabled", e.enabled).raw("event_types", domain::json_string_array(e.types));
    if (st.failing_since_us != 0) w.time("failing_since", st.failing_since_us);
    w.u64("from_seq", e.from_seq).str("id", e.id);
    if (view.in_flight != 0) w.u64("in_flight_seq", view.in_flight);
    w.u64("lag", head > view.position ? head - view.position : 0);
    if (st.last_delivered_at_us != 0) w.time("last_delivered_at", st.last_delivered_at_us);
    if (!st.last_error.empty()) w.str("last_error", utf8_prefix(st.last_error, 256));
    w.u64("position", view.position)
        .time("registered_at", view.registered_at_us)
        .str("registered_by", e.registered_by)
        .u64("registered_seq", view.registered_seq)
        .u64("rewinds", e.generation)
        .str("status", status)
        .str("url", e.url);
  }
  return out;
}

std::string service::metrics_text(const std::vector<actors::webhook_endpoint_view>& views, std::uint64_t head) const {
  std::string out =
      "# HELP telepay_webhook_attempts_total Webhook delivery attempts by endpoint and outcome.\n"
      "# TYPE telepay_webhook_attempts_total counter\n";
  std::string lag =
      "# HELP telepay_webhook_lag_events Log records an endpoint has not handled yet.\n"
      "# TYPE telepay_webhook_lag_events gauge\n";
  std::string failing =
      "# HELP telepay_webhook_consecutive_failures Failed attempts since the endpoint last accepted one.\n"
      "# TYPE telepay_webhook_consecutive_failures gauge\n";
  for (const auto& v : views) {
    if (!v.endpoint.enabled) continue;
    const endpoint_stats st = stats(v.endpoint.id);
    const std::string id = label(v.endpoint.id);
    out += "telepay_webhook_attempts_total{endpoint=\"" + id + "\",outcome=\"delivered\"} " +
           std::to_string(st.delivered) + "\n";
    out += "telepay_webhook_attempts_total{endpoint=\"" + id + "\",outcome=\"failed\"} " + std::to_string(st.failed) +
           "\n";
    lag += "telepay_webhook_lag_events{endpoint=\"" + id + "\"} " +
           std::to_string(head > v.position ? head - v.position : 0) + "\n";
    failing += "telepay_webhook_consecutive_failures{endpoint=\"" + id + "\"} " +
               std::to_string(st.consecutive_failures) + "\n";
  }
  return out + lag + failing;
}

}  // namespace telepay::gateways::webhooks
