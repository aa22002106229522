// Decoders of the operator API's write routes: JSON body and path parameters to a command.

#include "gateways/http/write_routes.hpp"

#include <charconv>
#include <limits>

#include "domain/base/json.hpp"
#include "domain/base/time.hpp"
#include "domain/codec/json.hpp"
#include "domain/coupon.hpp"
#include "domain/invoice.hpp"
#include "domain/webhook.hpp"
#include "gateways/http/body.hpp"
#include "gateways/http/path_params.hpp"

namespace telepay::gateways::http {
namespace {

using domain::json_value;

/// Reads tiers: [{"price":"9.99","days":30}, ...].
result<std::vector<domain::channel::tier>> read_tiers(const json_value& root) {
  if (!root.has("tiers")) {
    return make_error(errc::tiers_invalid, "field 'tiers' is required");
  }
  TELEPAY_TRY(list, root.field("tiers"));
  if (!list.is_array()) {
    return make_error(errc::tiers_invalid, "field 'tiers' must be an array of {price, days}");
  }
  TELEPAY_TRY(items, list.elements());
  std::vector<domain::channel::tier> out;
  for (const json_value& item : items) {
    if (!item.is_object()) {
      return make_error(errc::tiers_invalid, "each of tiers is an object {price, days}");
    }
    TELEPAY_TRY(names, item.keys());
    for (const std::string& name : names) {
      if (name != "price" && name != "days") {
        return make_error(errc::tiers_invalid, "unknown tier field '" + utf8_prefix(name, 64) + "'");
      }
    }
    if (names.size() != 2) {
      return make_error(errc::tiers_invalid, "each of tiers has exactly price and days, once");
    }
    auto price_field = item.str("price");
    if (!price_field) {
      return make_error(errc::tiers_invalid, "tier price must be a decimal string");
    }
    const std::string price_text = std::move(price_field).value();
    auto price = domain::parse_amount(price_text, domain::asset::usd);
    if (!price) {
      return make_error(errc::tiers_invalid, "tier price: " + price.error().message);
    }
    auto days = item.u64("days");
    if (!days || *days > 100000) {
      return make_error(errc::tiers_invalid, "tier days must be an integer 0..100000");
    }
    out.push_back(domain::channel::tier{*price, static_cast<std::uint32_t>(*days)});
  }
  return out;
}

result<domain::amount> threshold_of(const body& b) {
  if (!b.has("payout_threshold")) {
    return domain::amount(domain::asset::usd, 0);
  }
  return b.money("payout_threshold", domain::asset::usd);
}

result<domain::user_id> user_field(const body& b, std::string_view key) {
  TELEPAY_TRY(raw, b.integer(key));
  auto user = domain::make_user_id(raw);
  if (!user) {
    return make_error(user.code(), "field '" + std::string(key) + "': " + user.error().message);
  }
  return user;
}

result<domain::channel_id> channel_field(const body& b, std::string_view key) {
  TELEPAY_TRY(raw, b.integer(key));
  auto channel = domain::make_channel_id(raw);
  if (!channel) {
    return make_error(channel.code(), "field '" + std::string(key) + "': " + channel.error().message);
  }
  return channel;
}

result<domain::user_id> path_user(const request& req) {
  TELEPAY_TRY(raw, path_integer(req, "id"));
  return domain::make_user_id(raw);
}

result<domain::channel_id> path_channel(const request& req) {
  TELEPAY_TRY(raw, path_integer(req, "id"));
  return domain::make_channel_id(raw);
}

std::string by(const writer& who) { return who.identity; }

template <class Command>
result<write_command> command(Command c) {
  return write_command(std::move(c));
}

// ---- the decoders, one per route ----

result<write_command> register_user(const request& req, const writer&, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"user_id", "username", "referral_code"}));
  TELEPAY_TRY(user, user_field(b, "user_id"));
  TELEPAY_TRY(username, b.optional_text("username", ""));
  TELEPAY_TRY(referral_code, b.optional_text("referral_code", ""));
  return command(actors::register_user_request{user, std::move(username), std::move(referral_code), now});
}

result<write_command> ban_user(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(user, path_user(req));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::user_admin_request{user, domain::user::ban{reason, by(who)}, now});
}

result<write_command> unban_user(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(user, path_user(req));
  return command(actors::user_admin_request{user, domain::user::unban{by(who)}, now});
}

result<write_command> blacklist_add(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"kind", "value", "reason"}));
  TELEPAY_TRY(kind_text, b.text("kind"));
  TELEPAY_TRY(kind, domain::blacklist::parse_kind(kind_text));
  TELEPAY_TRY(value, b.text("value"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::blacklist_request{domain::blacklist::add{kind, value, reason, by(who)}, now});
}

result<write_command> blacklist_remove(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"kind", "value"}));
  TELEPAY_TRY(kind_text, b.text("kind"));
  TELEPAY_TRY(kind, domain::blacklist::parse_kind(kind_text));
  TELEPAY_TRY(value, b.text("value"));
  return command(actors::blacklist_request{domain::blacklist::remove{kind, value, by(who)}, now});
}

result<write_command> register_channel(const request& req, const writer&, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"channel_id", "owner_id", "title", "tiers", "donations_enabled",
                                        "payout_strategy", "payout_threshold", "payout_address"}));
  TELEPAY_TRY(channel, channel_field(b, "channel_id"));
  domain::channel::register_channel c;
  TELEPAY_TRY(owner, user_field(b, "owner_id"));
  c.owner = owner;
  TELEPAY_TRY(title, b.text("title"));
  c.title = std::move(title);
  TELEPAY_TRY(tiers, read_tiers(b.root()));
  c.tiers = std::move(tiers);
  if (b.has("donations_enabled")) {
    TELEPAY_TRY(donations, b.flag("donations_enabled"));
    c.donations_enabled = donations;
  }
  TELEPAY_TRY(strategy_text, b.text("payout_strategy"));
  TELEPAY_TRY(strategy, domain::channel::parse_strategy(strategy_text));
  c.strategy = strategy;
  TELEPAY_TRY(threshold, threshold_of(b));
  c.threshold = threshold;
  TELEPAY_TRY(address, b.text("payout_address"));
  c.payout_address = std::move(address);
  return command(actors::channel_request{channel, std::move(c), now});
}

result<write_command> update_channel(const request& req, const writer&, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"tiers", "donations_enabled", "payout_strategy", "payout_threshold"}));
  TELEPAY_TRY(channel, path_channel(req));
  const int fields = (b.has("tiers") ? 1 : 0) + (b.has("donations_enabled") ? 1 : 0) +
                     (b.has("payout_strategy") ? 1 : 0);
  if (fields != 1) {
    return make_error(errc::invalid_argument,
                      "send exactly one of tiers, donations_enabled, payout_strategy (the payout address "
                      "changes with a second operator's approval)");
  }
  if (b.has("tiers")) {
    TELEPAY_TRY(tiers, read_tiers(b.root()));
    return command(actors::channel_request{channel, domain::channel::set_tiers{std::move(tiers)}, now});
  }
  if (b.has("donations_enabled")) {
    TELEPAY_TRY(on, b.flag("donations_enabled"));
    return command(actors::channel_request{channel, domain::channel::set_donations{on}, now});
  }
  TELEPAY_TRY(strategy_text, b.text("payout_strategy"));
  TELEPAY_TRY(strategy, domain::channel::parse_strategy(strategy_text));
  TELEPAY_TRY(threshold, threshold_of(b));
  return command(actors::channel_request{channel, domain::channel::set_payout_strategy{strategy, threshold}, now});
}

result<write_command> disable_channel(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(channel, path_channel(req));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::channel_request{channel, domain::channel::disable{reason, by(who)}, now});
}

result<write_command> enable_channel(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(channel, path_channel(req));
  return command(actors::channel_request{channel, domain::channel::enable{by(who)}, now});
}

result<write_command> change_payout_address(const request& req, const writer& who, std::int64_t now) {
  // A new payout address waits for another operator's approval (PRODUCT: money out).
  TELEPAY_TRY(b, body::parse(req.body, {"address"}));
  TELEPAY_TRY(channel, path_channel(req));
  TELEPAY_TRY(address, b.text("address"));
  return command(actors::channel_request{channel, domain::channel::change_payout_address{address, by(who)}, now});
}

result<write_command> approve_payout_address(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"address"}));
  TELEPAY_TRY(channel, path_channel(req));
  TELEPAY_TRY(address, b.text("address"));
  return command(actors::channel_request{channel, domain::channel::approve_payout_address{address, by(who)}, now});
}

result<write_command> cancel_payout(const request& req, const writer& who, std::int64_t now) {
  // Only a batch whose transaction is not signed yet: its send is abandoned, the batch fails
  // finally and the hold is voided (the money waits for a later batch).
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(channel, path_channel(req));
  TELEPAY_TRY(batch, path_text(req, "batch"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::payout_cancel{channel, batch, by(who), reason, now});
}

result<write_command> request_withdrawal(const request& req, const writer& who, std::int64_t now) {
  // Held now; above the setting withdrawal_approval_usdt it waits for another operator; then
  // the hot wallet sends it.
  TELEPAY_TRY(b, body::parse(req.body, {"id", "user_id", "amount", "address"}));
  TELEPAY_TRY(id, b.text("id"));
  TELEPAY_TRY(user, user_field(b, "user_id"));
  TELEPAY_TRY(value, b.money("amount", domain::asset::usdt));
  TELEPAY_TRY(address, b.text("address"));
  return command(actors::withdrawal_request{id, user, value, address, by(who), now});
}

result<write_command> approve_withdrawal(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(id, path_text(req, "id"));
  return command(actors::withdrawal_decision{id, actors::withdrawal_verdict::approve, by(who), "", now});
}

result<write_command> reject_withdrawal(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::withdrawal_decision{id, actors::withdrawal_verdict::reject, by(who), reason, now});
}

result<write_command> cancel_withdrawal(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::withdrawal_decision{id, actors::withdrawal_verdict::cancel, by(who), reason, now});
}

result<write_command> create_coupon(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"code", "kind", "percent_bps", "fixed", "usage_limit", "expires_at",
                                        "channel_id", "tier"}));
  TELEPAY_TRY(code, b.text("code"));
  domain::coupon::create c;
  TELEPAY_TRY(kind, b.text("kind"));
  if (kind == "percent") {
    c.type = domain::coupon::kind::percent;
    TELEPAY_TRY(bps, b.integer_in("percent_bps", 1, 10000));
    c.percent_bps = static_cast<std::uint32_t>(bps);
  } else if (kind == "fixed") {
    c.type = domain::coupon::kind::fixed;
    TELEPAY_TRY(fixed, b.money("fixed", domain::asset::usd));
    c.fixed = fixed;
  } else {
    return make_error(errc::coupon_invalid, "field 'kind' is percent or fixed");
  }
  TELEPAY_TRY(limit, b.integer_in("usage_limit", 0, 100'000'000));
  c.usage_limit = static_cast<std::uint32_t>(limit);
  TELEPAY_TRY(expires_text, b.text("expires_at"));
  const auto expires = parse_utc_micros(expires_text);
  if (!expires) {
    return make_error(errc::coupon_invalid, "field 'expires_at' is a UTC time like 2027-01-01T00:00:00Z");
  }
  c.expires_at_us = *expires;
  if (b.has("channel_id")) {
    TELEPAY_TRY(channel, channel_field(b, "channel_id"));
    c.channel = channel;
  }
  if (b.has("tier")) {
    TELEPAY_TRY(tier, b.integer_in("tier", 0, 3));
    c.tier = static_cast<std::uint32_t>(tier);
  }
  c.by = by(who);
  return command(actors::coupon_request{code, std::move(c), now});
}

result<write_command> disable_coupon(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(code, path_text(req, "code"));
  return command(actors::coupon_request{code, domain::coupon::disable{by(who)}, now});
}

result<write_command> request_manual_deposit(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"id", "user_id", "amount", "reference"}));
  TELEPAY_TRY(id, b.text("id"));
  if (!domain::is_token(id, 56)) {
    return make_error(errc::invalid_argument, "field 'id' is 1-56 characters of A-Z a-z 0-9 _ . : -");
  }
  TELEPAY_TRY(user, user_field(b, "user_id"));
  TELEPAY_TRY(value, b.money("amount", domain::asset::usdt));
  TELEPAY_TRY(reference, b.text("reference"));
  return command(actors::manual_deposit_request{id, domain::manual_deposit::request{user, value, reference, by(who)},
                                        now});
}

result<write_command> approve_manual_deposit(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(id, path_text(req, "id"));
  return command(actors::manual_deposit_approval{id, by(who), now});
}

result<write_command> reject_manual_deposit(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::manual_deposit_request{id, domain::manual_deposit::reject{by(who), reason}, now});
}

result<write_command> purchase(const request& req, const writer&, std::int64_t now) {
  // A subscription (tier) or a donation (donation_usd) paid from the buyer's balance.
  TELEPAY_TRY(b, body::parse(req.body, {"purchase_id", "user_id", "channel_id", "tier", "donation_usd", "coupon"}));
  TELEPAY_TRY(id, b.text("purchase_id"));
  TELEPAY_TRY(user, user_field(b, "user_id"));
  TELEPAY_TRY(channel, channel_field(b, "channel_id"));
  if (b.has("tier") == b.has("donation_usd")) {
    return make_error(errc::invalid_argument, "send exactly one of tier and donation_usd");
  }
  TELEPAY_TRY(coupon, b.optional_text("coupon", ""));
  actors::purchase_request out{id, user, channel, 0, domain::amount(domain::asset::usd, 0), std::move(coupon), now};
  if (b.has("tier")) {
    TELEPAY_TRY(tier, b.integer_in("tier", 1, 3));
    out.tier = static_cast<std::uint32_t>(tier);
  } else {
    TELEPAY_TRY(value, b.money("donation_usd", domain::asset::usd));
    out.donation_usd = value;
  }
  return command(std::move(out));
}

result<write_command> refund_purchase(const request& req, const writer& who, std::int64_t now) {
  // Once per purchase: a repeat answers the first refund's outcome.
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::refund_request{id, by(who), reason, now});
}

result<write_command> set_setting(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"key", "value"}));
  TELEPAY_TRY(key, b.text("key"));
  TELEPAY_TRY(value, b.text("value"));
  return command(actors::settings_request{domain::settings::set{key, value, by(who)}, now});
}

result<write_command> mint_token(const request& req, const writer& who, std::int64_t) {
  TELEPAY_TRY(b, body::parse(req.body, {"role", "operator", "label", "allowed_cidrs", "rate_per_second", "burst"}));
  TELEPAY_TRY(role_text, b.text("role"));
  auto access = domain::parse_role(role_text);
  if (!access) {
    return make_error(access.code(), "field 'role': " + access.error().message);
  }
  token_mint out;
  out.create.access = *access;
  TELEPAY_TRY(label, b.optional_text("label", ""));
  out.create.label = std::move(label);
  TELEPAY_TRY(name, b.optional_text("operator", operator_name_of(by(who))));
  if (!domain::is_token(name, domain::token::operator_bytes_max)) {
    return make_error(errc::invalid_argument, "field 'operator' is 1-64 of A-Z a-z 0-9 _ . : -");
  }
  out.create.operator_name = std::move(name);
  out.create.by = by(who);
  if (b.has("allowed_cidrs")) {
    TELEPAY_TRY(list, b.root().field("allowed_cidrs"));
    auto cidrs = list.string_elements();
    if (!list.is_array() || !cidrs || cidrs->size() > 64) {
      return make_error(errc::invalid_argument, "field 'allowed_cidrs' must be an array of at most 64 CIDR strings");
    }
    out.create.allowed_cidrs = std::move(cidrs).value();
  }
  if (b.has("rate_per_second")) {
    TELEPAY_TRY(rate, b.integer_in("rate_per_second", 1, 1'000'000));
    out.create.rate_per_second = static_cast<std::uint32_t>(rate);
  }
  if (b.has("burst")) {
    TELEPAY_TRY(burst, b.integer_in("burst", 1, 10'000'000));
    out.create.burst = static_cast<std::uint32_t>(burst);
  }
  return command(std::move(out));
}

result<write_command> approve_token(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(id, path_text(req, "id"));
  return command(actors::token_request{id, domain::token::approve{by(who)}, now});
}

result<write_command> approve_setting(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"key", "value"}));
  TELEPAY_TRY(key, b.text("key"));
  TELEPAY_TRY(value, b.text("value"));
  return command(actors::settings_request{domain::settings::approve{key, value, by(who)}, now});
}

result<write_command> revoke_token(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(id, path_text(req, "id"));
  return command(actors::token_request{id, domain::token::revoke{by(who)}, now});
}

result<write_command> start_broadcast(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"id", "text", "segment"}));
  TELEPAY_TRY(id, b.text("id"));
  TELEPAY_TRY(text, b.text("text"));
  TELEPAY_TRY(segment, b.optional_text("segment", "all"));
  return command(actors::broadcast_request{id, domain::broadcast::start{text, segment, by(who)}, now});
}

result<write_command> cancel_broadcast(const request& req, const writer& who, std::int64_t now) {
  // Nothing more is queued; what is queued and not yet sent is dropped by the Telegram sender.
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::broadcast_request{id, domain::broadcast::cancel{by(who), reason}, now});
}

/// {"url", "event_types": [...], "from_seq"?}: from_seq absent is "from now on".
result<write_command> register_webhook(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"url", "event_types", "from_seq"}));
  TELEPAY_TRY(url, b.text("url"));
  TELEPAY_CHECK(domain::webhook::check_url(url));
  if (!b.has("event_types")) return make_error(errc::invalid_argument, "field 'event_types' is required");
  TELEPAY_TRY(list, b.root().field("event_types"));
  auto types = list.string_elements();
  if (!list.is_array() || !types || types->empty() || types->size() > domain::webhook::event_types().size()) {
    return make_error(errc::invalid_argument, "field 'event_types' must be an array of 1-" +
                                                  std::to_string(domain::webhook::event_types().size()) +
                                                  " event type names");
  }
  for (const std::string& type : *types) {
    if (!domain::webhook::is_event_type(type)) {
      return make_error(errc::invalid_argument, "field 'event_types': unknown event type '" + utf8_prefix(type, 64) + "'");
    }
  }
  std::uint64_t from = 0;
  if (b.has("from_seq")) {
    TELEPAY_TRY(given, b.integer_in("from_seq", 1, std::numeric_limits<std::int64_t>::max()));
    from = static_cast<std::uint64_t>(given);
  }
  return command(webhook_register{domain::webhook::register_endpoint{{}, url, std::move(*types), from, by(who)}, now});
}

result<write_command> disable_webhook(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"reason"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(reason, b.text("reason"));
  return command(actors::webhook_request{domain::webhook::disable{id, reason, by(who)}, now});
}

result<write_command> rewind_webhook(const request& req, const writer& who, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"from_seq"}));
  TELEPAY_TRY(id, path_text(req, "id"));
  TELEPAY_TRY(from, b.integer_in("from_seq", 1, std::numeric_limits<std::int64_t>::max()));
  return command(actors::webhook_request{domain::webhook::rewind{id, static_cast<std::uint64_t>(from), by(who)}, now});
}

result<write_command> rescan_chain(const request& req, const writer& who, std::int64_t) {
  TELEPAY_TRY(b, body::parse(req.body, {"from_block"}));
  TELEPAY_TRY(from, b.unsigned_integer("from_block"));
  return command(chain_rescan{from, by(who)});
}

result<write_command> create_invoice(const request& req, const writer&, std::int64_t now) {
  TELEPAY_TRY(b, body::parse(req.body, {"user_id", "channel_id", "tier", "donation_usd", "coupon", "order_id",
                                        "description", "provider_invoice_id", "invoice_url", "previous_attempt"}));
  TELEPAY_TRY(user, b.integer("user_id"));
  TELEPAY_TRY(channel, b.integer("channel_id"));
  auto buyer = domain::make_user_id(user);
  if (!buyer) return make_error(errc::invalid_argument, "field 'user_id': " + buyer.error().message);
  auto chat = domain::make_channel_id(channel);
  if (!chat) return make_error(errc::invalid_argument, "field 'channel_id': " + chat.error().message);
  invoice_order out;
  out.request.buyer = *buyer;
  out.request.channel = *chat;
  out.request.now_us = now;
  if (b.has("tier") == b.has("donation_usd")) {
    return make_error(errc::invalid_argument, "send exactly one of the fields 'tier' and 'donation_usd'");
  }
  if (b.has("tier")) {
    TELEPAY_TRY(tier, b.integer_in("tier", 1, 3));
    out.request.tier = static_cast<std::uint32_t>(tier);
  } else {
    TELEPAY_TRY(value, b.money("donation_usd", domain::asset::usd));
    if (value.is_zero()) {
      return make_error(errc::invalid_argument, "field 'donation_usd' must be a positive USD amount like \"9.99\"");
    }
    out.request.donation_usd = value;
  }
  TELEPAY_TRY(coupon, b.optional_text("coupon", ""));
  // Refused here, before the ledger: a malformed code is the caller's mistake (400), not a
  // lookup that could answer 404 and be recorded.
  if (!coupon.empty()) {
    if (auto code = domain::coupon::normalize_code(coupon); !code) {
      return make_error(errc::invalid_argument, "field 'coupon': " + code.error().message);
    }
  }
  out.request.coupon = std::move(coupon);
  TELEPAY_TRY(description, b.optional_text("description", ""));
  if (description.size() > 200) {
    return make_error(errc::invalid_argument, "field 'description' is at most 200 bytes");
  }
  out.request.description = std::move(description);
  if (b.has("order_id")) {
    TELEPAY_TRY(order_id, b.text("order_id"));
    if (!domain::is_token(order_id, domain::invoice::order_id_bytes_max)) {
      return make_error(errc::invalid_argument, "field 'order_id' is 1-48 characters of A-Z a-z 0-9 _ . : -");
    }
    out.request.order_id = std::move(order_id);
  }
  // After an attempt whose outcome is unknown (docs/NOWPAYMENTS.md): what the dashboard shows.
  if (b.has("provider_invoice_id") != b.has("invoice_url")) {
    return make_error(errc::invalid_argument, "send the fields 'provider_invoice_id' and 'invoice_url' together");
  }
  if (b.has("provider_invoice_id")) {
    TELEPAY_TRY(id, b.text("provider_invoice_id"));
    TELEPAY_TRY(url, b.text("invoice_url"));
    if (id.empty() || id.size() > 32 || id.find_first_not_of("0123456789") != std::string::npos) {
      return make_error(errc::invalid_argument,
                        "field 'provider_invoice_id' is the NOWPayments invoice id: 1-32 digits");
    }
    const bool web = url.starts_with("https://") || url.starts_with("http://");
    if (!web || url.size() > 512 || !is_printable_ascii_token(url)) {
      return make_error(errc::invalid_argument, "field 'invoice_url' is the invoice's http(s) URL, 512 bytes at most");
    }
    out.provider_invoice_id = std::move(id);
    out.invoice_url = std::move(url);
  }
  if (b.has("previous_attempt")) {
    TELEPAY_TRY(previous, b.text("previous_attempt"));
    if (previous != "not_created") {
      return make_error(errc::invalid_argument,
                        "field 'previous_attempt' is \"not_created\" (no invoice in the dashboard)");
    }
    if (!out.provider_invoice_id.empty()) {
      return make_error(errc::invalid_argument, "link the invoice found, or say none was created: not both");
    }
    out.previous_not_created = true;
  }
  return command(std::move(out));
}

result<write_command> assign_deposit_address(const request& req, const writer&, std::int64_t) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(user, path_user(req));
  return command(deposit_address_assign{user});
}

result<write_command> retry_process(const request& req, const writer&, std::int64_t) {
  TELEPAY_TRY(b, body::parse(req.body, {}));
  TELEPAY_TRY(kind, path_text(req, "kind"));
  TELEPAY_TRY(id, path_text(req, "id"));
  return command(process_retry{std::move(kind), std::move(id)});
}

using domain::role;
constexpr write_route table[] = {
    {"/v1/admin/users", role::operator_, register_user},
    {"/v1/admin/users/{id}/ban", role::operator_, ban_user},
    {"/v1/admin/users/{id}/unban", role::operator_, unban_user},
    {"/v1/admin/users/{id}/deposit-address", role::operator_, assign_deposit_address},
    {"/v1/admin/blacklist", role::operator_, blacklist_add},
    {"/v1/admin/blacklist/remove", role::operator_, blacklist_remove},
    {"/v1/admin/channels", role::operator_, register_channel},
    {"/v1/admin/channels/{id}", role::operator_, update_channel},
    {"/v1/admin/channels/{id}/disable", role::operator_, disable_channel},
    {"/v1/admin/channels/{id}/enable", role::operator_, enable_channel},
    {"/v1/admin/channels/{id}/payout-address", role::operator_, change_payout_address},
    {"/v1/admin/channels/{id}/payout-address/approve", role::operator_, approve_payout_address},
    {"/v1/admin/channels/{id}/payouts/{batch}/cancel", role::operator_, cancel_payout},
    {"/v1/admin/withdrawals", role::operator_, request_withdrawal},
    {"/v1/admin/withdrawals/{id}/approve", role::operator_, approve_withdrawal},
    {"/v1/admin/withdrawals/{id}/reject", role::operator_, reject_withdrawal},
    {"/v1/admin/withdrawals/{id}/cancel", role::operator_, cancel_withdrawal},
    {"/v1/admin/coupons", role::operator_, create_coupon},
    {"/v1/admin/coupons/{code}/disable", role::operator_, disable_coupon},
    {"/v1/admin/manual-deposits", role::operator_, request_manual_deposit},
    {"/v1/admin/manual-deposits/{id}/approve", role::operator_, approve_manual_deposit},
    {"/v1/admin/manual-deposits/{id}/reject", role::operator_, reject_manual_deposit},
    {"/v1/admin/purchases", role::operator_, purchase},
    {"/v1/admin/purchases/{id}/refund", role::operator_, refund_purchase},
    {"/v1/admin/settings", role::admin, set_setting},
    {"/v1/admin/settings/approve", role::admin, approve_setting},
    {"/v1/admin/tokens", role::admin, mint_token},
    {"/v1/admin/tokens/{id}/approve", role::admin, approve_token},
    {"/v1/admin/tokens/{id}/revoke", role::admin, revoke_token},
    {"/v1/admin/broadcasts", role::operator_, start_broadcast},
    {"/v1/admin/broadcasts/{id}/cancel", role::operator_, cancel_broadcast},
    {"/v1/admin/chain/rescan", role::operator_, rescan_chain},
    {"/v1/admin/invoices", role::operator_, create_invoice},
    {"/v1/admin/processes/{kind}/{id}/retry", role::operator_, retry_process},
    {"/v1/admin/webhook-endpoints", role::admin, register_webhook},
    {"/v1/admin/webhook-endpoints/{id}/disable", role::admin, disable_webhook},
    {"/v1/admin/webhook-endpoints/{id}/rewind", role::admin, rewind_webhook},
};

}  // namespace

std::span<const write_route> write_routes() { return table; }

std::string operator_name_of(std::string_view identity) {
  // "op:alice" -> "alice" (domain::token::identity gives every token an "op:" identity).
  return std::string(identity.starts_with("op:") ? identity.substr(3) : identity);
}

}  // namespace telepay::gateways::http
