// Fuzzes what a Telegram user types or presses, as the bot reads it (gateways/telegram/bot.hpp):
// the callback data of a pressed button (any 0-64+ bytes: a client can forge it), the text of a
// private message (commands with arguments), the donation keypad, and the text helpers that
// echo user input back.
//
// Input: byte 0 picks the role (admin or not) and, for the keypad, the key; then one line of
// digits typed so far; the rest is the callback data and the message text.
//
// Properties beyond "no crash": a keypad result is well-formed (confirmed amounts within the
// donation limits, digits that cents_of reads); repair_utf8 always gives valid UTF-8 and leaves
// valid UTF-8 unchanged; delivery_detail stays within its bound and keeps valid UTF-8 valid.

#include "domain/base/json.hpp"
#include "gateways/telegram/bot.hpp"
#include "gateways/telegram/codec.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::telegram;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  const std::uint8_t flags = in.byte();
  const bool admin = (flags & 1) != 0;
  const std::string_view digits = in.line();
  const std::string_view rest = in.rest();

  update press;
  press.update_id = 7;
  press.kind = update_kind::callback_query;
  press.from_id = 42;
  press.chat_id = 42;
  press.chat_type = "private";
  press.callback_id = "q";
  press.callback_data = std::string(rest);
  (void)bot::parse(press, admin);
  (void)valid_callback_data(rest);

  update message;
  message.update_id = 8;
  message.kind = update_kind::message;
  message.from_id = 42;
  message.chat_id = 42;
  message.chat_type = "private";
  message.text = std::string(rest);
  (void)bot::parse(message, admin);

  static constexpr std::string_view keys[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8",
                                              "9", ".", "<", "ok", "x"};
  const std::string_view key = (flags >> 1) < 14 ? keys[flags >> 1] : rest.substr(0, 4);
  const std::int64_t t0 = 1'000'000'000;
  const bot::key_result r = bot::press(digits, key, t0, t0 + (flags & 0x80 ? 400'000'000 : 1));
  if (r.outcome == bot::key_outcome::confirmed) {
    TELEPAY_FUZZ_CHECK(r.cents >= bot::donation_min_cents && r.cents <= bot::donation_max_cents,
                       std::to_string(r.cents));
    (void)bot::format_cents(r.cents);
  }
  if (r.outcome == bot::key_outcome::typing && !r.digits.empty()) {
    (void)bot::cents_of(r.digits);
  }
  if (auto cents = bot::cents_of(digits)) {
    (void)bot::format_cents(*cents);
  }

  const std::string repaired = bot::repair_utf8(rest);
  TELEPAY_FUZZ_CHECK(is_valid_utf8(repaired), repaired);
  if (is_valid_utf8(rest)) {
    TELEPAY_FUZZ_CHECK(repaired == rest, repaired);
  }
  const std::string detail = delivery_detail(rest);
  TELEPAY_FUZZ_CHECK(detail.size() <= delivery_detail_bytes_max, detail);
  if (is_valid_utf8(rest)) {
    TELEPAY_FUZZ_CHECK(is_valid_utf8(detail), detail);
  }
  return 0;
}
