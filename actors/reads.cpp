#include "actors/reads.hpp"

#include <charconv>
#include <set>

#include "domain/base/json.hpp"
#include "domain/codec/json.hpp"
#include "projections/export.hpp"
#include "projections/host.hpp"
#include "projections/point_in_time.hpp"
#include "projections/statement.hpp"

namespace telepay::actors {
namespace {

using projections::model_set;

constexpr std::size_t page_limit_max = 1000;

std::size_t clamp_limit(std::size_t limit) {
  return limit == 0 ? 100 : std::min(limit, page_limit_max);
}

/// Adds fields in front of a row's JSON object ("{...}" -> "{\"k\":v,...}").
std::string with_fields(const std::string& prefix_fields, const std::string& row_json) {
  if (row_json.size() <= 2) {
    return "{" + prefix_fields + "}";
  }
  return "{" + prefix_fields + "," + row_json.substr(1);
}

/// A row as a list item: its own JSON, which names what it is by its ids (user_id, channel_id,
/// batch_id...). The table key is only the page's opaque cursor.
const auto as_is = [](const std::string&, const auto& row) { return row.to_json(); };

/// Whether a page may start after a key that is no longer in the table (a blacklist entry
/// removed while an operator pages through the list).
enum class cursor_check { must_exist, may_be_gone };

/// One page of a table's rows that pass `keep`, each rendered by `render` (default: as is).
/// A cursor is the next_cursor of an earlier page: one that is not a key of the table is
/// refused naming it, not answered with a page that starts somewhere else.
template <class Table, class Keep, class Render = decltype(as_is)>
result<std::string> page_of(const Table& table, const page_request& page, Keep keep, Render render = as_is,
                            cursor_check check = cursor_check::must_exist) {
  if (check == cursor_check::must_exist && !page.cursor.empty() && table.find(page.cursor) == nullptr) {
    return make_error(errc::invalid_argument, "query parameter cursor is not a next_cursor this list gave");
  }
  const std::size_t limit = clamp_limit(page.limit);
  std::string items;
  std::size_t count = 0;
  std::string last;
  bool more = false;
  table.scan(page.cursor, [&](const std::string& key, const auto& row) {
    if (!keep(key, row)) {
      return true;
    }
    if (count == limit) {
      more = true;
      return false;
    }
    items += count++ ? "," : "";
    items += render(key, row);
    last = key;
    return true;
  });
  // has_more and next_cursor say the same thing: clients test the one, pass the other back.
  std::string out = std::string("{\"has_more\":") + (more ? "true" : "false") + ",\"items\":[" + items +
                    "],\"next_cursor\":";
  if (more) {
    append_json_string(out, last);
  } else {
    out += "null";
  }
  out += "}";
  return out;
}

/// A zero-padded decimal key (users, audit log) as its number; 0 for anything else.
std::uint64_t padded_number(const std::string& key) {
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), out);
  return ec == std::errc() && end == key.data() + key.size() ? out : 0;
}

/// "name":"text" as a field to put in front of a row's JSON.
std::string text_field(std::string_view name, const std::string& text) {
  std::string out = "\"" + std::string(name) + "\":";
  append_json_string(out, text);
  return out;
}

const auto keep_all = [](const std::string&, const auto&) { return true; };

/// "referral_code":"r..." for a user: the code a referee gives (/start ref_CODE, or
/// referral_code on registration).
std::string referral_code_field(std::int64_t user_id) {
  auto id = domain::make_user_id(user_id);
  std::string out = "\"referral_code\":";
  append_json_string(out, id ? domain::referral_code_for(*id) : std::string());
  return out;
}

}  // namespace

ledger_reads::ledger_reads(eventstore::event_store& store, projections::projection_host& host)
    : store_(store), host_(host) {}

ledger_reads::~ledger_reads() = default;

result<std::string> ledger_reads::user(std::int64_t user_id) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    const auto* row = m.user.find(projections::padded(static_cast<std::uint64_t>(user_id)));
    if (row == nullptr) {
      return make_error(errc::not_found, "no user " + std::to_string(user_id));
    }
    return with_fields(referral_code_field(user_id) + ",\"user_id\":" + std::to_string(user_id), row->to_json());
  });
}

result<std::string> ledger_reads::users(const page_request& page) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.user, page, keep_all, [](const std::string& key, const projections::user_row& row) {
      const auto id = static_cast<std::int64_t>(padded_number(key));
      return with_fields(referral_code_field(id) + ",\"user_id\":" + std::to_string(id), row.to_json());
    });
  });
}

result<std::string> ledger_reads::user_balances(std::int64_t user_id, std::uint64_t at_seq) const {
  auto user = domain::make_user_id(user_id);
  if (!user) return user.error();
  TELEPAY_TRY(body, account_balances(domain::wallet_owner::of(*user), at_seq));
  return "{\"user_id\":" + std::to_string(user_id) + "," + body.substr(1);
}

result<std::string> ledger_reads::account_balances(const domain::wallet_owner& owner, std::uint64_t at_seq) const {
  std::string items;
  if (at_seq == 0) {
    items = host_.read([&](const model_set& m) {
      std::string out;
      m.balance.scan_prefix("wallet-" + owner.text() + "-",
                            [&](const std::string& key, const projections::balance_row& row) {
                              out += out.empty() ? "" : ",";
                              std::string stream = "\"stream\":";
                              append_json_string(stream, key);
                              out += with_fields(stream, row.to_json());
                            });
      return out;
    });
  } else {
    for (domain::asset a : domain::asset_all) {
      const domain::wallet_key key{owner, a};
      auto row = projections::balance_at(store_, key, at_seq);
      if (!row) return row.error();
      if (row->events == 0) continue;
      items += items.empty() ? "" : ",";
      std::string stream = "\"stream\":";
      append_json_string(stream, key.stream());
      items += with_fields(stream, row->to_json());
    }
  }
  std::string out = at_seq == 0 ? "{\"as_of\":\"now\"" : "{\"as_of_seq\":" + std::to_string(at_seq);
  out += ",\"owner\":";
  append_json_string(out, owner.text());
  return out + ",\"wallets\":[" + items + "]}";
}

result<std::string> ledger_reads::statement(const domain::wallet_key& wallet, std::uint64_t after_version,
                                            std::size_t limit) const {
  TELEPAY_TRY(page, projections::statement(store_, wallet, after_version, clamp_limit(limit), store_.head_seq()));
  std::vector<std::string> lines;
  lines.reserve(page.lines.size());
  for (const auto& line : page.lines) lines.push_back(line.to_json());
  std::string out;
  {
    domain::json_object_writer w(out);
    w.str("asset", domain::asset_code(wallet.currency))
        .money("available", page.closing_available)
        .str("balance", page.closing_balance)
        .boolean("has_more", page.has_more)
        .money("held", page.closing_held)
        .raw("lines", domain::json_array(lines));
    if (page.has_more) w.u64("next_after_version", page.last_version);
    w.str("owner", wallet.owner.text()).str("stream", wallet.stream());
  }
  return out;
}

result<std::string> ledger_reads::wallets(const page_request& page, const std::string& owner,
                                          const std::string& kind) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.balance, page, [&](const std::string&, const projections::balance_row& r) {
      if (!owner.empty() && r.owner != owner) return false;  // exact: "4" is not "42"
      if (kind.empty()) return true;
      auto parsed = domain::parse_wallet_owner(r.owner);
      if (!parsed) return false;
      switch (parsed->type) {
        case domain::wallet_owner::kind::user: return kind == "user";
        case domain::wallet_owner::kind::channel: return kind == "channel";
        case domain::wallet_owner::kind::system: return kind == "system";
      }
      return false;
    }, [](const std::string& stream, const projections::balance_row& row) {
      return with_fields(text_field("stream", stream), row.to_json());
    });
  });
}

result<std::uint64_t> ledger_reads::seq_at(std::int64_t at_us) const {
  return projections::seq_at_time(store_, at_us);
}

result<std::string> ledger_reads::referral(std::int64_t user_id) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    if (m.user.find(projections::padded(static_cast<std::uint64_t>(user_id))) == nullptr) {
      return make_error(errc::not_found, "no user " + std::to_string(user_id));  // not 200 with zeros
    }
    const auto* row = m.referral.find(projections::padded(static_cast<std::uint64_t>(user_id)));
    projections::referral_row empty;
    empty.referrer = user_id;
    empty.tier = "Bronze";
    return with_fields("\"rank\":" + std::to_string(m.referral.rank(user_id)) + "," + referral_code_field(user_id),
                       (row ? *row : empty).to_json());
  });
}

result<std::string> ledger_reads::leaderboard(std::size_t limit, std::size_t offset) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    std::string out = "{\"items\":[";
    std::size_t rank = offset;
    bool first = true;
    for (const auto* row : m.referral.leaderboard(clamp_limit(limit), offset)) {
      out += first ? "" : ",";
      first = false;
      out += with_fields("\"rank\":" + std::to_string(++rank), row->to_json());
    }
    return out + "]}";
  });
}

result<std::string> ledger_reads::subscriptions(const page_request& page, std::int64_t user_id,
                                                std::int64_t channel_id, const std::string& status,
                                                std::uint32_t within_days,
                                                std::int64_t now_us) const {
  const std::int64_t horizon = now_us + static_cast<std::int64_t>(within_days) * 86'400'000'000;
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.subscription, page, [&](const std::string&, const projections::subscription_row& s) {
      if ((user_id != 0 && s.user != user_id) || (channel_id != 0 && s.channel != channel_id)) {
        return false;
      }
      const bool active = s.expires_at_us > now_us;
      if (status == "active") return active;
      if (status == "expiring") return active && s.expires_at_us <= horizon;
      if (status == "expired") return !active;
      return true;
    });
  });
}

result<std::string> ledger_reads::channel(std::int64_t channel_id) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    const auto* row = m.channel.find(std::to_string(channel_id));
    if (row == nullptr) {
      return make_error(errc::channel_not_found, "no channel " + std::to_string(channel_id));
    }
    return row->to_json();
  });
}

result<std::string> ledger_reads::channels(const page_request& page) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.channel, page, keep_all);
  });
}

result<std::string> ledger_reads::payouts(const page_request& page, std::int64_t channel_id,
                                          const std::string& status) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.payout, page, [&](const std::string&, const projections::payout_row& p) {
      return (channel_id == 0 || p.channel == channel_id) && (status.empty() || p.status == status);
    });
  });
}

result<std::string> ledger_reads::processes(const page_request& page, const std::string& kind,
                                            const std::string& status, const time_range& started) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.process, page, [&](const std::string&, const projections::process_row& p) {
      return (kind.empty() || p.kind == kind) && (status.empty() || p.status == status) &&
             started.holds(p.started_at_us);
    });
  });
}

result<std::string> ledger_reads::invoice(const std::string& order_id) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    const auto* row = m.invoice.find(order_id);
    if (row == nullptr) {
      return make_error(errc::invoice_not_found, "no invoice for order '" + order_id.substr(0, 48) + "'");
    }
    return row->to_json();
  });
}

result<std::string> ledger_reads::invoices(const page_request& page, std::int64_t user_id,
                                           const std::string& status, const time_range& created) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.invoice, page, [&](const std::string&, const projections::invoice_row& r) {
      // "review": every invoice with a payment an operator must look at, whatever its status.
      return (user_id == 0 || r.user == user_id) && created.holds(r.created_at_us) &&
             (status.empty() || r.status() == status || (status == "review" && r.review()));
    });
  });
}

std::vector<std::pair<std::string, std::uint64_t>> ledger_reads::unsettled_payments(
    std::int64_t before_us, std::size_t limit) const {
  return host_.read([&](const model_set& m) { return m.invoice.unsettled(before_us, limit); });
}

std::vector<ledger_reads::due_subscription> ledger_reads::due_subscriptions(std::int64_t now_us,
                                                                           std::size_t limit) const {
  return host_.read([&](const model_set& m) {
    std::vector<due_subscription> out;
    for (const auto& d : m.subscription.due(now_us, limit)) {
      out.push_back(due_subscription{d.user, d.channel, d.kind == domain::subscription::due_kind::expire});
    }
    return out;
  });
}

result<std::string> ledger_reads::manual_deposits(const page_request& page, const std::string& status) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.manual_deposit, page, [&](const std::string&, const projections::manual_deposit_row& r) {
      return status.empty() || r.status == status;
    }, [](const std::string& request_id, const projections::manual_deposit_row& row) {
      return with_fields(text_field("id", request_id), row.to_json());
    });
  });
}

result<std::string> ledger_reads::blacklist(const page_request& page) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.blocked, page, keep_all, as_is, cursor_check::may_be_gone);
  });
}

std::vector<std::pair<std::string, std::int64_t>> ledger_reads::deposit_address_page(std::uint64_t chain_id,
                                                                                   const std::string& after_key,
                                                                                   std::size_t limit,
                                                                                   std::string& next) const {
  const std::string prefix = std::to_string(chain_id) + ":";
  return host_.read([&](const model_set& m) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    next.clear();
    m.deposit_address.scan(after_key.empty() ? prefix : after_key,
                           [&](const std::string& key, const projections::deposit_address_row& r) {
                             if (key.compare(0, prefix.size(), prefix) != 0) return false;
                             out.emplace_back(key.substr(prefix.size()), r.user);
                             next = key;
                             return out.size() < limit;
                           });
    if (out.size() < limit) next.clear();
    return out;
  });
}

result<std::string> ledger_reads::chain_deposits(const page_request& page, std::int64_t user_id,
                                                 const std::string& status) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.chain_deposit, page, [&](const std::string&, const projections::chain_deposit_row& r) {
      return (user_id == 0 || r.user == user_id) && (status.empty() || r.status == status);
    });
  });
}

result<std::string> ledger_reads::withdrawals(const page_request& page, std::int64_t user_id,
                                              const std::string& status) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.withdrawal, page, [&](const std::string&, const projections::withdrawal_row& r) {
      return (user_id == 0 || r.user == user_id) && (status.empty() || r.status == status);
    });
  });
}

result<std::string> ledger_reads::withdrawal(const std::string& id) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    const auto* row = m.withdrawal.find(id);
    if (row == nullptr) return make_error(errc::withdrawal_not_found, "no withdrawal " + id.substr(0, 64));
    return row->to_json();
  });
}

result<std::string> ledger_reads::audit_log(const page_request& page, const std::string& token,
                                            const time_range& recorded) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(m.audit, page, [&](const std::string&, const projections::audit_row& r) {
      return (token.empty() || r.token == token) && recorded.holds(r.recorded_at_us);
    }, [](const std::string& seq, const projections::audit_row& row) {
      return with_fields("\"seq\":" + std::to_string(padded_number(seq)), row.to_json());
    });
  });
}

std::optional<recorded_answer> ledger_reads::recorded(const std::string& token, const std::string& method,
                                                      const std::string& path, const std::string& key) const {
  return host_.read([&](const model_set& m) -> std::optional<recorded_answer> {
    const auto* row = m.audit.find_request({token, method, path, key});
    if (row == nullptr) {
      return std::nullopt;
    }
    return recorded_answer{row->status, row->response, row->request_sha256, row->recorded_at_us};
  });
}

std::optional<auth_token> ledger_reads::token(const std::string& token_id) const {
  return host_.read([&](const model_set& m) -> std::optional<auth_token> {
    const auto* row = m.token.find(token_id);
    if (row == nullptr) {
      return std::nullopt;
    }
    auto access = domain::parse_role(row->role);
    return auth_token{access ? *access : domain::role::auditor,
                      row->secret_sha256,
                      row->allowed_cidrs,
                      row->rate_per_second,
                      row->burst,
                      row->revoked || !access,
                      row->identity,
                      row->pending};
  });
}

result<std::string> ledger_reads::tokens(const page_request& page) const {
  return host_.read([&](const model_set& m) -> result<std::string> {
    // Not the row's JSON: that carries the secret's hash.
    return page_of(m.token, page, keep_all, [](const std::string& id, const projections::token_row& row) {
      std::string item;
      {
        domain::json_object_writer w(item);
        w.raw("allowed_cidrs", domain::json_string_array(row.allowed_cidrs))
            .u64("burst", row.burst)
            .str("label", row.label)
            .str("minted_by", row.minted_by)
            .str("operator", row.identity.starts_with("op:") ? row.identity.substr(3) : row.identity)
            .boolean("pending", row.pending)
            .u64("rate_per_second", row.rate_per_second)
            .boolean("revoked", row.revoked)
            .str("role", row.role)
            .str("token_id", id);
      }
      return item;
    });
  });
}

result<std::string> ledger_reads::coupons(const page_request& page, const std::string& status,
                                          std::int64_t now_us) const {
  const auto status_of = [now_us](const projections::coupon_row& c) -> std::string_view {
    if (c.disabled) return "disabled";
    if (c.expires_at_us != 0 && c.expires_at_us <= now_us) return "expired";
    if (c.usage_limit != 0 && c.uses >= c.usage_limit) return "exhausted";
    return "active";
  };
  return host_.read([&](const model_set& m) -> result<std::string> {
    return page_of(
        m.coupon, page,
        [&](const std::string&, const projections::coupon_row& c) { return status.empty() || status_of(c) == status; },
        [&](const std::string& code, const projections::coupon_row& c) {
          return with_fields(text_field("code", code) + "," + text_field("status", std::string(status_of(c))),
                             c.to_json());
        });
  });
}

bool ledger_reads::dual_control() const {
  return host_.read([&](const model_set& m) {
    std::set<std::string> admins;
    m.token.scan("", [&](const std::string&, const projections::token_row& row) {
      if (row.role == domain::role_name(domain::role::admin) && !row.pending) {
        admins.insert(row.identity);
      }
      return admins.size() < 2;
    });
    return admins.size() >= 2;
  });
}

std::size_t ledger_reads::token_count() const {
  return host_.read([](const model_set& m) { return m.token.size(); });
}

result<std::string> ledger_reads::events(std::uint64_t from_seq, std::size_t limit,
                                         const time_range& recorded) const {
  std::uint64_t start = std::max<std::uint64_t>(from_seq, 1);
  if (recorded.since_us != 0) {
    // The first record at or after `since` follows the last one before it.
    TELEPAY_TRY(before, projections::seq_at_time(store_, recorded.since_us - 1));
    start = std::max(start, before + 1);
  }
  auto records = store_.read_all(start, clamp_limit(limit));
  if (!records) {
    return records.error();
  }
  projections::record_exporter exporter(projections::export_format::jsonl);
  std::string out;
  for (const auto& r : *records) {
    if (recorded.until_us != 0 && r.recorded_at_us >= recorded.until_us) break;
    exporter.write(r.view(), out);
    out.push_back('\n');
  }
  return out;
}

std::uint64_t ledger_reads::head_seq() const { return store_.head_seq(); }
std::uint64_t ledger_reads::projection_position() const { return host_.position(); }
std::uint64_t ledger_reads::projection_lag() const { return host_.lag(); }

std::optional<std::string> ledger_reads::projection_failure() const {
  auto failure = host_.failure();
  return failure ? std::optional<std::string>(failure->message) : std::nullopt;
}

bool ledger_reads::wait_for(std::uint64_t seq, std::chrono::milliseconds timeout) const {
  return host_.wait_for(seq, timeout);
}

}  // namespace telepay::actors
