#pragma once
/// Identifiers and stream names (DESIGN.md "Streams"): every part of the system derives stream
/// names from these functions, never by hand.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/base/result.hpp"
#include "domain/base/strong_id.hpp"
#include "domain/money/amount.hpp"

namespace telepay::domain {

/// A Telegram user id (> 0).
using user_id = strong_id<struct user_id_tag, std::int64_t>;
/// A Telegram channel id (non-zero; private channels are negative, -100...).
using channel_id = strong_id<struct channel_id_tag, std::int64_t>;
/// A client-chosen id that makes a money movement idempotent: 1-64 chars of [A-Za-z0-9_.:-].
using transfer_id = strong_id<struct transfer_id_tag, std::string>;

inline constexpr std::size_t transfer_id_bytes_max = 64;

result<user_id> make_user_id(std::int64_t value);
result<channel_id> make_channel_id(std::int64_t value);
result<transfer_id> make_transfer_id(std::string_view value);
/// The character set of transfer ids, coupon codes and other client tokens.
bool is_token(std::string_view text, std::size_t max_bytes);

/// System wallets (DESIGN.md "Money between two actors").
enum class system_account : std::uint8_t {
  platform_revenue = 1,      // platform fees; never negative
  nowpayments_clearing = 2,  // money arriving through NOWPayments; goes negative
  chain_clearing = 3,        // money arriving (negative) or leaving (positive) on chain
  referral_expense = 4,      // commission the platform pays on deposits; goes negative
  payout_clearing = 5,       // payouts between hold and chain confirmation; never negative
  manual_clearing = 6,       // operator-approved bank transfers; goes negative
};

inline constexpr system_account system_account_all[] = {
    system_account::platform_revenue, system_account::nowpayments_clearing,
    system_account::chain_clearing,   system_account::referral_expense,
    system_account::payout_clearing,  system_account::manual_clearing};

std::string_view system_account_name(system_account account);
result<system_account> parse_system_account(std::string_view name);
/// Clearing and expense accounts stand for the outside world and may go negative.
bool may_go_negative(system_account account);

/// Who owns a wallet: a user, a channel (its payout accrual) or the platform.
struct wallet_owner {
  enum class kind : std::uint8_t { user = 1, channel = 2, system = 3 };
  kind type = kind::user;
  std::int64_t id = 0;                   // user or channel id
  system_account account = system_account::platform_revenue;  // when type == system

  static wallet_owner of(user_id user) { return {kind::user, user.value(), {}}; }
  static wallet_owner of(channel_id channel) { return {kind::channel, channel.value(), {}}; }
  static wallet_owner of(system_account account) { return {kind::system, 0, account}; }

  /// "123" (user), "ch:-100123" (channel), "sys:platform_revenue".
  std::string text() const;
  friend bool operator==(const wallet_owner&, const wallet_owner&) = default;
};

/// One wallet: an owner and an asset.
struct wallet_key {
  wallet_owner owner;
  asset currency = asset::usdt;

  /// "wallet-{owner}-{asset}".
  std::string stream() const;
  /// Whether the wallet enforces debits <= credits.
  bool must_not_go_negative() const;
  friend bool operator==(const wallet_key&, const wallet_key&) = default;
};

/// Parses an owner's text ("42", "ch:-100123", "sys:platform_revenue"), exactly: no prefix
/// matching, no leading zeros or signs beyond what text() writes.
result<wallet_owner> parse_wallet_owner(std::string_view owner);
/// Parses "wallet-{owner}-{asset}" back into a key.
result<wallet_key> parse_wallet_stream(std::string_view stream);

std::string user_stream(user_id user);
std::string channel_stream(channel_id channel);
std::string subscription_stream(user_id user, channel_id channel);
std::string payout_stream(channel_id channel);
std::string coupon_stream(std::string_view code);
inline constexpr std::string_view settings_stream = "settings";
inline constexpr std::string_view blacklist_stream = "blacklist";

/// Who acts when a user does something themself through the bot: "telegram:{id}" (operators
/// are "op:{name}"); recorded as `by` and compared to tell a user's own act from an operator's.
std::string telegram_identity(user_id user);

/// Referral codes are derived from the user id ("r" + base-36), so resolving one needs no index.
std::string referral_code_for(user_id user);
result<user_id> parse_referral_code(std::string_view code);

}  // namespace telepay::domain

template <>
struct std::hash<telepay::domain::wallet_key> {
  std::size_t operator()(const telepay::domain::wallet_key& key) const {
    return std::hash<std::int64_t>{}(key.owner.id) * 31 +
           static_cast<std::size_t>(key.owner.type) * 7 +
           static_cast<std::size_t>(key.owner.account) * 3 + static_cast<std::size_t>(key.currency);
  }
};
