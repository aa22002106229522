#include "domain/channel.hpp"

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/crypto/eip55.hpp"

namespace telepay::domain::channel {
namespace {

std::string write_tiers(const std::vector<tier>& tiers) {
  std::vector<std::string> items;
  for (const tier& t : tiers) {
    std::string item;
    {
      json_object_writer w(item);
      w.u64("days", t.days).money("price", t.price);
    }
    items.push_back(std::move(item));
  }
  return json_array(items);
}

result<std::vector<tier>> read_tiers(const json_value& v) {
  TELEPAY_TRY(list, v.field("tiers"));
  TELEPAY_TRY(items, list.elements());
  std::vector<tier> out;
  for (const json_value& item : items) {
    TELEPAY_TRY(days, item.u32("days"));
    TELEPAY_TRY(price, item.money("price", asset::usd));
    out.push_back(tier{price, days});
  }
  return out;
}

status check_tiers(const std::vector<tier>& tiers) {
  if (tiers.empty() || tiers.size() > tiers_max) {
    return make_error(errc::tiers_invalid, "a channel has 1 to 3 tiers, got " +
                                               std::to_string(tiers.size()));
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const tier& t = tiers[i];
    if (t.price.currency() != asset::usd || t.price.is_zero() ||
        t.price.units() > tier_price_max.units()) {
      return make_error(errc::tiers_invalid, "tier " + std::to_string(i + 1) +
                                                 ": price must be USD 0.01 to 9999.99");
    }
    if (t.days == 0 || t.days > tier_days_max) {
      return make_error(errc::tiers_invalid, "tier " + std::to_string(i + 1) +
                                                 ": days must be 1 to 3650");
    }
  }
  return {};
}

status check_strategy(payout_strategy strategy, const amount& threshold) {
  if (threshold.currency() != asset::usd) {
    return make_error(errc::payout_threshold_invalid, "threshold is in USD");
  }
  if (strategy == payout_strategy::threshold &&
      (threshold.is_zero() || threshold.units() > threshold_max.units())) {
    return make_error(errc::payout_threshold_invalid,
                      "threshold must be USD 0.01 to 1000000 for the threshold strategy");
  }
  if (strategy == payout_strategy::instant && !threshold.is_zero()) {
    return make_error(errc::payout_threshold_invalid, "the instant strategy takes no threshold");
  }
  return {};
}

status check_text(std::string_view text, std::size_t max, std::string_view what) {
  if (text.empty() || text.size() > max || !is_valid_utf8(text)) {
    return make_error(what == "title" ? errc::channel_title_invalid : errc::invalid_argument,
                      std::string(what) + " must be 1-" + std::to_string(max) + " bytes of UTF-8");
  }
  return {};
}

}  // namespace

std::string_view strategy_name(payout_strategy s) {
  switch (s) {
    case payout_strategy::instant: return "instant";
    case payout_strategy::threshold: return "threshold";
  }
  return "";
}

result<payout_strategy> parse_strategy(std::string_view text) {
  if (text == "instant") return payout_strategy::instant;
  if (text == "threshold") return payout_strategy::threshold;
  return make_error(errc::payout_threshold_invalid,
                    "payout strategy must be 'instant' or 'threshold'");
}

void registered::write(json_object_writer& w) const {
  w.i64("channel_id", id.value()).boolean("donations_enabled", donations_enabled)
      .i64("owner_id", owner.value()).str("payout_address", payout_address)
      .str("payout_strategy", strategy_name(strategy)).money("payout_threshold", threshold)
      .raw("tiers", write_tiers(tiers)).str("title", title);
}
result<registered> registered::read(const json_value& v) {
  registered out;
  TELEPAY_TRY(id, v.i64("channel_id"));
  TELEPAY_TRY(channel, make_channel_id(id));
  TELEPAY_TRY(donations, v.boolean("donations_enabled"));
  TELEPAY_TRY(owner, v.i64("owner_id"));
  TELEPAY_TRY(owner_id, make_user_id(owner));
  TELEPAY_TRY(address, v.str("payout_address"));
  TELEPAY_TRY(strategy_text, v.str("payout_strategy"));
  TELEPAY_TRY(strategy, parse_strategy(strategy_text));
  TELEPAY_TRY(threshold, v.money("payout_threshold", asset::usd));
  TELEPAY_TRY(tiers, read_tiers(v));
  TELEPAY_TRY(title, v.str("title"));
  return registered{channel, owner_id, std::move(title), std::move(tiers), donations, strategy,
                    threshold, std::move(address)};
}

void tiers_set::write(json_object_writer& w) const { w.raw("tiers", write_tiers(tiers)); }
result<tiers_set> tiers_set::read(const json_value& v) {
  TELEPAY_TRY(tiers, read_tiers(v));
  return tiers_set{std::move(tiers)};
}

void donations_set::write(json_object_writer& w) const { w.boolean("enabled", enabled); }
result<donations_set> donations_set::read(const json_value& v) {
  TELEPAY_TRY(on, v.boolean("enabled"));
  return donations_set{on};
}

void payout_strategy_set::write(json_object_writer& w) const {
  w.str("payout_strategy", strategy_name(strategy)).money("payout_threshold", threshold);
}
result<payout_strategy_set> payout_strategy_set::read(const json_value& v) {
  TELEPAY_TRY(text, v.str("payout_strategy"));
  TELEPAY_TRY(strategy, parse_strategy(text));
  TELEPAY_TRY(threshold, v.money("payout_threshold", asset::usd));
  return payout_strategy_set{strategy, threshold};
}

void payout_address_changed::write(json_object_writer& w) const {
  w.str("address", address).str("by", by);
}
result<payout_address_changed> payout_address_changed::read(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(by, v.str("by"));
  return payout_address_changed{std::move(address), std::move(by)};
}

void payout_address_change_requested::write(json_object_writer& w) const {
  w.str("address", address).str("by", by);
}
result<payout_address_change_requested> payout_address_change_requested::read(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(by, v.str("by"));
  return payout_address_change_requested{std::move(address), std::move(by)};
}

void disabled::write(json_object_writer& w) const { w.str("by", by).str("reason", reason); }
result<disabled> disabled::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(reason, v.str("reason"));
  return disabled{std::move(reason), std::move(by)};
}

void enabled::write(json_object_writer& w) const { w.str("by", by); }
result<enabled> enabled::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  return enabled{std::move(by)};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  if (const auto* reg = std::get_if<register_channel>(&c)) {
    if (s.is_registered) {
      return make_error(errc::channel_exists,
                        "channel " + std::to_string(s.id.value()) + " is already registered");
    }
    TELEPAY_CHECK(check_text(reg->title, title_bytes_max, "title"));
    TELEPAY_CHECK(check_tiers(reg->tiers));
    TELEPAY_CHECK(check_strategy(reg->strategy, reg->threshold));
    TELEPAY_TRY(address, parse_evm_address(reg->payout_address));
    return std::vector<event>{registered{s.id, reg->owner, reg->title, reg->tiers,
                                         reg->donations_enabled, reg->strategy, reg->threshold,
                                         address}};
  }
  if (!s.is_registered) {
    return make_error(errc::channel_not_found,
                      "channel " + std::to_string(s.id.value()) + " is not registered");
  }
  return std::visit(
      [&](const auto& cmd) -> result<std::vector<event>> {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, register_channel>) {
          return std::vector<event>{};  // handled above
        } else if constexpr (std::is_same_v<T, set_tiers>) {
          TELEPAY_CHECK(check_tiers(cmd.tiers));
          if (cmd.tiers == s.tiers) return std::vector<event>{};
          return std::vector<event>{tiers_set{cmd.tiers}};
        } else if constexpr (std::is_same_v<T, set_donations>) {
          if (cmd.enabled == s.donations_enabled) return std::vector<event>{};
          return std::vector<event>{donations_set{cmd.enabled}};
        } else if constexpr (std::is_same_v<T, set_payout_strategy>) {
          TELEPAY_CHECK(check_strategy(cmd.strategy, cmd.threshold));
          if (cmd.strategy == s.strategy && cmd.threshold == s.threshold) return std::vector<event>{};
          return std::vector<event>{payout_strategy_set{cmd.strategy, cmd.threshold}};
        } else if constexpr (std::is_same_v<T, change_payout_address>) {
          TELEPAY_CHECK(check_text(cmd.by, 128, "by"));
          TELEPAY_TRY(address, parse_evm_address(cmd.address));
          if (address == s.payout_address && s.pending_payout_address.empty()) return std::vector<event>{};
          if (address == s.pending_payout_address && cmd.by == s.pending_payout_address_by) {
            return std::vector<event>{};
          }
          return std::vector<event>{payout_address_change_requested{address, cmd.by}};
        } else if constexpr (std::is_same_v<T, approve_payout_address>) {
          TELEPAY_CHECK(check_text(cmd.by, 128, "by"));
          TELEPAY_TRY(address, parse_evm_address(cmd.address));
          if (s.pending_payout_address.empty()) {
            if (address == s.payout_address) return std::vector<event>{};  // approved before
            return make_error(errc::invalid_argument, "no payout address change is pending");
          }
          if (address != s.pending_payout_address) {
            return make_error(errc::invalid_argument, "the pending payout address is " + s.pending_payout_address);
          }
          if (cmd.by == s.pending_payout_address_by) {
            return make_error(errc::approval_same_operator, "a payout address change needs another operator");
          }
          return std::vector<event>{payout_address_changed{address, cmd.by}};
        } else if constexpr (std::is_same_v<T, disable>) {
          TELEPAY_CHECK(check_text(cmd.reason, 256, "reason"));
          TELEPAY_CHECK(check_text(cmd.by, 128, "by"));
          if (s.is_disabled) return std::vector<event>{};
          return std::vector<event>{disabled{cmd.reason, cmd.by}};
        } else if constexpr (std::is_same_v<T, enable>) {
          TELEPAY_CHECK(check_text(cmd.by, 128, "by"));
          if (!s.is_disabled) return std::vector<event>{};
          return std::vector<event>{enabled{cmd.by}};
        } else {
          static_assert(always_false<T>, "channel::decide: unhandled channel command");
        }
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, registered>) {
          LEDGER_ASSERT(ev.id == s.id, "channel event applied to another channel");
          s.is_registered = true;
          s.owner = ev.owner;
          s.title = ev.title;
          s.tiers = ev.tiers;
          s.donations_enabled = ev.donations_enabled;
          s.strategy = ev.strategy;
          s.threshold = ev.threshold;
          s.payout_address = ev.payout_address;
        } else if constexpr (std::is_same_v<T, tiers_set>) {
          s.tiers = ev.tiers;
        } else if constexpr (std::is_same_v<T, donations_set>) {
          s.donations_enabled = ev.enabled;
        } else if constexpr (std::is_same_v<T, payout_strategy_set>) {
          s.strategy = ev.strategy;
          s.threshold = ev.threshold;
        } else if constexpr (std::is_same_v<T, payout_address_changed>) {
          s.payout_address = ev.address;
          s.pending_payout_address.clear();
          s.pending_payout_address_by.clear();
        } else if constexpr (std::is_same_v<T, payout_address_change_requested>) {
          if (ev.address == s.payout_address) {
            s.pending_payout_address.clear();  // asking for the current address cancels a change
            s.pending_payout_address_by.clear();
          } else {
            s.pending_payout_address = ev.address;
            s.pending_payout_address_by = ev.by;
          }
        } else if constexpr (std::is_same_v<T, disabled>) {
          s.is_disabled = true;
        } else if constexpr (std::is_same_v<T, enabled>) {
          s.is_disabled = false;
        } else {
          static_assert(always_false<T>, "channel::evolve: unhandled channel event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

result<tier> find_tier(const state& s, std::uint32_t tier_number) {
  if (!s.is_registered) {
    return make_error(errc::channel_not_found, "channel " + std::to_string(s.id.value()) +
                                                   " is not registered");
  }
  if (s.is_disabled) {
    return make_error(errc::channel_disabled, "channel " + std::to_string(s.id.value()) +
                                                  " is disabled");
  }
  if (tier_number == 0 || tier_number > s.tiers.size()) {
    return make_error(errc::tier_not_found, "channel " + std::to_string(s.id.value()) + " has no tier " +
                                                std::to_string(tier_number));
  }
  return s.tiers[tier_number - 1];
}

status check_donation(const state& s, const amount& value) {
  if (!s.is_registered) {
    return make_error(errc::channel_not_found, "channel " + std::to_string(s.id.value()) +
                                                   " is not registered");
  }
  if (s.is_disabled) {
    return make_error(errc::channel_disabled, "channel is disabled");
  }
  if (!s.donations_enabled) {
    return make_error(errc::donations_disabled, "donations are off for this channel");
  }
  if (value.currency() != asset::usd || value.units() < donation_min.units() ||
      value.units() > donation_max.units()) {
    return make_error(errc::donation_out_of_range, "donations are USD 4.99 to 9999.99, got " +
                                                       format_amount(value));
  }
  return {};
}

}  // namespace telepay::domain::channel
