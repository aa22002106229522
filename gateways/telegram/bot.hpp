#pragma once
/// The bot's pure logic: what an update asks for (an intent), the donation keypad, and the
/// texts and keyboards it answers with. No I/O: the service (service.hpp) looks up what an
/// intent needs, runs ledger commands and records the replies as notices.
///
/// callback_data (1-64 bytes, ASCII):
///   c:{channel}            a channel's tiers          t:{channel}:{tier}    a tier's offer
///   cp:{channel}:{tier}    type a coupon              pi:{channel}:{tier}   pay by invoice
///   pb:{channel}:{tier}    pay from balance           d:{channel}           donation keypad
///   k:{key}                keypad key: 0-9 . < ok x   di:{channel}:{cents}  donate by invoice
///   db:{channel}:{cents}   donate from balance        l                     the channel list

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/conversation.hpp"
#include "domain/money/amount.hpp"
#include "domain/notice.hpp"
#include "gateways/telegram/codec.hpp"

namespace telepay::gateways::telegram::bot {

// ---- intents ----
struct start { std::string referral_code; };
struct help {};
struct list_channels {};
struct wallet {};
struct withdraw { std::string amount; std::string address; };  // "/withdraw 25 0x..."; empty: usage
struct cancel_withdrawal { std::string id; };  // "/cancel_withdrawal tg-wd-..."; empty: usage
struct referral {};
struct subscriptions {};
struct resend_link { std::int64_t channel = 0; };  // "/link [channel]": 0 for every active one
struct show_channel { std::int64_t channel = 0; };
struct show_tier { std::int64_t channel = 0; std::uint32_t tier = 0; };
struct ask_coupon { std::int64_t channel = 0; std::uint32_t tier = 0; };
struct pay_invoice { std::int64_t channel = 0; std::uint32_t tier = 0; };
struct pay_balance { std::int64_t channel = 0; std::uint32_t tier = 0; };
struct donate { std::int64_t channel = 0; };
struct keypad { std::string key; };
struct donate_invoice { std::int64_t channel = 0; std::int64_t cents = 0; };
struct donate_balance { std::int64_t channel = 0; std::int64_t cents = 0; };
struct text { std::string value; };  // free text: a coupon code when one is asked for
struct admin_stats {};
struct admin_ban { std::int64_t user = 0; bool ban = true; };
struct admin_broadcast { std::string message; };
struct join_request { std::int64_t channel = 0; std::string invite_link; };
struct stale_button {};     // callback data we do not understand (old, forged, or too long)
struct unknown_command { std::string command; };
struct ignore {};           // nothing to do (other updates, member changes, bots)

using intent = std::variant<start, help, list_channels, wallet, withdraw, cancel_withdrawal, referral, subscriptions, resend_link, show_channel, show_tier,
                            ask_coupon, pay_invoice, pay_balance, donate, keypad, donate_invoice, donate_balance,
                            text, admin_stats, admin_ban, admin_broadcast, join_request, stale_button,
                            unknown_command, ignore>;

/// What an update asks for. Admin commands are only recognised for admins (for anyone else
/// they are unknown commands). Commands may carry "@botname".
intent parse(const update& u, bool is_admin);

// ---- the donation keypad ----
inline constexpr std::int64_t donation_min_cents = 499;
inline constexpr std::int64_t donation_max_cents = 999'999;

enum class key_outcome : std::uint8_t { typing, confirmed, cancelled, refused, timed_out };
struct key_result {
  key_outcome outcome = key_outcome::typing;
  std::string digits;  // after the key
  std::int64_t cents = 0;  // confirmed: the amount
  std::string reason;      // refused: why (shown to the user)
};
/// Applies a key ("0".."9", ".", "<", "ok", "x") to the digits typed so far. A key after the
/// timeout (5 minutes by default) times out; "ok" confirms only USD 4.99-9999.99.
key_result press(std::string_view digits, std::string_view key, std::int64_t started_at_us, std::int64_t now_us,
                 std::int64_t timeout_us = domain::conversation::keypad_timeout_us);
/// "12.5" -> 1250 cents; nullopt when not a well-formed amount.
std::optional<std::int64_t> cents_of(std::string_view digits);
std::string format_cents(std::int64_t cents);

// ---- what the bot says ----
struct tier_view {
  std::uint32_t number = 0;
  std::int64_t price_cents = 0;
  std::uint32_t days = 0;
};
struct channel_view {
  std::int64_t id = 0;
  std::string title;
  std::vector<tier_view> tiers;
  bool donations = false;
};

using keyboard = domain::notice::keyboard;
domain::notice::item message(std::string text, keyboard buttons = {});
domain::notice::item edit(std::int64_t message_id, std::string text, keyboard buttons = {});
/// Replaces only a message's buttons (editMessageReplyMarkup); none removes the keyboard.
domain::notice::item edit_buttons(std::int64_t message_id, keyboard buttons = {});
domain::notice::item answer(std::string callback_id, std::string text = {});

std::string welcome_text(bool new_user, bool referred);
/// Why something was refused, in the user's words: never a stream name, an amount of another
/// account or a provider's text (the error's message goes to the log, not to the user).
std::string refusal_words(errc code);
std::string help_text(bool is_admin);
keyboard channel_list(const std::vector<channel_view>& channels);
std::string channel_text(const channel_view& c);
keyboard channel_keyboard(const channel_view& c);
std::string tier_text(const channel_view& c, const tier_view& t, std::string_view coupon);
keyboard tier_keyboard(std::int64_t channel, std::uint32_t tier);
keyboard keypad_keyboard();
std::string keypad_text(std::string_view title, std::string_view digits, std::string_view note = {});
keyboard donation_pay_keyboard(std::int64_t channel, std::int64_t cents);

/// `text` with each byte that does not belong to a well-formed UTF-8 character replaced by
/// U+FFFD. Replies echo values from other layers (error messages, titles); a reply that is not
/// UTF-8 could not be recorded as a notice, so the user would get no answer at all.
std::string repair_utf8(std::string_view text);

/// A deterministic order/purchase id for what an update started ("tg-{update_id}"), so a
/// replayed update creates nothing new.
std::string order_id_for(std::int64_t update_id, std::string_view what);

}  // namespace telepay::gateways::telegram::bot
