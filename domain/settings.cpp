#include "domain/settings.hpp"

#include <charconv>

#include "domain/base/json.hpp"

namespace telepay::domain::settings {
namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

error invalid(std::string_view key, std::string_view why) {
  return make_error(errc::setting_invalid, std::string(key) + ": " + std::string(why));
}

/// Applies key=value to a copy of the state, validating it.
status apply(state& s, std::string_view key, std::string_view value) {
  if (key == "referral_rate_bps" || key == "platform_fee_bps") {
    const auto bps = parse_int(value);
    if (!bps || *bps < 0 || *bps > 10000) {
      return invalid(key, "must be an integer from 0 to 10000 (basis points, 10000 = 100%)");
    }
    (key == "referral_rate_bps" ? s.referral_rate_bps : s.platform_fee_bps) =
        static_cast<std::uint32_t>(*bps);
    return {};
  }
  if (key == "usd_usdt_rate") {
    auto rate = parse_rate_e8(value);
    if (!rate) {
      return invalid(key, rate.error().message);
    }
    s.usd_usdt_rate_e8 = *rate;
    return {};
  }
  if (key == "hold_timeout_seconds") {
    const auto seconds = parse_int(value);
    if (!seconds || *seconds < 60 || *seconds > 86400) {
      return invalid(key, "must be an integer from 60 to 86400");
    }
    s.hold_timeout_seconds = *seconds;
    return {};
  }
  if (key == "withdrawal_approval_usdt") {
    auto limit = parse_amount(value, asset::usdt);
    if (!limit) {
      return invalid(key, limit.error().message);
    }
    s.withdrawal_approval_usdt = *limit;
    return {};
  }
  return make_error(errc::setting_unknown, "unknown setting '" + utf8_prefix(key, 64) + "'");
}

}  // namespace

void changed::write(json_object_writer& w) const {
  w.str("by", by).str("key", key).str("value", value);
}
result<changed> changed::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(key, v.str("key"));
  TELEPAY_TRY(value, v.str("value"));
  return changed{std::move(key), std::move(value), std::move(by)};
}

result<std::string> get(const state& s, std::string_view key) {
  if (key == "referral_rate_bps") return std::to_string(s.referral_rate_bps);
  if (key == "platform_fee_bps") return std::to_string(s.platform_fee_bps);
  if (key == "usd_usdt_rate") return format_rate_e8(s.usd_usdt_rate_e8);
  if (key == "hold_timeout_seconds") return std::to_string(s.hold_timeout_seconds);
  if (key == "withdrawal_approval_usdt") return format_amount(s.withdrawal_approval_usdt);
  return make_error(errc::setting_unknown, "unknown setting '" + utf8_prefix(key, 64) + "'");
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  static_assert(std::variant_size_v<command> == 1, "settings::decide: name each command");
  const auto& cmd = std::get<set>(c);
  if (cmd.by.empty() || cmd.by.size() > 128) {
    return make_error(errc::invalid_argument, "by must name who changes the setting");
  }
  state next = s;
  TELEPAY_CHECK(apply(next, cmd.key, cmd.value));
  if (next.referral_rate_bps + next.platform_fee_bps > 10000) {
    return invalid(cmd.key, "platform fee plus referral rate must not exceed 100%");
  }
  if (next == s) {
    return std::vector<event>{};
  }
  // Store the canonical text so that replay gives the same value whatever the input spelling.
  TELEPAY_TRY(canonical, get(next, cmd.key));
  return std::vector<event>{changed{cmd.key, canonical, cmd.by}};
}

void evolve(state& s, const event& e) {
  static_assert(std::variant_size_v<event> == 1, "settings::evolve: name each event");
  const auto& ev = std::get<changed>(e);
  const auto applied = apply(s, ev.key, ev.value);
  LEDGER_ASSERT(applied.has_value(), "stored setting does not apply: ", ev.key, "=", ev.value);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::settings
