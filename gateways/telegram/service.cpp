#include "gateways/telegram/service.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "actors/client.hpp"
#include "actors/reads.hpp"
#include "actors/routes.hpp"
#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/codec/json.hpp"
#include "domain/broadcast.hpp"
#include "domain/conversation.hpp"
#include "domain/coupon.hpp"
#include "gateways/telegram/bot.hpp"
#include "gateways/telegram/codec.hpp"

namespace telepay::gateways::telegram {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


/// A Bot API call's outcome: no answer at all (error), or the HTTP status and the envelope.
struct call_outcome {
  unsigned status = 0;
  answer reply;
};

std::string lower_ascii(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// A decimal int64 with nothing before or after it, as ids in read-model keys and segments are.
std::optional<std::int64_t> whole_i64(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// Calls `each` with every element of the array `field` of a read's JSON answer; false when the
/// answer does not parse or has no such array.
bool for_each_element(const std::string& json, std::string_view field,
                      const std::function<void(const domain::json_value&)>& each) {
  auto doc = domain::json_document::parse(json);
  if (!doc) return false;
  auto list = doc->root().field(field);
  auto rows = list ? list->elements() : result<std::vector<domain::json_value>>(list.error());
  if (!rows) return false;
  for (const auto& row : *rows) each(row);
  return true;
}

/// The offset file holds one number; anything longer is not ours.
constexpr std::size_t offset_file_bytes_max = 64;

}  // namespace

struct service::impl {
  service_options options;
  actors::ledger_client& client;
  const actors::ledger_reads& reads;
  actors::outbox_feed& outbox;
  invoice_maker make_invoice;
  std::string username;

  std::atomic<bool> stopping{false};
  std::atomic<bool> working{false};  // the bot workers run: posted work will be done
  std::thread poller;
  std::thread sender;
  std::thread broadcaster;
  std::vector<std::thread> workers;
  std::mutex work_mutex;
  std::condition_variable work_ready;
  std::deque<std::function<void()>> work;

  mutable std::mutex counters_mutex;
  std::map<std::string, std::uint64_t> updates;     // by outcome
  std::map<std::string, std::uint64_t> deliveries;  // by outcome
  std::map<std::string, std::uint64_t> intents;     // by intent
  std::uint64_t flood_waits = 0;

  impl(service_options o, actors::ledger_client& c, const actors::ledger_reads& r, actors::outbox_feed& f,
       invoice_maker m)
      : options(std::move(o)), client(c), reads(r), outbox(f), make_invoice(std::move(m)) {}

  void count(std::map<std::string, std::uint64_t>& where, const std::string& what, std::uint64_t n = 1) {
    std::lock_guard lock(counters_mutex);
    where[what] += n;
  }

  void say(log_level level, const std::string& text) const {
    if (options.log) {
      options.log(level, text);
      return;
    }
    const char* name = level == log_level::error ? "error" : level == log_level::warn ? "warn" : "info";
    std::fprintf(stderr, "%s telegram %s\n", name, text.c_str());
  }

  // ---- Bot API ----
  result<std::unique_ptr<http::client>> new_client(std::chrono::milliseconds timeout) const {
    http::client_options o = options.http;
    o.timeout = timeout;
    return http::client::create(options.api_base, o);
  }

  result<call_outcome> call(http::client& c, std::string_view method, std::string body) const {
    http::client_request req;
    req.method = "POST";
    req.path = "/bot" + options.token + "/" + std::string(method);
    req.headers = {{"Content-Type", "application/json"}};
    req.body = std::move(body);
    auto response = c.send(req);
    if (!response) return response.error();
    auto envelope = read_answer(response->body);
    if (!envelope) {
      return make_error(errc::upstream_failed, std::string(method) + " answered HTTP " +
                                                   std::to_string(response->status) + " without a Bot API envelope");
    }
    return call_outcome{response->status, std::move(*envelope)};
  }

  // ---- updates in ----
  status record(std::string_view raw) {
    auto u = read_update(raw);
    if (!u) {
      count(updates, "invalid");
      return u.error();
    }
    if (u->from_id <= 0 || u->from_is_bot) {
      count(updates, "ignored");  // nobody to answer (channel posts, bots)
      return {};
    }
    auto user = domain::make_user_id(u->from_id);
    if (!user) {
      count(updates, "ignored");
      return {};
    }
    for (int attempt = 0;; ++attempt) {
      auto r = client.ask_and_wait<actors::entity_reply>(actors::conversation_request{*user,
                                               domain::conversation::receive{u->update_id,
                                                                             std::string(update_kind_name(u->kind)),
                                                                             std::string(raw)},
                                               now_us()});
      if (r) {
        count(updates, r->events > 0 ? "recorded" : "duplicate");
        return {};
      }
      if (!actors::is_transient(r.code()) || attempt >= 20 || stopping.load()) {
        count(updates, r.code() == errc::invalid_argument ? "invalid" : "error");
        return r.error();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
    }
  }

  /// The saved offset; 0 (every update Telegram still holds) on a first start or when the file
  /// is refused. 0 is safe: what was recorded before is deduplicated by update_id, whereas a
  /// negative offset would make Telegram skip updates nobody confirmed.
  std::int64_t load_offset() const {
    const auto file = options.state_dir / "telegram-offset";
    std::ifstream in(file);
    if (!in) return 0;
    std::string text(offset_file_bytes_max + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    auto offset = text.size() > offset_file_bytes_max
                      ? result<std::int64_t>(make_error(errc::invalid_argument, "the file is too long"))
                      : parse_offset(text);
    if (!offset) {
      say(log_level::error, "telegram offset file refused, polling from the oldest update Telegram holds path=" +
                                file.string() + " detail=" + offset.error().message);
      return 0;
    }
    return *offset;
  }

  void save_offset(std::int64_t offset) const {
    const auto file = options.state_dir / "telegram-offset";
    const auto tmp = options.state_dir / "telegram-offset.tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << offset << "\n";
      out.flush();
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
  }

  /// What the poller remembers between getUpdates calls.
  struct poll_state {
    std::int64_t offset = 0;
    record_failures stuck;       // the update the ledger keeps refusing, if any
    std::string last_malformed;  // logged once, not on every poll
  };

  /// Records a getUpdates batch in order and moves `p.offset` past what is durable or given up
  /// on. False when an update is not recorded yet: the batch is asked for again from there.
  bool record_batch(const std::vector<std::string>& items, poll_state& p) {
    std::int64_t next = p.offset;
    bool all_recorded = true;
    for (const std::string& raw : items) {
      auto u = read_update(raw);
      const auto s = record(raw);
      if (!u) {
        if (u.error().message != p.last_malformed) {
          p.last_malformed = u.error().message;
          say(log_level::warn, "telegram update malformed, not recorded detail=" + u.error().message);
        }
        continue;  // no usable update_id: a later update's offset confirms it
      }
      if (!s && s.code() != errc::invalid_argument) {
        // A transient failure heals by itself; a refusal does not, and waiting on it would stop
        // the bot for everyone, so after a few tries the update is given up on.
        if (actors::is_transient(s.code()) || !p.stuck.failed(u->update_id)) {
          all_recorded = false;  // not durable: ask again from here, nothing confirmed
          break;
        }
        count(updates, "skipped");
        say(log_level::error, "telegram update skipped after " + std::to_string(record_attempts_max) +
                                  " refused attempts update_id=" + std::to_string(u->update_id) + " user_id=" +
                                  std::to_string(u->from_id) + " detail=" + s.error().message);
      } else {
        p.stuck.recorded();
      }
      // update_id < INT64_MAX (read_update), so the successor fits.
      next = std::max(next, u->update_id + 1);
    }
    if (next != p.offset) {
      p.offset = next;
      save_offset(p.offset);  // getUpdates with it confirms them at Telegram
    }
    return all_recorded;
  }

  void poll_loop() {
    auto c = new_client(std::chrono::milliseconds((options.poll_timeout_s + 15) * 1000));
    if (!c) {
      say(log_level::error, "telegram poller not started detail=" + c.error().message);
      return;
    }
    poll_state p;
    p.offset = load_offset();
    int failures = 0;
    while (!stopping.load()) {
      auto outcome = call(**c, "getUpdates", get_updates(p.offset, options.poll_timeout_s));
      if (stopping.load()) return;
      std::chrono::milliseconds pause{0};
      if (!outcome) {
        pause = std::chrono::milliseconds(std::min(30'000, 500 << std::min(failures++, 6)));
      } else if (!outcome->reply.ok) {
        if (outcome->reply.error_code == 429)
          pause = std::chrono::seconds(bounded_retry_after_s(outcome->reply.retry_after_s));
        else pause = std::chrono::milliseconds(std::min(30'000, 1000 << std::min(failures++, 5)));
      } else {
        failures = 0;
        auto items = split_updates(outcome->reply.result);
        if (!items) {
          pause = std::chrono::seconds(1);
        } else {
          const std::int64_t before = p.offset;
          const bool all_recorded = record_batch(*items, p);
          // A batch that confirms nothing would come back at once: do not spin on it.
          if (!all_recorded || (p.offset == before && !items->empty())) pause = std::chrono::seconds(1);
        }
      }
      for (auto waited = std::chrono::milliseconds(0); waited < pause && !stopping.load();
           waited += std::chrono::milliseconds(100)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  // ---- outbox out ----
  struct queued {
    actors::outbox_item item;
    std::int64_t not_before_us = 0;
    int attempts = 0;
  };

  /// The chat a notice writes to (0: not a message, not flood-limited).
  static std::int64_t message_chat(const actors::outbox_item& it) {
    using domain::notice::kind;
    switch (it.what.type) {
      case kind::message:
      case kind::edit:
      case kind::invite:
        return it.user.value();
      default:
        return 0;
    }
  }

  /// Carries one notice out. ok/detail when done (or refused for good); an error when it
  /// should be tried again (no answer, 5xx, 429 - which also updates the flood schedule).
  struct send_outcome {
    bool retry = false;
    std::int64_t retry_after_s = 0;
    bool ok = false;
    std::string detail;
  };

  send_outcome perform(http::client& c, const actors::outbox_item& it) {
    using domain::notice::kind;
    const std::int64_t user = it.user.value();
    auto run = [&](std::string_view method, const std::string& body) -> std::pair<send_outcome, std::string> {
      auto r = call(c, method, body);
      send_outcome o;
      if (!r) {
        o.retry = true;
        o.detail = r.error().message;
        return {o, ""};
      }
      if (r->reply.ok) {
        o.ok = true;
        return {o, r->reply.result};
      }
      if (r->reply.error_code == 429 || r->status == 429) {
        o.retry = true;
        o.retry_after_s = bounded_retry_after_s(r->reply.retry_after_s);
      } else if (r->status >= 500 || r->reply.error_code >= 500) {
        o.retry = true;
      }
      o.detail = delivery_detail(r->reply.description);
      return {o, ""};
    };
    auto keyboard_of = [](const domain::notice::keyboard& k) {
      keyboard out;
      for (const auto& row : k) {
        std::vector<button> line;
        for (const auto& b : row) line.push_back(button{b.text, b.data, b.url});
        out.push_back(std::move(line));
      }
      return out;
    };
    auto finish_refused = [](send_outcome o) {
      if (!o.retry && !o.ok) o.detail = refusal_detail(o.detail);
      return o;
    };
    switch (it.what.type) {
      case kind::message: {
        auto body = send_message(user, it.what.text, keyboard_of(it.what.buttons));
        if (!body) return send_outcome{false, 0, false, body.error().message};
        auto [o, result_json] = run("sendMessage", *body);
        if (o.ok) {
          auto id = read_message_id(result_json);
          o.detail = id ? std::to_string(*id) : "";
        }
        return finish_refused(o);
      }
      case kind::edit: {
        // No text: only the buttons change (editMessageReplyMarkup).
        const bool buttons_only = it.what.text.empty();
        auto body = buttons_only
                        ? result<std::string>(edit_message_reply_markup(user, it.what.message_id, keyboard_of(it.what.buttons)))
                        : edit_message_text(user, it.what.message_id, it.what.text, keyboard_of(it.what.buttons));
        if (!body) return send_outcome{false, 0, false, body.error().message};
        auto [o, result_json] = run(buttons_only ? "editMessageReplyMarkup" : "editMessageText", *body);
        if (!o.ok && !o.retry && o.detail.find("message is not modified") != std::string::npos) {
          o.ok = true;  // already shows this
        }
        if (o.ok) o.detail = std::to_string(it.what.message_id);
        return o;
      }
      case kind::answer: {
        auto [o, result_json] = run("answerCallbackQuery", answer_callback_query(it.what.ref, it.what.text));
        return o;
      }
      case kind::invite: {
        const std::int64_t expire_s = it.what.expires_at_us / 1'000'000;
        auto [o, link_json] =
            run("createChatInviteLink", create_chat_invite_link(it.what.chat_id, "purchase " + it.what.ref, expire_s));
        if (!o.ok) return o;
        auto link = read_invite_link(link_json);
        if (!link) return send_outcome{false, 0, false, link.error().message};
        const std::string text = "Your personal invite link: " + *link +
                                 "\nIt asks to join; we approve only you. It expires in 24 hours.";
        auto body = send_message(user, text, {{button{"Join the channel", "", *link}}});
        if (!body) return send_outcome{false, 0, false, body.error().message};
        auto [m, message_json] = run("sendMessage", *body);
        if (m.retry) return m;  // the link is re-created on retry; an unused one expires in 24 h
        m.detail = m.ok ? *link : "link " + *link + " created, message refused: " + m.detail;
        return finish_refused(m);
      }
      case kind::remove: {
        auto [o, r1] = run("banChatMember", ban_chat_member(it.what.chat_id, user));
        if (!o.ok) return o;
        auto [u, r2] = run("unbanChatMember", unban_chat_member(it.what.chat_id, user, true));
        if (u.ok) u.detail = "removed";
        return u;
      }
      case kind::approve:
      case kind::decline: {
        const bool approve = it.what.type == kind::approve;
        auto [o, r] = run(approve ? "approveChatJoinRequest" : "declineChatJoinRequest",
                          approve ? approve_chat_join_request(it.what.chat_id, user)
                                  : decline_chat_join_request(it.what.chat_id, user));
        if (o.ok) o.detail = approve ? "approved" : "declined";
        if (o.ok && approve && !it.what.ref.empty()) {
          // The per-purchase link has done its job: revoke it so it cannot be passed on.
          auto [revoked, ignored] = run("revokeChatInviteLink", revoke_chat_invite_link(it.what.chat_id, it.what.ref));
          if (revoked.ok) o.detail = "approved, link revoked";
        }
        return o;
      }
    }
    return send_outcome{false, 0, false, "unknown notice kind"};
  }

  /// Tries of an invite link before the user is told it could not be made.
  static constexpr int invite_tries = 3;

  /// A paid subscription's invite link could not be created (after invite_tries): raised to
  /// operators (a warning naming the channel and user, deliveries{outcome="invite_refused"}) and
  /// the user told the truth and how to ask again (/link), once per failed notice.
  void invite_failed(const actors::outbox_item& it, const std::string& detail) {
    count(deliveries, "invite_refused");
    const std::string chat = std::to_string(it.what.chat_id);
    say(log_level::warn, "telegram invite link not created chat_id=" + chat + " user_id=" +
                             std::to_string(it.user.value()) + " detail=" + detail +
                             " (give the bot the right to invite users there; the user can then send /link " + chat +
                             ")");
    const std::string text = "We could not create your invite link for channel " + chat +
                             ": the channel does not let this bot invite members right now. The operators have been "
                             "told. Your subscription is not affected: send /link " + chat +
                             " to get your link once it is fixed.";
    for (int attempt = 0; attempt < 20 && !stopping.load(); ++attempt) {
      auto r = client.ask_and_wait<actors::entity_reply>(actors::notice_request{
          it.user, domain::notice::request{it.notice, {bot::message(text)}, "invite"}, now_us()});
      if (r || !actors::is_transient(r.code())) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
    }
  }

  /// Broadcast id -> (cancelled, when the ledger was last asked).
  using broadcast_checks = std::map<std::string, std::pair<bool, std::int64_t>>;

  /// Whether `origin` is a broadcast an operator cancelled: its queued notices are then
  /// recorded as not delivered and never sent. The ledger is asked at most once a second per
  /// broadcast (a cancel is final, so a yes is kept); without an answer the notice goes, as it
  /// was queued while the broadcast ran.
  bool from_cancelled_broadcast(const std::string& origin, broadcast_checks& seen) {
    if (origin.rfind("broadcast:", 0) != 0) return false;
    const std::string id = origin.substr(10);
    const std::int64_t now = now_us();
    if (auto it = seen.find(id); it != seen.end() && (it->second.first || it->second.second + 1'000'000 > now)) {
      return it->second.first;
    }
    if (seen.size() >= 1024) seen.clear();  // bounded: a forgotten answer is only asked again
    auto b = client.ask_and_wait<domain::broadcast::state>(actors::broadcast_query{id});
    const bool cancelled = b && b->is_cancelled;
    seen[id] = {cancelled, now};
    return cancelled;
  }

  void send_loop() {
    auto c = new_client(std::chrono::milliseconds(15'000));
    if (!c) return;
    flood_control flood(options.flood);
    std::deque<queued> queue;
    std::deque<std::int64_t> broadcast_window;  // broadcast sends in the last second
    broadcast_checks broadcast_seen;
    while (!stopping.load()) {
      // Wait for work, or until the earliest queued item may go.
      std::int64_t now = now_us();
      std::int64_t soonest = now + 200'000;
      while (!broadcast_window.empty() && broadcast_window.front() + 1'000'000 <= now) broadcast_window.pop_front();
      const std::int64_t broadcast_ready =
          broadcast_window.size() < static_cast<std::size_t>(broadcast_per_second)
              ? now
              : broadcast_window.front() + 1'000'000;
      std::set<std::int64_t> chats_seen;  // only a chat's first item can go next
      for (const auto& q : queue) {
        const std::int64_t chat = message_chat(q.item);
        if (chat != 0 && !chats_seen.insert(chat).second) continue;
        std::int64_t ready = std::max(q.not_before_us, chat ? flood.ready_at(chat, now) : now);
        if (q.item.origin.rfind("broadcast:", 0) == 0) ready = std::max(ready, broadcast_ready);
        soonest = std::min(soonest, ready);
      }
      const auto wait = std::chrono::milliseconds(
          queue.empty() ? 500 : std::max<std::int64_t>(0, (soonest - now) / 1000));
      for (auto& item : outbox.take(wait)) queue.push_back(queued{std::move(item), 0, 0});
      if (stopping.load()) break;
      now = now_us();
      // The first item that may go now: per chat in log order; answers and channel actions
      // are not messages and go whenever they are not backing off.
      std::map<std::int64_t, bool> chat_blocked;
      auto pick = queue.end();
      while (!broadcast_window.empty() && broadcast_window.front() + 1'000'000 <= now) broadcast_window.pop_front();
      const bool broadcast_room = broadcast_window.size() < static_cast<std::size_t>(broadcast_per_second);
      for (auto it = queue.begin(); it != queue.end(); ++it) {
        const std::int64_t chat = message_chat(it->item);
        const bool ordered = chat != 0;
        if (ordered && chat_blocked[chat]) continue;
        const bool is_broadcast = it->item.origin.rfind("broadcast:", 0) == 0;
        const bool ready = it->not_before_us <= now && (!ordered || flood.ready_at(chat, now) <= now) &&
                           (!is_broadcast || broadcast_room);
        if (ready) {
          pick = it;
          break;
        }
        if (ordered) chat_blocked[chat] = true;  // keep this chat's order
      }
      if (pick == queue.end()) continue;
      queued q = std::move(*pick);
      queue.erase(pick);
      const std::int64_t chat = message_chat(q.item);
      send_outcome o;
      if (from_cancelled_broadcast(q.item.origin, broadcast_seen)) {
        count(deliveries, "broadcast_cancelled");
        o = send_outcome{false, 0, false, "broadcast cancelled"};  // recorded, never sent
      } else {
        if (chat) flood.sent(chat, now);
        if (q.item.origin.rfind("broadcast:", 0) == 0) broadcast_window.push_back(now);
        o = perform(**c, q.item);
      }
      const bool is_invite = q.item.what.type == domain::notice::kind::invite;
      if (is_invite && !o.ok && !o.retry && q.attempts + 1 < invite_tries) {
        o.retry = true;  // refused (e.g. the bot lacks the right): tried again shortly, in order
      }
      if (o.retry) {
        q.attempts += 1;
        if (o.retry_after_s > 0) {
          flood.retry_after(chat ? chat : q.item.user.value(), o.retry_after_s, now_us());
          count(deliveries, "flood_429");
          q.not_before_us = retry_at_us(now_us(), o.retry_after_s);
        } else {
          count(deliveries, "retry");
          q.not_before_us = now_us() + std::min<std::int64_t>(60'000'000, 250'000LL << std::min(q.attempts, 8));
        }
        queue.push_front(std::move(q));  // keeps its place in the chat's order
        continue;
      }
      o.detail = delivery_detail(o.detail);  // recorded: bounded, on a character boundary
      count(deliveries, o.ok ? "sent" : "refused");
      if (is_invite && !o.ok) invite_failed(q.item, o.detail);
      if (!o.ok && o.detail.rfind("blocked", 0) == 0) {
        // The user blocked the bot: inactive (left out of broadcasts) until they write again.
        count(deliveries, "blocked");
        (void)client.ask_and_wait<actors::entity_reply>(actors::conversation_request{
            q.item.user, domain::conversation::mark_blocked{o.detail}, now_us()});
      }
      for (int attempt = 0; !stopping.load(); ++attempt) {
        auto s = outbox.record(q.item, o.ok, o.detail);
        if (s) break;
        if (!actors::is_transient(s.code())) {
          // Asking again would be refused again and stop every later send; the notice stays
          // taken (not sent twice by this process) and is looked at again after a restart.
          count(deliveries, "unrecorded");
          say(log_level::error, "telegram delivery not recorded user_id=" + std::to_string(q.item.user.value()) +
                                    " notice=" + std::to_string(q.item.notice) + " ok=" + (o.ok ? "true" : "false") +
                                    " detail=" + s.error().message);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 20 * (attempt + 1))));
      }
    }
  }

  // ---- broadcasts ----
  static constexpr int broadcast_per_second = 25;
  static constexpr std::size_t broadcast_backlog = 2000;  // pending notices before walking on

  void broadcast_loop() {
    while (!stopping.load()) {
      for (const std::string& id : outbox.unfinished_broadcasts()) {
        if (stopping.load()) return;
        run_broadcast(id);
      }
      for (int i = 0; i < 5 && !stopping.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  /// Recipients after `cursor`: (user id, skip?) for one page, and the cursor after it (empty
  /// when this was the last page).
  struct recipient {
    std::int64_t user = 0;
    bool banned = false;
  };
  bool recipients(const std::string& segment, const std::string& cursor, std::vector<recipient>& out,
                  std::string& next_cursor) {
    std::optional<std::int64_t> channel;
    if (segment != "all") {
      // check_segment refused anything else when the broadcast started; only a tampered log
      // gets here, and it has nobody to send to.
      channel = segment.rfind("channel:", 0) == 0 ? whole_i64(std::string_view(segment).substr(8)) : std::nullopt;
      if (!channel) {
        say(log_level::error, "telegram broadcast segment unreadable, nobody to send to segment_bytes=" +
                                  std::to_string(segment.size()));
        return false;
      }
    }
    result<std::string> page = segment == "all"
                                   ? reads.users(actors::page_request{cursor, 200})
                                   : reads.subscriptions(actors::page_request{cursor, 200}, 0, *channel, "active", 0,
                                                         now_us());
    if (!page) return false;
    auto doc = domain::json_document::parse(*page);
    if (!doc) return false;
    auto items = doc->root().field("items");
    auto rows = items ? items->elements() : result<std::vector<domain::json_value>>(items.error());
    if (!rows) return false;
    for (const auto& row : *rows) {
      auto user = row.i64("user_id");
      if (!user) continue;
      recipient r;
      r.user = *user;
      if (segment == "all") {
        auto banned = row.boolean("banned");
        r.banned = banned && *banned;
      }
      out.push_back(r);
    }
    auto next = doc->root().str("next_cursor");
    next_cursor = next ? *next : std::string();
    return next.has_value();  // null when this was the last page
  }

  void run_broadcast(const std::string& id) {
    auto b = client.ask_and_wait<domain::broadcast::state>(actors::broadcast_query{id});
    if (!b || !b->exists || b->is_over()) return;
    std::string cursor = b->cursor;
    std::uint64_t queued_total = b->queued;
    std::uint64_t skipped = b->skipped;
    const std::string origin = domain::broadcast::origin(id);
    while (!stopping.load()) {
      while (outbox.pending() > broadcast_backlog && !stopping.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      std::vector<recipient> page;
      std::string next_cursor;
      const bool more = recipients(b->segment, cursor, page, next_cursor);
      for (const auto& r : page) {
        if (stopping.load()) return;  // the page is walked again after a restart; notices are once per user
        auto user = domain::make_user_id(r.user);
        bool skip = !user || r.banned;
        if (!skip) {
          auto c = client.ask_and_wait<domain::conversation::state>(actors::conversation_query{*user});
          skip = c && c->bot_blocked;
        }
        if (skip) {
          ++skipped;
          continue;
        }
        auto sent = client.ask_and_wait<actors::entity_reply>(actors::notice_request{
            *user, domain::notice::request{1, {bot::message(b->text)}, origin}, now_us()});
        if (!sent && actors::is_transient(sent.code())) return;  // tried again on the next pass
        if (!sent) {
          // Refused for good (e.g. that user's notice stream cannot be loaded): waiting on it
          // would stop the broadcast for everyone after this user.
          ++skipped;
          count(intents, "broadcast_recipient_refused");
          say(log_level::warn, "telegram broadcast recipient skipped broadcast_id=" + id + " user_id=" +
                                   std::to_string(r.user) + " detail=" + sent.error().message);
          continue;
        }
        ++queued_total;
      }
      if (!page.empty()) {
        // The last page keeps the cursor it started from (progress only moves forward) and
        // records its counts; finish follows.
        if (more) cursor = next_cursor;
        auto p = client.ask_and_wait<actors::entity_reply>(actors::broadcast_request{
            id, domain::broadcast::progress{cursor, queued_total, skipped}, now_us()});
        if (!p) return;
        count(intents, "broadcast_page");
      }
      if (!more) {
        (void)client.ask_and_wait<actors::entity_reply>(
            actors::broadcast_request{id, domain::broadcast::finish{}, now_us()});
        return;
      }
    }
  }

  // ---- the bot ----
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(work_mutex);
      work.push_back(std::move(task));
    }
    work_ready.notify_one();
  }

  void work_loop() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(work_mutex);
        work_ready.wait(lock, [&] { return stopping.load() || !work.empty(); });
        if (work.empty()) return;
        task = std::move(work.front());
        work.pop_front();
      }
      task();
    }
  }

  bool is_admin(std::int64_t user) const {
    return std::find(options.admins.begin(), options.admins.end(), user) != options.admins.end();
  }

  std::optional<bot::channel_view> channel_view_of(std::int64_t id) {
    auto channel_id = domain::make_channel_id(id);
    if (!channel_id) return std::nullopt;
    auto c = client.ask_and_wait<domain::channel::state>(actors::channel_query{*channel_id});
    if (!c || !c->is_registered || c->is_disabled) return std::nullopt;
    bot::channel_view v{id, c->title, {}, c->donations_enabled};
    for (std::size_t i = 0; i < c->tiers.size(); ++i) {
      v.tiers.push_back(bot::tier_view{static_cast<std::uint32_t>(i + 1),
                                       static_cast<std::int64_t>(c->tiers[i].price.units()), c->tiers[i].days});
    }
    return v;
  }

  std::vector<bot::channel_view> channel_list() {
    std::vector<bot::channel_view> out;
    auto page = reads.channels(actors::page_request{"", 50});
    if (!page) return out;
    auto doc = domain::json_document::parse(*page);
    if (!doc) return out;
    auto items_value = doc->root().field("items");
    if (!items_value) return out;
    auto items = items_value->elements();
    if (!items) return out;
    for (const auto& row : *items) {
      auto id = row.i64("channel_id");
      auto disabled = row.boolean("disabled");
      if (!id || (disabled && *disabled)) continue;
      auto title = row.str("title");
      out.push_back(bot::channel_view{*id, title ? *title : std::to_string(*id), {}, false});
    }
    return out;
  }

  /// Everything one update leads to; recorded as one notice request (source: the update).
  struct reply_set {
    std::vector<domain::notice::item> items;
    std::optional<domain::conversation::dialogue> dialogue;
  };

  void handle(const actors::inbound_update& in) {
    auto u = read_update(in.raw);
    if (!u) return;
    const std::int64_t user = in.user.value();
    const bool admin = is_admin(user);
    auto conversation = client.ask_and_wait<domain::conversation::state>(actors::conversation_query{in.user});
    if (!conversation) return;
    // Banned users get no answer, except that a button press is acknowledged (Telegram shows a
    // spinner until then) with nothing in it.
    auto account = client.ask_and_wait<domain::user::state>(actors::user_query{in.user});
    if (account && account->is_banned) {
      count(intents, "banned_ignored");
      if (u->kind == update_kind::callback_query) {
        reply_set acknowledged;
        acknowledged.items.push_back(bot::answer(u->callback_id));
        emit(in, acknowledged);
      }
      return;
    }
    reply_set out;
    const std::size_t recent = conversation->received_within_minute(in.received_at_us);
    bot::intent intent = bot::parse(*u, admin);
    const bool is_callback = u->kind == update_kind::callback_query;
    if (recent > domain::conversation::rate_limit && !std::holds_alternative<bot::join_request>(intent)) {
      count(intents, "rate_limited");
      if (is_callback) out.items.push_back(bot::answer(u->callback_id, "Too many requests: wait a minute."));
      else if (recent == domain::conversation::rate_limit + 1) {
        out.items.push_back(bot::message("Too many requests: please wait a minute before the next one."));
      }
      emit(in, out);
      return;
    }
    // Anyone who writes to the bot is registered on first contact (before, a user who never sent
    // /start could pick a tier and pay, then hear "buyer ... is not registered"). /start registers
    // with its referral code itself; join requests and ignored updates are not contact.
    const bool contact = !std::holds_alternative<bot::start>(intent) && !std::holds_alternative<bot::join_request>(intent) &&
                         !std::holds_alternative<bot::ignore>(intent);
    if (contact && account && !account->is_registered) {
      auto registered = client.ask_and_wait<actors::entity_reply>(actors::register_user_request{in.user, "", "", now_us()});
      if (registered) {
        count(intents, "registered_on_first_contact");
        if (auto again = client.ask_and_wait<domain::user::state>(actors::user_query{in.user})) account = std::move(again);
      }
    }
    std::visit([&](auto& i) { act(in, *u, conversation->dialogue, account ? &*account : nullptr, i, out); }, intent);
    // Every callback query is answered (Telegram shows a spinner until then).
    if (is_callback && std::none_of(out.items.begin(), out.items.end(), [](const auto& it) {
          return it.type == domain::notice::kind::answer;
        })) {
      out.items.insert(out.items.begin(), bot::answer(u->callback_id));
    }
    emit(in, out);
  }

  void emit(const actors::inbound_update& in, reply_set& out) {
    if (out.dialogue) {
      (void)client.ask_and_wait<actors::entity_reply>(actors::conversation_request{
          in.user, domain::conversation::change{in.seq, *out.dialogue}, now_us()});
    }
    // At most 8 notices per request; a second request would need another source, so trim.
    if (out.items.size() > 8) out.items.resize(8);
    if (out.items.empty()) return;
    repair_texts(out.items);
    for (int attempt = 0; attempt < 20 && !stopping.load(); ++attempt) {
      auto r = client.ask_and_wait<actors::entity_reply>(actors::notice_request{
          in.user, domain::notice::request{in.seq, out.items, "bot"}, now_us()});
      if (r || !actors::is_transient(r.code())) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
    }
  }

  /// Replies echo error messages and titles from other layers; one that is not UTF-8 would be
  /// refused as a notice (no answer at all) or, worse, recorded undecodable. Repaired, counted.
  void repair_texts(std::vector<domain::notice::item>& items) {
    bool repaired = false;
    auto repair = [&](std::string& text) {
      if (is_valid_utf8(text)) return;
      text = bot::repair_utf8(text);
      repaired = true;
    };
    for (auto& item : items) {
      repair(item.text);
      for (auto& row : item.buttons) {
        for (auto& b : row) repair(b.text);
      }
    }
    if (repaired) {
      count(intents, "text_repaired");
      say(log_level::warn, "telegram reply text was not UTF-8, repaired before recording");
    }
  }

  void counted(const char* name) { count(intents, name); }

  // -- intents --
  using dialogue = domain::conversation::dialogue;

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state* account,
           const bot::start& s, reply_set& out) {
    counted("start");
    const bool new_user = !account || !account->is_registered;
    bool referred = false;
    if (new_user) {
      auto r = client.ask_and_wait<actors::entity_reply>(
          actors::register_user_request{in.user, "", s.referral_code, now_us()});
      if (!r && !s.referral_code.empty()) {
        // A bad referral code does not stop the registration.
        (void)client.ask_and_wait<actors::entity_reply>(actors::register_user_request{in.user, "", "", now_us()});
        out.items.push_back(bot::message("That referral link is not valid; you are registered without it."));
      } else {
        referred = !s.referral_code.empty();
      }
    }
    out.items.push_back(bot::message(bot::welcome_text(new_user, referred), bot::channel_list(channel_list())));
    out.dialogue = dialogue{};
  }

  void act(const actors::inbound_update&, const update&, const dialogue&, const domain::user::state*,
           const bot::help&, reply_set& out) {
    counted("help");
    out.items.push_back(bot::message(bot::help_text(false)));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::list_channels&, reply_set& out) {
    counted("channels");
    auto list = channel_list();
    out.items.push_back(bot::message(list.empty() ? "No channels yet." : "Paid channels:", bot::channel_list(list)));
    (void)in;
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::wallet&, reply_set& out) {
    counted("wallet");
    std::string text = "Your balance:";
    auto balances = reads.user_balances(in.user.value(), 0);
    bool any = false;
    if (balances) {
      for_each_element(*balances, "wallets", [&](const domain::json_value& row) {
        auto asset = row.str("asset");
        auto available = row.str("available");
        auto held = row.str("held");
        if (!asset || !available) return;
        any = true;
        text += "\n" + *available + " " + *asset + (held && *held != "0" ? " (" + *held + " held)" : "");
      });
    }
    if (!any) text += "\n0 USDT";
    if (options.deposit_address) {
      auto address = options.deposit_address(in.user);
      text += address ? "\nYour USDT (BEP-20) deposit address:\n" + *address +
                            "\nDeposits are credited after 12 confirmations."
                      : "\nDeposit address unavailable right now; try again later.";
    } else {
      text += "\nDeposit address: USDT (BEP-20) deposits are not configured yet.";
    }
    out.items.push_back(bot::message(text));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::withdraw& w, reply_set& out) {
    counted("withdraw");
    if (w.amount.empty()) {
      out.items.push_back(bot::message("Send /withdraw AMOUNT ADDRESS, e.g. /withdraw 25 0x... (USDT on BSC, to a "
                                       "wallet of yours)."));
      return;
    }
    auto value = domain::parse_amount(w.amount, domain::asset::usdt);
    if (!value || value->is_zero()) {
      out.items.push_back(bot::message("That amount is not valid: send a USDT amount like 25 or 12.5."));
      return;
    }
    // One withdrawal per update: a redelivered update finds the same id and asks nothing new.
    const std::string id = bot::order_id_for(in.update_id, "wd");
    auto r = client.ask_and_wait<domain::withdrawal::state>(actors::withdrawal_request{
        id, in.user, *value, w.address, domain::telegram_identity(in.user), now_us()});
    if (!r) {
      if (r.code() == errc::insufficient_funds) {
        out.items.push_back(bot::message("Your balance is too low for this withdrawal. /wallet shows it."));
      } else if (r.code() == errc::withdrawal_below_minimum) {
        out.items.push_back(bot::message("That is below the minimum: " + r.error().message + "."));
      } else if (r.code() == errc::chain_not_configured) {
        out.items.push_back(bot::message("Withdrawals are not available on this server yet. Nothing was taken from "
                                         "your balance."));
      } else if (r.code() == errc::payout_address_invalid) {
        out.items.push_back(bot::message("That address is not valid: " + r.error().message));
      } else {
        out.items.push_back(bot::message("The withdrawal could not be recorded; try again later."));
      }
      return;
    }
    const std::string what = domain::format_amount(*value) + " USDT to " + r->address;
    std::string text = "Withdrawal " + id + " of " + what;
    if (r->status == domain::withdrawal::status_kind::awaiting_approval) {
      text += " is held and waits for an operator's approval.";
    } else {
      text += " is on its way.";
    }
    if (!domain::withdrawal::is_final(r->status)) {
      text += " /cancel_withdrawal " + id + " cancels it until it is sent.";
    }
    out.items.push_back(bot::message(text));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::cancel_withdrawal& c, reply_set& out) {
    counted("cancel_withdrawal");
    if (c.id.empty()) {
      out.items.push_back(bot::message("Send /cancel_withdrawal ID with the id your withdrawal's message shows."));
      return;
    }
    // The ledger checks that the withdrawal is this user's and not yet signed.
    auto r = client.ask_and_wait<domain::withdrawal::state>(
        actors::withdrawal_decision{c.id, actors::withdrawal_verdict::cancel,
                                    domain::telegram_identity(in.user), "asked by the user", now_us()});
    if (!r) {
      if (r.code() == errc::withdrawal_not_found || r.code() == errc::invalid_argument) {
        out.items.push_back(bot::message("You have no withdrawal " + c.id + "."));
      } else if (r.code() == errc::withdrawal_state_invalid) {
        out.items.push_back(
            bot::message("Withdrawal " + c.id + " can no longer be cancelled: it was already sent or has ended."));
      } else {
        out.items.push_back(bot::message("Withdrawal " + c.id + " could not be cancelled right now; try again in a "
                                         "moment."));
      }
      return;
    }
    out.items.push_back(bot::message("Withdrawal " + c.id + " of " + domain::format_amount(r->value) + " USDT is " +
                                     "cancelled. The amount is back in your balance."));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::referral&, reply_set& out) {
    counted("referral");
    const std::string code = domain::referral_code_for(in.user);
    std::string text = "Your referral link: https://t.me/" + (username.empty() ? std::string("bot") : username) +
                       "?start=ref_" + code;
    auto r = reads.referral(in.user.value());
    if (r) {
      auto doc = domain::json_document::parse(*r);
      if (doc) {
        auto earnings = doc->root().str("earnings");
        auto tier = doc->root().str("tier");
        auto referees = doc->root().u64("referees");
        auto rank = doc->root().u64("rank");
        text += "\nEarnings: " + (earnings ? *earnings : std::string("0")) + " USDT";
        text += "\nTier: " + (tier ? *tier : std::string("Bronze"));
        text += "\nReferees: " + std::to_string(referees ? *referees : 0);
        if (rank && *rank > 0) text += "\nLeaderboard rank: " + std::to_string(*rank);
      }
    }
    out.items.push_back(bot::message(text));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::subscriptions&, reply_set& out) {
    counted("subscriptions");
    auto page = reads.subscriptions(actors::page_request{"", 50}, in.user.value(), 0, "", 0, now_us());
    std::string text;
    bot::keyboard renew;
    if (page) {
      for_each_element(*page, "items", [&](const domain::json_value& row) {
        auto channel = row.i64("channel_id");
        auto expires = row.time("expires_at");
        if (!channel || !expires) return;
        const bool active = *expires > now_us();
        text += "\nChannel " + std::to_string(*channel) + (active ? ": active until " : ": expired on ") +
                format_utc_micros(*expires).substr(0, 10);
        renew.push_back({domain::notice::button{"Renew " + std::to_string(*channel), "c:" + std::to_string(*channel), ""}});
      });
    }
    out.items.push_back(bot::message(text.empty() ? "You have no subscriptions yet. /channels lists them."
                                                  : "Your subscriptions:" + text,
                                     std::move(renew)));
  }

  /// "/link [channel]": a new personal invite link for each active subscription (or the one
  /// named), for a link that never came (the bot could not create it) or was lost.
  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::resend_link& l, reply_set& out) {
    counted("resend_link");
    auto page = reads.subscriptions(actors::page_request{"", 50}, in.user.value(), l.channel, "active", 0, now_us());
    std::vector<std::int64_t> channels;
    if (page) {
      for_each_element(*page, "items", [&](const domain::json_value& row) {
        auto channel = row.i64("channel_id");
        auto expires = row.time("expires_at");
        if (channel && expires && *expires > now_us() && channels.size() < 3) channels.push_back(*channel);
      });
    }
    if (!page) {
      out.items.push_back(bot::message("Your subscriptions cannot be read right now. Please try /link again in a minute."));
      return;
    }
    if (channels.empty()) {
      out.items.push_back(bot::message(
          l.channel != 0 ? "You have no active subscription to channel " + std::to_string(l.channel) +
                               ". /subscribe " + std::to_string(l.channel)
                         : "You have no active subscription. /channels lists the paid channels."));
      return;
    }
    for (const std::int64_t chat : channels) {
      out.items.push_back(domain::notice::item{domain::notice::kind::invite, chat, "again",
                                               now_us() + domain::notice::invite_lifetime_us, "", {}, 0});
    }
  }

  void act(const actors::inbound_update&, const update&, const dialogue&, const domain::user::state*,
           const bot::show_channel& s, reply_set& out) {
    counted("channel");
    auto c = channel_view_of(s.channel);
    if (!c) {
      out.items.push_back(bot::message("That channel is not available."));
      return;
    }
    out.items.push_back(bot::message(bot::channel_text(*c), bot::channel_keyboard(*c)));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue& d, const domain::user::state*,
           const bot::show_tier& t, reply_set& out) {
    counted("tier");
    auto c = channel_view_of(t.channel);
    if (!c || t.tier > c->tiers.size()) {
      out.items.push_back(bot::message("That tier is not available."));
      return;
    }
    const std::string coupon = d.channel == t.channel && d.tier == t.tier ? d.coupon : "";
    out.items.push_back(
        bot::message(bot::tier_text(*c, c->tiers[t.tier - 1], coupon), bot::tier_keyboard(t.channel, t.tier)));
    out.dialogue = offer(t.channel, t.tier, "", coupon, in.received_at_us);
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::ask_coupon& a, reply_set& out) {
    counted("coupon_asked");
    out.items.push_back(bot::message("Send the coupon code as a message."));
    out.dialogue = dialogue{domain::conversation::mode::coupon, a.channel, a.tier, "", 0, in.received_at_us, ""};
  }

  void act(const actors::inbound_update& in, const update&, const dialogue& d, const domain::user::state*,
           const bot::text& t, reply_set& out) {
    if (d.mode != domain::conversation::mode::coupon) {
      counted("text");
      out.items.push_back(bot::message("I did not understand that. /help lists what I can do."));
      return;
    }
    counted("coupon_typed");
    auto code = domain::coupon::normalize_code(t.value);
    auto c = channel_view_of(d.channel);
    if (!code || !c || d.tier == 0 || d.tier > c->tiers.size()) {
      out.items.push_back(bot::message("That is not a valid coupon code."));
      out.dialogue = dialogue{};
      return;
    }
    auto coupon = client.ask_and_wait<domain::coupon::state>(actors::coupon_query{*code});
    const domain::amount price(domain::asset::usd, static_cast<u128>(c->tiers[d.tier - 1].price_cents));
    auto discount = coupon ? domain::coupon::quote(*coupon, in.user, domain::channel_id(d.channel), d.tier, price,
                                                   now_us())
                           : result<domain::amount>(coupon.error());
    if (!discount) {
      out.items.push_back(bot::message("Coupon " + *code + " cannot be used here: " + bot::refusal_words(discount.code()) + "."));
      out.dialogue = dialogue{};
      return;
    }
    out.items.push_back(bot::message("Coupon " + *code + " takes " + domain::format_amount(*discount) +
                                         " USD off.\n" + bot::tier_text(*c, c->tiers[d.tier - 1], *code),
                                     bot::tier_keyboard(d.channel, d.tier)));
    out.dialogue = offer(d.channel, d.tier, "", *code, in.received_at_us);
  }

  void pay_by_invoice(const actors::inbound_update& in, std::int64_t channel, std::uint32_t tier, std::int64_t cents,
                      const std::string& coupon, reply_set& out) {
    auto channel_id = domain::make_channel_id(channel);
    if (!channel_id || !make_invoice) {
      out.items.push_back(bot::message("Crypto payments are not available right now."));
      return;
    }
    actors::invoice_create_request req;
    req.order_id = bot::order_id_for(in.update_id, tier ? "sub" : "don");
    req.buyer = in.user;
    req.channel = *channel_id;
    req.tier = tier;
    req.donation_usd = domain::amount(domain::asset::usd, static_cast<u128>(cents));
    req.coupon = coupon;
    req.now_us = now_us();
    auto done = std::make_shared<std::promise<result<std::string>>>();
    auto url_future = done->get_future();
    make_invoice(std::move(req), [done](result<std::string> url) { done->set_value(std::move(url)); });
    auto url = url_future.get();
    if (!url) {
      out.items.push_back(bot::message("The invoice could not be created: " + bot::refusal_words(url.code()) + "."));
      return;
    }
    out.items.push_back(bot::message("Your invoice is ready. Pay it within its validity; access follows the payment.",
                                     {{domain::notice::button{"Pay with crypto", "", *url}}}));
  }

  void pay_from_balance(const actors::inbound_update& in, std::int64_t channel, std::uint32_t tier, std::int64_t cents,
                        const std::string& coupon, reply_set& out) {
    auto channel_id = domain::make_channel_id(channel);
    if (!channel_id) return;
    actors::purchase_request req{bot::order_id_for(in.update_id, tier ? "sub" : "don"), in.user, *channel_id, tier,
                                 domain::amount(domain::asset::usd, static_cast<u128>(cents)), coupon, now_us()};
    auto r = client.ask_and_wait<actors::process_reply>(req);
    if (r) {
      if (!coupon.empty()) out.dialogue = dialogue{};  // the coupon is spent
      out.items.push_back(bot::message(tier ? "Paid from your balance."
                                            : "Thank you! Your donation of " +
                                                  bot::format_cents(cents) + " USD was paid."));
      return;
    }
    if (r.code() == errc::insufficient_funds) {
      out.items.push_back(bot::message("Your balance is too low for this. /wallet shows it; pay with crypto instead."));
    } else {
      out.items.push_back(bot::message("The payment was refused: " + bot::refusal_words(r.code()) + "."));
    }
  }

  /// A pay button was pressed: the offer's keyboard goes (editMessageReplyMarkup), so a second
  /// press of the same button cannot start a second payment for one offer.
  static void close_offer(const update& u, reply_set& out) {
    if (u.message_id > 0) out.items.push_back(bot::edit_buttons(u.message_id));
  }

  /// The pay buttons just shown, kept server-side: a press pays for this and nothing else.
  static dialogue offer(std::int64_t channel, std::uint32_t tier, std::string amount, std::string coupon,
                        std::int64_t at_us) {
    return dialogue{domain::conversation::mode::offer, channel, tier, std::move(amount), 0, at_us, std::move(coupon)};
  }

  /// Whether a pay button is the offer the bot made last (not an older one, not one already
  /// used, not forged: the amount comes from the server's record, never from the button). When
  /// it is not, the press is answered and changes nothing; when it is, the offer is used up, so
  /// a second press cannot order again.
  bool take_offer(const update& u, const dialogue& d, std::int64_t channel, std::uint32_t tier, std::int64_t cents,
                  reply_set& out) {
    const bool offered = d.mode == domain::conversation::mode::offer && d.channel == channel && d.tier == tier &&
                         (tier != 0 || d.digits == bot::format_cents(cents));
    if (!offered) {
      counted("stale_offer");
      out.items.push_back(bot::answer(u.callback_id, "This offer is no longer valid."));
      close_offer(u, out);
      return false;
    }
    close_offer(u, out);
    out.dialogue = dialogue{};
    return true;
  }

  void act(const actors::inbound_update& in, const update& u, const dialogue& d, const domain::user::state*,
           const bot::pay_invoice& p, reply_set& out) {
    counted("pay_invoice");
    if (!take_offer(u, d, p.channel, p.tier, 0, out)) return;
    pay_by_invoice(in, p.channel, p.tier, 0, d.coupon, out);
  }

  void act(const actors::inbound_update& in, const update& u, const dialogue& d, const domain::user::state*,
           const bot::pay_balance& p, reply_set& out) {
    counted("pay_balance");
    if (!take_offer(u, d, p.channel, p.tier, 0, out)) return;
    pay_from_balance(in, p.channel, p.tier, 0, d.coupon, out);
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::donate& p, reply_set& out) {
    counted("donate");
    auto c = channel_view_of(p.channel);
    if (!c || !c->donations) {
      out.items.push_back(bot::message("That channel does not take donations."));
      return;
    }
    out.items.push_back(bot::message(bot::keypad_text(c->title, ""), bot::keypad_keyboard()));
    out.dialogue = dialogue{domain::conversation::mode::donation, p.channel, 0, "", 0, in.received_at_us, ""};
  }

  void act(const actors::inbound_update& in, const update& u, const dialogue& d, const domain::user::state*,
           const bot::keypad& k, reply_set& out) {
    counted("keypad");
    if (d.mode != domain::conversation::mode::donation) {
      out.items.push_back(bot::answer(u.callback_id, "This keypad is closed."));
      return;
    }
    auto c = channel_view_of(d.channel);
    const std::string title = c ? c->title : std::to_string(d.channel);
    auto r = bot::press(d.digits, k.key, d.started_at_us, in.received_at_us,
                        std::chrono::duration_cast<std::chrono::microseconds>(options.keypad_timeout).count());
    switch (r.outcome) {
      case bot::key_outcome::typing:
        out.items.push_back(bot::answer(u.callback_id));
        out.items.push_back(bot::edit(u.message_id, bot::keypad_text(title, r.digits), bot::keypad_keyboard()));
        out.dialogue = d;
        out.dialogue->digits = r.digits;
        out.dialogue->message_id = u.message_id;
        return;
      case bot::key_outcome::refused:
        out.items.push_back(bot::answer(u.callback_id, r.reason));
        return;
      case bot::key_outcome::cancelled:
        out.items.push_back(bot::answer(u.callback_id, "Cancelled."));
        out.items.push_back(bot::edit(u.message_id, "Donation cancelled."));
        out.dialogue = dialogue{};
        return;
      case bot::key_outcome::timed_out:
        out.items.push_back(bot::answer(u.callback_id, "The keypad timed out."));
        out.items.push_back(bot::edit(u.message_id, "The donation keypad timed out. /donate " +
                                                        std::to_string(d.channel) + " starts again."));
        out.dialogue = dialogue{};
        return;
      case bot::key_outcome::confirmed:
        out.items.push_back(bot::answer(u.callback_id));
        out.items.push_back(bot::edit(
            u.message_id,
            "Donation to " + title + ": " + bot::format_cents(r.cents) + " USD. How do you pay?",
            bot::donation_pay_keyboard(d.channel, r.cents)));
        out.dialogue = offer(d.channel, 0, bot::format_cents(r.cents), "", in.received_at_us);
        return;
    }
  }

  void act(const actors::inbound_update& in, const update& u, const dialogue& d, const domain::user::state*,
           const bot::donate_invoice& p, reply_set& out) {
    counted("donate_invoice");
    if (!take_offer(u, d, p.channel, 0, p.cents, out)) return;
    pay_by_invoice(in, p.channel, 0, p.cents, "", out);
  }

  void act(const actors::inbound_update& in, const update& u, const dialogue& d, const domain::user::state*,
           const bot::donate_balance& p, reply_set& out) {
    counted("donate_balance");
    if (!take_offer(u, d, p.channel, 0, p.cents, out)) return;
    pay_from_balance(in, p.channel, 0, p.cents, "", out);
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::join_request& j, reply_set& out) {
    counted("join_request");
    auto channel = domain::make_channel_id(j.channel);
    bool active = false;
    if (channel) {
      auto s = client.ask_and_wait<domain::subscription::state>(actors::subscription_query{in.user, *channel});
      active = s && s->active_at(now_us());
    }
    domain::notice::item decision;
    decision.type = active ? domain::notice::kind::approve : domain::notice::kind::decline;
    decision.chat_id = j.channel;
    if (active && j.invite_link.size() <= 64) decision.ref = j.invite_link;  // revoked once approved
    out.items.push_back(decision);
    if (!active) {
      out.items.push_back(bot::message("Your request to join channel " + std::to_string(j.channel) +
                                       " was declined: it needs an active subscription. /subscribe " +
                                       std::to_string(j.channel)));
    }
  }

  void act(const actors::inbound_update&, const update&, const dialogue&, const domain::user::state*,
           const bot::admin_stats&, reply_set& out) {
    counted("admin_stats");
    std::uint64_t users = 0;
    std::uint64_t active = 0;
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {  // at most 100k users counted here
      auto page = reads.users(actors::page_request{cursor, 1000});
      if (!page) break;
      auto doc = domain::json_document::parse(*page);
      auto items = doc ? doc->root().field("items") : result<domain::json_value>(make_error(errc::not_found, ""));
      auto rows = items ? items->elements() : result<std::vector<domain::json_value>>(items.error());
      if (!rows) break;
      users += rows->size();
      auto next = doc->root().str("next_cursor");
      if (!next || next->empty()) break;
      cursor = *next;
    }
    auto subs = reads.subscriptions(actors::page_request{"", 1000}, 0, 0, "active", 0, now_us());
    if (subs) for_each_element(*subs, "items", [&](const domain::json_value&) { ++active; });
    std::lock_guard lock(counters_mutex);
    out.items.push_back(bot::message(
        "Users: " + std::to_string(users) + "\nActive subscriptions (first 1000): " +
        std::to_string(active) + "\nMessages sent: " + std::to_string(deliveries["sent"])));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::admin_ban& b, reply_set& out) {
    counted(b.ban ? "admin_ban" : "admin_unban");
    auto target = domain::make_user_id(b.user);
    if (!target) return;
    const std::string by = domain::telegram_identity(in.user);
    domain::user::command cmd = b.ban ? domain::user::command(domain::user::ban{"banned by a bot admin", by})
                                      : domain::user::command(domain::user::unban{by});
    auto r = client.ask_and_wait<actors::entity_reply>(actors::user_admin_request{*target, cmd, now_us()});
    out.items.push_back(bot::message(r ? "User " + std::to_string(b.user) + (b.ban ? " banned." : " unbanned.")
                                       : "Refused: " + r.error().message));
  }

  void act(const actors::inbound_update& in, const update&, const dialogue&, const domain::user::state*,
           const bot::admin_broadcast& b, reply_set& out) {
    counted("admin_broadcast");
    const std::string id = bot::order_id_for(in.update_id, "bc");
    auto r = client.ask_and_wait<actors::entity_reply>(actors::broadcast_request{
        id,
        domain::broadcast::start{b.message, "all", domain::telegram_identity(in.user)},
        now_us()});
    out.items.push_back(bot::message(r ? "Broadcast " + id + " started to all users (25 messages/s)."
                                       : "Broadcast refused: " + r.error().message));
  }

  void act(const actors::inbound_update&, const update& u, const dialogue&, const domain::user::state*,
           const bot::stale_button&, reply_set& out) {
    counted("stale_button");
    out.items.push_back(bot::answer(u.callback_id, "This button is no longer valid."));
  }

  void act(const actors::inbound_update&, const update&, const dialogue&, const domain::user::state*,
           const bot::unknown_command& c, reply_set& out) {
    counted("unknown_command");
    out.items.push_back(bot::message("Unknown command " + c.command + ". /help lists what I can do."));
  }

  void act(const actors::inbound_update&, const update&, const dialogue&, const domain::user::state*,
           const bot::ignore&, reply_set&) {
    counted("ignored");
  }
};

service::service(std::shared_ptr<impl> state) : impl_(std::move(state)) {}

result<std::unique_ptr<service>> service::create(service_options options, actors::ledger_client& client,
                                                 const actors::ledger_reads& reads, actors::outbox_feed& outbox,
                                                 invoice_maker make_invoice) {
  if (!valid_bot_token(options.token)) {
    return make_error(errc::invalid_argument, "the Telegram bot token is empty or malformed");
  }
  if (options.mode != "polling" && options.mode != "webhook") {
    return make_error(errc::invalid_argument, "telegram mode is polling or webhook");
  }
  if (options.mode == "webhook" && (options.webhook_secret.empty() || options.webhook_secret.size() > 256)) {
    return make_error(errc::invalid_argument, "webhook mode needs a secret of 1-256 characters");
  }
  for (char c : options.webhook_secret) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (!ok) return make_error(errc::invalid_argument, "the webhook secret is A-Z a-z 0-9 _ - only");
  }
  auto parsed = http::parse_url(options.api_base);
  if (!parsed) return parsed.error();
  auto state = std::make_shared<impl>(std::move(options), client, reads, outbox, std::move(make_invoice));
  auto probe = state->new_client(std::chrono::milliseconds(1000));
  if (!probe) return probe.error();
  return std::unique_ptr<service>(new service(std::move(state)));
}

service::~service() { stop(); }

status service::start() {
  auto c = impl_->new_client(impl_->options.http.timeout);
  if (!c) return c.error();
  auto me = impl_->call(**c, "getMe", "{}");
  if (!me) return me.error();
  if (!me->reply.ok) {
    return make_error(errc::upstream_failed, "getMe refused: " + utf8_prefix(me->reply.description, 200));
  }
  auto* raw = impl_.get();
  // The workers start before setWebhook: Telegram may deliver as soon as the hook is set. Once
  // only, since a failed start is tried again; the username they read is set before them.
  if (impl_->workers.empty()) {
    if (auto doc = domain::json_document::parse(me->reply.result)) {
      if (auto name = doc->root().str("username")) impl_->username = *name;
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->options.bot_threads); ++i) {
      impl_->workers.emplace_back([raw] { raw->work_loop(); });
    }
    impl_->working = true;
  }
  if (impl_->options.mode == "webhook") {
    std::string body = "{\"allowed_updates\":[\"message\",\"callback_query\",\"chat_join_request\",\"chat_member\"],"
                       "\"secret_token\":";
    append_json_string(body, impl_->options.webhook_secret);
    body += ",\"url\":";
    append_json_string(body, impl_->options.webhook_url);
    body += "}";
    auto set = impl_->call(**c, "setWebhook", body);
    if (!set) return set.error();
    if (!set->reply.ok) {
      return make_error(errc::upstream_failed,
                        "setWebhook refused: " + utf8_prefix(set->reply.description, 200));
    }
  } else {
    auto del = impl_->call(**c, "deleteWebhook", "{}");
    if (!del) return del.error();
    impl_->poller = std::thread([raw] { raw->poll_loop(); });
  }
  impl_->sender = std::thread([raw] { raw->send_loop(); });
  impl_->broadcaster = std::thread([raw] { raw->broadcast_loop(); });
  return {};
}

void service::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  impl_->work_ready.notify_all();
  if (impl_->poller.joinable()) impl_->poller.join();
  if (impl_->sender.joinable()) impl_->sender.join();
  if (impl_->broadcaster.joinable()) impl_->broadcaster.join();
  for (auto& w : impl_->workers) {
    if (w.joinable()) w.join();
  }
}

status service::record_update(std::string_view raw) { return impl_->record(raw); }

void service::handle_webhook(const http::request& req, http::responder reply) {
  std::string_view given;
  for (const auto& [name, value] : req.headers) {
    if (lower_ascii(name) == "x-telegram-bot-api-secret-token") given = value;
  }
  if (!constant_time_equal(given, impl_->options.webhook_secret) || impl_->options.mode != "webhook") {
    impl_->count(impl_->updates, "webhook_rejected");
    reply(http::error_response(401, "unauthorized", "missing or wrong X-Telegram-Bot-Api-Secret-Token"));
    return;
  }
  // Refused on the io thread: a body that is not an update needs no worker and no ledger.
  if (auto u = read_update(req.body); !u) {
    impl_->count(impl_->updates, "invalid");
    reply(http::error_response(400, "invalid_argument", u.error().message));
    return;
  }
  // Until start() has the workers running, posted work would wait unanswered (a refused token
  // never starts them): tell Telegram to deliver again instead of holding the connection.
  if (!impl_->working.load()) {
    impl_->count(impl_->updates, "not_started");
    reply(http::error_response(503, "unavailable", "the Telegram gateway is not started yet; deliver it again"));
    return;
  }
  auto self = impl_;
  std::string body = req.body;
  self->post([self, body = std::move(body), reply] {
    auto s = self->record(body);
    if (!s && s.code() == errc::invalid_argument) {
      reply(http::error_response(400, "invalid_argument", s.error().message));
    } else if (!s) {
      reply(http::error_response(503, "unavailable", "the update was not recorded; deliver it again"));
    } else {
      reply(http::json_response(200, "{}"));
    }
  });
}

void service::handle_update(const actors::inbound_update& update, std::function<void()> done) {
  auto self = impl_;
  self->post([self, update, done = std::move(done)] {
    if (!self->stopping.load()) self->handle(update);
    done();
  });
}

std::string service::metrics_text() const {
  std::lock_guard lock(impl_->counters_mutex);
  std::string out =
      "# HELP telepay_telegram_updates_total Telegram updates received, by outcome.\n"
      "# TYPE telepay_telegram_updates_total counter\n";
  for (const auto& [k, v] : impl_->updates) {
    out += "telepay_telegram_updates_total{outcome=\"" + k + "\"} " + std::to_string(v) + "\n";
  }
  out += "# HELP telepay_telegram_deliveries_total Outbox sends, by outcome.\n"
         "# TYPE telepay_telegram_deliveries_total counter\n";
  for (const auto& [k, v] : impl_->deliveries) {
    out += "telepay_telegram_deliveries_total{outcome=\"" + k + "\"} " + std::to_string(v) + "\n";
  }
  out += "# HELP telepay_telegram_intents_total Bot actions, by intent.\n"
         "# TYPE telepay_telegram_intents_total counter\n";
  for (const auto& [k, v] : impl_->intents) {
    out += "telepay_telegram_intents_total{intent=\"" + k + "\"} " + std::to_string(v) + "\n";
  }
  out += "# HELP telepay_telegram_outbox_pending Notices not yet delivered.\n"
         "# TYPE telepay_telegram_outbox_pending gauge\n"
         "telepay_telegram_outbox_pending " + std::to_string(impl_->outbox.pending()) + "\n";
  return out;
}

const std::string& service::bot_username() const { return impl_->username; }

void service::set_webhook_url(std::string url) { impl_->options.webhook_url = std::move(url); }

const std::string& service::webhook_url() const { return impl_->options.webhook_url; }

}  // namespace telepay::gateways::telegram
