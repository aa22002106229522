#include "gateways/telegram/bot.hpp"

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/conversation.hpp"

namespace telepay::gateways::telegram::bot {
namespace {

std::optional<std::int64_t> to_i64(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// channel:tier with a channel id that is a Telegram chat id and a tier 1-3.
std::optional<std::pair<std::int64_t, std::uint32_t>> channel_tier(std::string_view c, std::string_view t) {
  auto channel = to_i64(c);
  auto tier = to_i64(t);
  if (!channel || !tier || *tier < 1 || *tier > 3 || *channel == 0) return std::nullopt;
  return std::make_pair(*channel, static_cast<std::uint32_t>(*tier));
}

intent parse_callback(std::string_view data) {
  if (!valid_callback_data(data)) return stale_button{};
  const auto parts = split(data, ':');
  const std::string_view head = parts[0];
  if (head == "l" && parts.size() == 1) return list_channels{};
  if (head == "k" && parts.size() == 2) {
    static constexpr std::string_view keys[] = {"0", "1", "2", "3", "4", "5", "6", "7",
                                                "8", "9", ".", "<", "ok", "x"};
    for (auto k : keys) {
      if (parts[1] == k) return keypad{std::string(k)};
    }
    return stale_button{};
  }
  if ((head == "c" || head == "d") && parts.size() == 2) {
    auto channel = to_i64(parts[1]);
    if (!channel || *channel == 0) return stale_button{};
    if (head == "c") return show_channel{*channel};
    return donate{*channel};
  }
  if (parts.size() == 3 && (head == "di" || head == "db")) {
    auto channel = to_i64(parts[1]);
    auto cents = to_i64(parts[2]);
    if (!channel || !cents || *cents < donation_min_cents || *cents > donation_max_cents) return stale_button{};
    if (head == "di") return donate_invoice{*channel, *cents};
    return donate_balance{*channel, *cents};
  }
  if (parts.size() == 3) {
    auto ct = channel_tier(parts[1], parts[2]);
    if (!ct) return stale_button{};
    if (head == "t") return show_tier{ct->first, ct->second};
    if (head == "cp") return ask_coupon{ct->first, ct->second};
    if (head == "pi") return pay_invoice{ct->first, ct->second};
    if (head == "pb") return pay_balance{ct->first, ct->second};
  }
  return stale_button{};
}

intent parse_command(std::string_view message, bool is_admin) {
  const auto space = message.find(' ');
  std::string_view command = message.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? std::string_view() : trim(message.substr(space + 1));
  if (const auto at = command.find('@'); at != std::string_view::npos) command = command.substr(0, at);
  if (command == "/start") {
    std::string code;
    if (rest.substr(0, 4) == "ref_") code = std::string(rest.substr(4));
    return start{std::move(code)};
  }
  if (command == "/help") return help{};
  if (command == "/channels") return list_channels{};
  if (command == "/wallet") return wallet{};
  if (command == "/withdraw") {
    const auto gap = rest.find(' ');
    if (gap == std::string_view::npos) return withdraw{};
    return withdraw{std::string(rest.substr(0, gap)), std::string(trim(rest.substr(gap + 1)))};
  }
  if (command == "/cancel_withdrawal") return cancel_withdrawal{utf8_prefix(rest, 64)};
  if (command == "/referral") return referral{};
  if (command == "/subscriptions") return subscriptions{};
  if (command == "/link") {
    auto channel = to_i64(rest);
    return resend_link{channel ? *channel : 0};
  }
  if (command == "/subscribe" || command == "/donate") {
    auto channel = to_i64(rest);
    if (!channel || *channel == 0) return list_channels{};
    if (command == "/donate") return donate{*channel};
    return show_channel{*channel};
  }
  if (is_admin) {
    if (command == "/stats") return admin_stats{};
    if (command == "/ban" || command == "/unban") {
      auto user = to_i64(rest);
      if (!user || *user <= 0) return unknown_command{std::string(command)};
      return admin_ban{*user, command == "/ban"};
    }
    if (command == "/broadcast") {
      if (rest.empty()) return unknown_command{std::string(command)};
      return admin_broadcast{std::string(rest)};
    }
  }
  return unknown_command{utf8_prefix(command, 32)};  // echoed in the reply: whole characters
}

}  // namespace

intent parse(const update& u, bool is_admin) {
  if (u.from_is_bot || u.from_id <= 0) return ignore{};
  switch (u.kind) {
    case update_kind::callback_query:
      return parse_callback(u.callback_data);
    case update_kind::message: {
      if (u.chat_type != "private") return ignore{};
      const std::string_view t = trim(u.text);
      if (t.empty()) return ignore{};
      if (t.front() == '/') return parse_command(t, is_admin);
      return text{std::string(t)};
    }
    case update_kind::chat_join_request:
      return join_request{u.chat_id, u.invite_link};
    case update_kind::chat_member:
    case update_kind::other:
      break;
  }
  return ignore{};
}

std::optional<std::int64_t> cents_of(std::string_view digits) {
  if (digits.empty() || digits == ".") return std::nullopt;
  const auto dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  std::string_view decimals = dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
  if (decimals.size() > 2 || whole.size() > 7) return std::nullopt;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : decimals) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t cents = 0;
  for (char c : whole) cents = cents * 10 + (c - '0');
  cents *= 100;
  if (!decimals.empty()) cents += (decimals[0] - '0') * 10;
  if (decimals.size() == 2) cents += decimals[1] - '0';
  return cents;
}

std::string format_cents(std::int64_t cents) {
  std::string fraction = std::to_string(cents % 100);
  if (fraction.size() == 1) fraction = "0" + fraction;
  return std::to_string(cents / 100) + "." + fraction;
}

key_result press(std::string_view digits, std::string_view key, std::int64_t started_at_us, std::int64_t now_us,
                 std::int64_t timeout_us) {
  key_result r;
  r.digits = std::string(digits);
  if (now_us - started_at_us > timeout_us) {
    r.outcome = key_outcome::timed_out;
    return r;
  }
  if (key == "x") {
    r.outcome = key_outcome::cancelled;
    return r;
  }
  if (key == "<") {
    if (!r.digits.empty()) r.digits.pop_back();
    return r;
  }
  if (key == "ok") {
    auto cents = cents_of(r.digits);
    if (!cents) {
      r.outcome = key_outcome::refused;
      r.reason = "Type an amount first.";
    } else if (*cents < donation_min_cents) {
      r.outcome = key_outcome::refused;
      r.reason = "The smallest donation is 4.99 USD.";
    } else if (*cents > donation_max_cents) {
      r.outcome = key_outcome::refused;
      r.reason = "The largest donation is 9999.99 USD.";
    } else {
      r.outcome = key_outcome::confirmed;
      r.cents = *cents;
    }
    return r;
  }
  // A digit or the point: refused when the amount would stop being well formed.
  std::string next = r.digits + std::string(key);
  if (next == ".") next = "0.";
  const auto dot = next.find('.');
  const bool two_points = dot != std::string::npos && next.find('.', dot + 1) != std::string::npos;
  const std::size_t whole = dot == std::string::npos ? next.size() : dot;
  const std::size_t decimals = dot == std::string::npos ? 0 : next.size() - dot - 1;
  if (two_points || decimals > 2 || whole > 7 || (next.size() > 1 && next[0] == '0' && next[1] != '.')) {
    r.outcome = key_outcome::refused;
    r.reason = two_points ? "Only one decimal point." : (decimals > 2 ? "At most two decimals." : "That is too many digits.");
    return r;
  }
  r.digits = std::move(next);
  return r;
}

domain::notice::item message(std::string text, keyboard buttons) {
  domain::notice::item it;
  it.type = domain::notice::kind::message;
  it.text = std::move(text);
  it.buttons = std::move(buttons);
  return it;
}

domain::notice::item edit(std::int64_t message_id, std::string text, keyboard buttons) {
  domain::notice::item it;
  it.type = domain::notice::kind::edit;
  it.message_id = message_id;
  it.text = std::move(text);
  it.buttons = std::move(buttons);
  return it;
}

domain::notice::item edit_buttons(std::int64_t message_id, keyboard buttons) {
  return edit(message_id, "", std::move(buttons));
}

domain::notice::item answer(std::string callback_id, std::string text) {
  domain::notice::item it;
  it.type = domain::notice::kind::answer;
  it.ref = std::move(callback_id);
  it.text = std::move(text);
  return it;
}

std::string welcome_text(bool new_user, bool referred) {
  std::string out = new_user ? "Welcome to telepay! " : "Welcome back! ";
  if (referred) out += "You joined through a friend's referral link. ";
  out += "Pick a channel below to subscribe or donate. /wallet shows your balance, /referral your "
         "referral link, /subscriptions what you have, /help everything else.";
  return out;
}

std::string refusal_words(errc code) {
  switch (code) {
    case errc::insufficient_funds: return "your balance is too low for this. /wallet shows it";
    case errc::channel_disabled: return "this channel is not selling right now";
    case errc::tier_not_found: return "that subscription option no longer exists. /channels shows the current ones";
    case errc::donations_disabled: return "this channel does not take donations right now";
    case errc::donation_out_of_range: return "donations are from 4.99 to 9999.99 USD";
    case errc::coupon_not_found: return "there is no such coupon";
    case errc::coupon_expired: return "the coupon has expired";
    case errc::coupon_exhausted: return "the coupon has been used up";
    case errc::coupon_already_used: return "you have used this coupon already";
    case errc::coupon_not_applicable:
    case errc::coupon_invalid: return "the coupon is not valid for this";
    case errc::user_banned:
    case errc::blacklisted: return "your account cannot pay right now; please contact support";
    case errc::user_not_registered: return "send /start first";
    case errc::upstream_unavailable:
    case errc::request_timeout: return "the payment provider did not answer; please try again in a few minutes";
    default: return "it could not be completed right now and nothing was taken; please try again later";
  }
}

std::string help_text(bool is_admin) {
  std::string out =
      "/channels - paid channels: subscribe or donate\n"
      "/subscriptions - your subscriptions and their expiry\n"
      "/link [CHANNEL] - a new personal invite link for your active subscriptions\n"
      "/wallet - your balance and your USDT (BEP-20) deposit address\n"
      "/withdraw AMOUNT ADDRESS - send USDT (BEP-20) from your balance to your own wallet\n"
      "/cancel_withdrawal ID - cancel your withdrawal until it is sent\n"
      "/referral - your referral link, earnings and tier\n"
      "/help - this list";
  if (is_admin) out += "\nAdmin: /stats, /ban ID, /unban ID, /broadcast TEXT";
  return out;
}

keyboard channel_list(const std::vector<channel_view>& channels) {
  keyboard out;
  for (const auto& c : channels) {
    // Titles are up to 128 bytes of UTF-8; the button keeps whole characters.
    out.push_back({domain::notice::button{utf8_prefix(c.title, 64), "c:" + std::to_string(c.id), ""}});
  }
  return out;
}

std::string channel_text(const channel_view& c) {
  std::string out = c.title + "\n";
  for (const auto& t : c.tiers) {
    out += "\nTier " + std::to_string(t.number) + ": " + format_cents(t.price_cents) + " USD for " +
           std::to_string(t.days) + " days";
  }
  if (c.tiers.empty()) out += "\nNo subscription tiers yet.";
  return out;
}

keyboard channel_keyboard(const channel_view& c) {
  keyboard out;
  for (const auto& t : c.tiers) {
    out.push_back({domain::notice::button{"Tier " + std::to_string(t.number) + " - " + format_cents(t.price_cents) +
                                              " USD / " + std::to_string(t.days) + " days",
                                          "t:" + std::to_string(c.id) + ":" + std::to_string(t.number), ""}});
  }
  if (c.donations) out.push_back({domain::notice::button{"Donate", "d:" + std::to_string(c.id), ""}});
  out.push_back({domain::notice::button{"All channels", "l", ""}});
  return out;
}

std::string tier_text(const channel_view& c, const tier_view& t, std::string_view coupon) {
  std::string out = c.title + ", tier " + std::to_string(t.number) + ": " + format_cents(t.price_cents) + " USD for " +
                    std::to_string(t.days) + " days.";
  if (!coupon.empty()) out += "\nCoupon " + std::string(coupon) + " will be applied.";
  out += "\nPay with crypto through NOWPayments, or from your balance.";
  return out;
}

keyboard tier_keyboard(std::int64_t channel, std::uint32_t tier) {
  const std::string suffix = ":" + std::to_string(channel) + ":" + std::to_string(tier);
  return {{domain::notice::button{"Pay with crypto", "pi" + suffix, ""}},
          {domain::notice::button{"Pay from balance", "pb" + suffix, ""}},
          {domain::notice::button{"I have a coupon", "cp" + suffix, ""}}};
}

keyboard keypad_keyboard() {
  auto key = [](const char* label, const char* k) { return domain::notice::button{label, std::string("k:") + k, ""}; };
  return {{key("1", "1"), key("2", "2"), key("3", "3")},
          {key("4", "4"), key("5", "5"), key("6", "6")},
          {key("7", "7"), key("8", "8"), key("9", "9")},
          {key(".", "."), key("0", "0"), key("<", "<")},
          {key("Cancel", "x"), key("Confirm", "ok")}};
}

std::string keypad_text(std::string_view title, std::string_view digits, std::string_view note) {
  std::string out = "Donation to " + std::string(title) + ": " + (digits.empty() ? std::string("_") : std::string(digits)) +
                    " USD\n(4.99 to 9999.99 USD; the keypad closes after 5 minutes)";
  if (!note.empty()) out += "\n" + std::string(note);
  return out;
}

keyboard donation_pay_keyboard(std::int64_t channel, std::int64_t cents) {
  const std::string suffix = ":" + std::to_string(channel) + ":" + std::to_string(cents);
  return {{domain::notice::button{"Pay with crypto", "di" + suffix, ""}},
          {domain::notice::button{"Pay from balance", "db" + suffix, ""}}};
}

std::string repair_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80         ? 1
                               : lead >> 5 == 0x6  ? 2
                               : lead >> 4 == 0xE  ? 3
                               : lead >> 3 == 0x1E ? 4
                                                   : 0;  // a stray continuation or an invalid lead
    // One character at a time: is_valid_utf8 also refuses overlongs and surrogates.
    if (length > 0 && i + length <= text.size() && is_valid_utf8(text.substr(i, length))) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      i += 1;
    }
  }
  return out;
}

std::string order_id_for(std::int64_t update_id, std::string_view what) {
  return "tg-" + std::string(what) + "-" + std::to_string(update_id);
}

}  // namespace telepay::gateways::telegram::bot
