#include "gateways/http/config_reads.hpp"

#include <vector>

#include "domain/codec/json.hpp"

namespace telepay::gateways::http {
namespace {

/// Every key in domain::settings::keys has a value.
std::string text_of(const domain::settings::state& s, std::string_view key) {
  auto value = domain::settings::get(s, key);
  return value ? *value : std::string();
}

}  // namespace

std::string settings_body(const domain::settings::state& s) {
  const domain::settings::state defaults;
  std::vector<std::string> items;
  for (std::string_view key : domain::settings::keys) {
    std::string item;
    {
      domain::json_object_writer w(item);
      w.str("default", text_of(defaults, key))
          .str("description", domain::settings::description(key))
          .str("key", key);
      if (const auto pending = s.pending.find(std::string(key)); pending != s.pending.end()) {
        std::string waiting;
        {
          domain::json_object_writer p(waiting);
          p.str("by", pending->second.by).str("value", pending->second.value);
        }
        w.raw("pending", waiting);
      }
      w.str("value", text_of(s, key));
    }
    items.push_back(std::move(item));
  }
  std::string out;
  {
    domain::json_object_writer w(out);
    w.raw("items", domain::json_array(items));
  }
  return out;
}

result<std::string> channel_config_body(const domain::channel::state& c) {
  if (!c.is_registered) {
    return make_error(errc::channel_not_found, "no channel " + std::to_string(c.id.value()));
  }
  std::vector<std::string> tiers;
  for (std::size_t i = 0; i < c.tiers.size(); ++i) {
    std::string tier;
    {
      domain::json_object_writer w(tier);
      w.str("asset", domain::asset_code(c.tiers[i].price.currency()))
          .u64("days", c.tiers[i].days)
          .money("price", c.tiers[i].price)
          .u64("tier", i + 1);
    }
    tiers.push_back(std::move(tier));
  }
  std::string out;
  {
    domain::json_object_writer w(out);
    w.i64("channel_id", c.id.value())
        .boolean("disabled", c.is_disabled)
        .boolean("donations_enabled", c.donations_enabled)
        .i64("owner_id", c.owner.value())
        .str("payout_address", c.payout_address);
    if (!c.pending_payout_address.empty()) {
      std::string pending;
      {
        domain::json_object_writer p(pending);
        p.str("address", c.pending_payout_address).str("requested_by", c.pending_payout_address_by);
      }
      w.raw("payout_address_change", pending);
    }
    w.str("payout_strategy", domain::channel::strategy_name(c.strategy));
    if (c.strategy == domain::channel::payout_strategy::threshold) {
      w.money("payout_threshold", c.threshold).str("payout_threshold_asset", domain::asset_code(c.threshold.currency()));
    }
    w.raw("tiers", domain::json_array(tiers)).str("title", c.title);
  }
  return out;
}

result<std::string> coupon_body(const domain::coupon::state& c) {
  if (!c.exists) return make_error(errc::coupon_not_found, "no coupon " + c.code);
  const auto& t = c.terms;
  std::string out;
  {
    domain::json_object_writer w(out);
    if (t.channel) w.i64("channel_id", t.channel->value());
    w.str("code", c.code).str("created_by", t.by).boolean("disabled", c.is_disabled).time("expires_at", t.expires_at_us);
    if (t.type == domain::coupon::kind::fixed) {
      w.money("fixed", t.fixed).str("fixed_asset", domain::asset_code(t.fixed.currency()));
    }
    w.str("kind", t.type == domain::coupon::kind::percent ? "percent" : "fixed");
    if (t.type == domain::coupon::kind::percent) w.u64("percent_bps", t.percent_bps);
    w.u64("tier", t.tier).u64("usage_limit", t.usage_limit).u64("uses", c.uses);
  }
  return out;
}

result<std::string> broadcast_body(const domain::broadcast::state& b) {
  if (!b.exists) return make_error(errc::broadcast_not_found, "no broadcast " + b.id);
  std::string out;
  {
    domain::json_object_writer w(out);
    w.str("broadcast_id", b.id);
    if (b.is_cancelled) w.str("cancel_reason", b.cancel_reason).str("cancelled_by", b.cancelled_by);
    w.str("cursor", b.cursor).u64("queued", b.queued).str("segment", b.segment).u64("skipped", b.skipped);
    w.str("started_by", b.by)
        .str("status", b.is_cancelled ? "cancelled" : b.is_finished ? "finished" : "running")
        .str("text", b.text);
  }
  return out;
}

}  // namespace telepay::gateways::http
