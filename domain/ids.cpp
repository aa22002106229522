#include "domain/ids.hpp"

#include <charconv>

#include "domain/base/json.hpp"

namespace telepay::domain {

result<user_id> make_user_id(std::int64_t value) {
  if (value <= 0) {
    return make_error(errc::user_id_invalid,
                      "user id must be a positive Telegram id, got " + std::to_string(value));
  }
  return user_id(value);
}

result<channel_id> make_channel_id(std::int64_t value) {
  if (value == 0) {
    return make_error(errc::channel_not_found, "channel id must not be 0");
  }
  return channel_id(value);
}

bool is_token(std::string_view text, std::size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) {
    return false;
  }
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

result<transfer_id> make_transfer_id(std::string_view value) {
  if (!is_token(value, transfer_id_bytes_max)) {
    return make_error(errc::transfer_id_invalid,
                      "transfer id must be 1-64 characters of A-Z a-z 0-9 _ . : -");
  }
  return transfer_id(std::string(value));
}

std::string_view system_account_name(system_account account) {
  switch (account) {
    case system_account::platform_revenue: return "platform_revenue";
    case system_account::nowpayments_clearing: return "nowpayments_clearing";
    case system_account::chain_clearing: return "chain_clearing";
    case system_account::referral_expense: return "referral_expense";
    case system_account::payout_clearing: return "payout_clearing";
    case system_account::manual_clearing: return "manual_clearing";
  }
  return "";
}

result<system_account> parse_system_account(std::string_view name) {
  for (system_account account : system_account_all) {
    if (system_account_name(account) == name) {
      return account;
    }
  }
  return make_error(errc::wallet_owner_invalid,
                    "unknown system account '" + utf8_prefix(name, 32) + "'");
}

bool may_go_negative(system_account account) {
  switch (account) {
    case system_account::platform_revenue:
    case system_account::payout_clearing: return false;
    case system_account::nowpayments_clearing:
    case system_account::chain_clearing:
    case system_account::referral_expense:
    case system_account::manual_clearing: return true;
  }
  return false;
}

std::string wallet_owner::text() const {
  switch (type) {
    case kind::user: return std::to_string(id);
    case kind::channel: return "ch:" + std::to_string(id);
    case kind::system: return "sys:" + std::string(system_account_name(account));
  }
  return "";
}

std::string wallet_key::stream() const {
  return "wallet-" + owner.text() + "-" + std::string(asset_code(currency));
}

bool wallet_key::must_not_go_negative() const {
  return owner.type != wallet_owner::kind::system || !may_go_negative(owner.account);
}

namespace {

std::optional<std::int64_t> parse_i64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

result<wallet_owner> parse_wallet_owner(std::string_view owner) {
  const auto bad = [&] {
    return make_error(errc::wallet_owner_invalid,
                      "not a wallet owner: '" + utf8_prefix(owner, 80) +
                          "' (a user id, ch:<channel id> or sys:<account>)");
  };
  if (owner.substr(0, 4) == "sys:") {
    auto account = parse_system_account(owner.substr(4));
    if (!account) {
      return account.error();
    }
    return wallet_owner::of(*account);
  }
  if (owner.substr(0, 3) == "ch:") {
    const auto id = parse_i64(owner.substr(3));
    if (!id || *id == 0) {
      return bad();
    }
    const wallet_owner parsed = wallet_owner::of(channel_id(*id));
    if (parsed.text() != owner) {  // "ch:007", "ch:+7"
      return bad();
    }
    return parsed;
  }
  const auto id = parse_i64(owner);
  if (!id || *id <= 0) {
    return bad();
  }
  const wallet_owner parsed = wallet_owner::of(user_id(*id));
  if (parsed.text() != owner) {  // "042"
    return bad();
  }
  return parsed;
}

result<wallet_key> parse_wallet_stream(std::string_view stream) {
  const auto bad = [&] {
    return make_error(errc::wallet_owner_invalid,
                      "not a wallet stream: '" + utf8_prefix(stream, 80) + "'");
  };
  constexpr std::string_view prefix = "wallet-";
  if (stream.substr(0, prefix.size()) != prefix) {
    return bad();
  }
  const auto dash = stream.rfind('-');
  if (dash == std::string_view::npos || dash < prefix.size()) {
    return bad();
  }
  auto currency = parse_asset(stream.substr(dash + 1));
  if (!currency) {
    return bad();
  }
  const std::string_view owner = stream.substr(prefix.size(), dash - prefix.size());
  if (owner.substr(0, 4) == "sys:") {
    TELEPAY_TRY(parsed, parse_wallet_owner(owner));
    return wallet_key{parsed, *currency};
  }
  auto parsed = parse_wallet_owner(owner);
  if (!parsed) {
    return bad();
  }
  return wallet_key{*parsed, *currency};
}

std::string user_stream(user_id user) { return "user-" + std::to_string(user.value()); }
std::string channel_stream(channel_id channel) {
  return "channel-" + std::to_string(channel.value());
}
std::string subscription_stream(user_id user, channel_id channel) {
  return "subscription-" + std::to_string(user.value()) + "-" + std::to_string(channel.value());
}
std::string payout_stream(channel_id channel) { return "payout-" + std::to_string(channel.value()); }
std::string coupon_stream(std::string_view code) { return "coupon-" + std::string(code); }

std::string telegram_identity(user_id user) { return "telegram:" + std::to_string(user.value()); }

std::string referral_code_for(user_id user) {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  auto value = static_cast<std::uint64_t>(user.value());
  std::string out;
  do {
    out.insert(out.begin(), digits[value % 36]);
    value /= 36;
  } while (value != 0);
  return "r" + out;
}

result<user_id> parse_referral_code(std::string_view code) {
  const auto bad = [&] {
    return make_error(errc::referral_code_invalid,
                      "referral code '" + utf8_prefix(code, 32) + "' is not valid");
  };
  if (code.size() < 2 || code.size() > 14 || code[0] != 'r') {
    return bad();
  }
  std::uint64_t value = 0;
  for (char c : code.substr(1)) {
    std::uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'z') {
      digit = static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return bad();
    }
    if (value > (static_cast<std::uint64_t>(INT64_MAX) - digit) / 36) {
      return bad();
    }
    value = value * 36 + digit;
  }
  if (code.size() > 2 && code[1] == '0') {
    return bad();  // one spelling per id
  }
  auto user = make_user_id(static_cast<std::int64_t>(value));
  if (!user) {
    return bad();
  }
  return user;
}

}  // namespace telepay::domain
