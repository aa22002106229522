#pragma once
/// The Telegram gateway: receives updates (getUpdates long polling, or the webhook) and
/// records each on its user's conversation stream before anything acts on it; runs the bot on
/// the recorded updates (one user at a time in order, users in parallel); and carries out the
/// outbox (notices) with a rate-limited sender that honours 429 retry_after, retries 5xx and
/// records every outcome. The bot token and the webhook secret are never logged.
///
/// Lifecycle: start() -> stop(). The ledger client, reads and outbox feed outlive it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/ledger_api.hpp"
#include "actors/telegram_feeds.hpp"
#include "gateways/http/client.hpp"
#include "gateways/http/server.hpp"
#include "gateways/telegram/flood.hpp"

namespace telepay::actors {
class ledger_client;
class ledger_reads;
}  // namespace telepay::actors

namespace telepay::gateways::telegram {

enum class log_level { info, warn, error };

struct service_options {
  std::string api_base = "https://api.telegram.org";  // requests go to {api_base}/bot{token}/{method}
  std::string token;                                  // secret
  std::string mode = "polling";                       // polling | webhook
  std::string webhook_url;                            // webhook: our public URL, set at start
  std::string webhook_secret;                         // webhook: X-Telegram-Bot-Api-Secret-Token
  std::vector<std::int64_t> admins;                   // Telegram ids allowed admin commands
  std::filesystem::path state_dir;                    // the getUpdates offset file lives here
  int poll_timeout_s = 25;
  http::client_options http;
  flood_limits flood;
  std::size_t bot_threads = 4;
  std::chrono::seconds keypad_timeout{300};
  /// The user's USDT deposit address (the chain gateway; empty: deposits are not configured).
  /// Called on a bot worker thread; it may block.
  std::function<result<std::string>(domain::user_id)> deposit_address;
  /// Where the gateway reports what an operator should know (a refused offset file, an update
  /// given up on, a delivery that could not be recorded). Called from the service's threads.
  /// Default (empty): one line on stderr.
  std::function<void(log_level, const std::string&)> log;
};

/// Creates a NOWPayments invoice for a bot purchase; the callback gets the invoice's URL.
using invoice_maker =
    std::function<void(actors::invoice_create_request, std::function<void(result<std::string>)>)>;

class service {
 public:
  /// Errors: invalid_argument (bad options), upstream_unavailable (CA file).
  static result<std::unique_ptr<service>> create(service_options options, actors::ledger_client& client,
                                                 const actors::ledger_reads& reads, actors::outbox_feed& outbox,
                                                 invoice_maker make_invoice);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Checks the token (getMe), sets or deletes the webhook for the mode, starts the poller (in
  /// polling mode) and the sender. Errors: upstream_failed (a refused token), upstream_unavailable.
  status start();
  void stop();

  /// POST /v1/webhooks/telegram: 401 without the right secret header (constant-time compare),
  /// 400 for a body that is not an update (answered at once), 200 once the update is durable,
  /// 503 if it is not or the gateway has not started yet (Telegram delivers it again).
  void handle_webhook(const http::request& req, http::responder reply);
  /// The bot, for actors::update_feed: handles one recorded update, then calls done().
  void handle_update(const actors::inbound_update& update, std::function<void()> done);

  /// Records one raw update (what the poller and the webhook do). Errors: invalid_argument.
  status record_update(std::string_view raw);

  std::string metrics_text() const;
  const std::string& bot_username() const;
  /// Webhook mode: the URL given to setWebhook (call before start()).
  void set_webhook_url(std::string url);
  const std::string& webhook_url() const;

 private:
  struct impl;
  explicit service(std::shared_ptr<impl> state);
  std::shared_ptr<impl> impl_;
};

}  // namespace telepay::gateways::telegram
