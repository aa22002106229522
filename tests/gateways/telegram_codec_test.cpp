// Goal: the Telegram Bot API wire formats and flood limits, without network: updates of each
// kind read from the published JSON shapes (ids beyond 32 bits, unknown fields ignored, wrong
// types refused), getUpdates answers split into raw updates, the error envelope with
// retry_after, request bodies (callback data limited to 64 bytes, counted in bytes), and the
// flood schedule (30/s overall, 1/s per chat, 20/min per group, retry_after). What the Bot API
// or a user sends is bounded before it reaches arithmetic or a recorded event: retry_after,
// update_id and error_code ranges, texts cut on UTF-8 character boundaries, the offset file,
// and the poller's give-up count for an update the ledger keeps refusing.

#include <gtest/gtest.h>

#include <limits>

#include "domain/base/json.hpp"
#include "gateways/telegram/bot.hpp"
#include "gateways/telegram/codec.hpp"
#include "gateways/telegram/flood.hpp"

namespace telepay::gateways::telegram {
namespace {

TEST(TelegramCodec, ReadsEachUpdateKindFromThePublishedShapes) {
  auto m = read_update(
      R"({"update_id":900000001,"message":{"message_id":5,"date":1764000000,"from":{"id":5000000000123,"is_bot":false,)"
      R"("first_name":"Аня","username":"anya"},"chat":{"id":5000000000123,"type":"private"},"text":"/start ref_AB12",)"
      R"("entities":[{"type":"bot_command","offset":0,"length":6}],"unknown_future_field":{"x":1}}})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->kind, update_kind::message);
  EXPECT_EQ(m->update_id, 900000001);
  EXPECT_EQ(m->from_id, 5000000000123);  // more than 32 bits
  EXPECT_EQ(m->from_first_name, "Аня");
  EXPECT_EQ(m->chat_type, "private");
  EXPECT_EQ(m->text, "/start ref_AB12");

  auto c = read_update(
      R"({"update_id":2,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":42,"is_bot":false,"first_name":"A"},)"
      R"("message":{"message_id":77,"date":1,"from":{"id":999,"is_bot":true,"first_name":"bot"},)"
      R"("chat":{"id":42,"type":"private"},"text":"Pick"},"chat_instance":"-1","data":"t:-1001:2"}})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, update_kind::callback_query);
  EXPECT_EQ(c->callback_id, "4382bfdwdsb323b2d9");
  EXPECT_EQ(c->callback_data, "t:-1001:2");
  EXPECT_EQ(c->from_id, 42);  // the presser, not the bot that wrote the message
  EXPECT_EQ(c->message_id, 77);
  EXPECT_EQ(c->chat_id, 42);

  auto j = read_update(
      R"({"update_id":3,"chat_join_request":{"chat":{"id":-1001234567890,"type":"channel","title":"Paid"},)"
      R"("from":{"id":42,"is_bot":false,"first_name":"A"},"user_chat_id":42,"date":1764000000,)"
      R"("invite_link":{"invite_link":"https://t.me/+AbC","creator":{"id":999,"is_bot":true,"first_name":"b"},)"
      R"("creates_join_request":true,"is_primary":false,"is_revoked":false}}})");
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ(j->kind, update_kind::chat_join_request);
  EXPECT_EQ(j->chat_id, -1001234567890);
  EXPECT_EQ(j->from_id, 42);
  EXPECT_EQ(j->user_chat_id, 42);
  EXPECT_EQ(j->invite_link, "https://t.me/+AbC");

  auto member = read_update(
      R"({"update_id":4,"chat_member":{"chat":{"id":-100,"type":"channel"},"from":{"id":999,"is_bot":true,"first_name":"b"},)"
      R"("date":5,"old_chat_member":{"status":"left","user":{"id":42,"is_bot":false,"first_name":"A"}},)"
      R"("new_chat_member":{"status":"member","user":{"id":42,"is_bot":false,"first_name":"A"}}}})");
  ASSERT_TRUE(member) << member.error().message;
  EXPECT_EQ(member->kind, update_kind::chat_member);
  EXPECT_EQ(member->from_id, 42);  // the member, not the admin who acted
  EXPECT_EQ(member->old_status, "left");
  EXPECT_EQ(member->new_status, "member");

  auto other = read_update(R"({"update_id":5,"poll":{"id":"p"}})");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->kind, update_kind::other);
}

TEST(TelegramCodec, RefusesMalformedUpdatesNamingTheProblem) {
  EXPECT_FALSE(read_update("not json"));
  EXPECT_FALSE(read_update("[]"));
  EXPECT_FALSE(read_update(R"({"message":{}})"));
  EXPECT_FALSE(read_update(R"({"update_id":"7"})"));
  auto wrong = read_update(R"({"update_id":7,"message":{"message_id":1,"text":5}})");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("'text'"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(read_update(R"({"update_id":8,"callback_query":{"from":{"id":1}}})"));  // no id to answer
}

TEST(TelegramCodec, SplitsGetUpdatesAndReadsTheEnvelope) {
  auto a = read_answer(R"({"ok":true,"result":[{"update_id":1,"message":{"text":"a b"}},{"update_id":2}]})");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->ok);
  auto updates = split_updates(a->result);
  ASSERT_TRUE(updates);
  ASSERT_EQ(updates->size(), 2u);
  EXPECT_EQ((*updates)[0], R"({"update_id":1,"message":{"text":"a b"}})");
  EXPECT_FALSE(split_updates(R"({"update_id":1})"));

  auto flood = read_answer(
      R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 34","parameters":{"retry_after":34}})");
  ASSERT_TRUE(flood);
  EXPECT_FALSE(flood->ok);
  EXPECT_EQ(flood->error_code, 429);
  EXPECT_EQ(flood->retry_after_s, 34);
  EXPECT_EQ(flood->description, "Too Many Requests: retry after 34");
  EXPECT_FALSE(read_answer("<html>502</html>"));
  EXPECT_FALSE(read_answer(R"({"result":[]})"));
  EXPECT_FALSE(read_answer(R"({"ok":true})"));

  EXPECT_EQ(read_invite_link(R"({"invite_link":"https://t.me/+x","creates_join_request":true})").value(),
            "https://t.me/+x");
  EXPECT_FALSE(read_invite_link(R"({"creates_join_request":true})"));
  EXPECT_EQ(read_message_id(R"({"message_id":12,"chat":{"id":1}})").value(), 12);
}

TEST(TelegramCodec, WritesRequestBodiesAndLimitsCallbackDataInBytes) {
  auto m = send_message(42, "Hi \"you\"\n", {{{"Pay 9.99", "t:-1001:1", ""}, {"Open", "", "https://np.example/i/1"}}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m,
            R"({"chat_id":42,"reply_markup":{"inline_keyboard":[[{"callback_data":"t:-1001:1","text":"Pay 9.99"},)"
            R"({"text":"Open","url":"https://np.example/i/1"}]]},"text":"Hi \"you\"\n"})");
  EXPECT_TRUE(valid_callback_data(std::string(64, 'a')));
  EXPECT_FALSE(valid_callback_data(std::string(65, 'a')));
  EXPECT_FALSE(valid_callback_data(""));
  std::string cyrillic;
  for (int i = 0; i < 33; ++i) cyrillic += "ж";  // 33 characters, 66 bytes
  EXPECT_FALSE(send_message(1, "x", {{{"b", cyrillic, ""}}}));
  EXPECT_FALSE(send_message(1, ""));
  EXPECT_FALSE(send_message(1, std::string(4097, 'a')));
  EXPECT_TRUE(send_message(1, std::string(4096, 'a')));
  EXPECT_FALSE(send_message(1, "\xff\xfe"));

  EXPECT_EQ(create_chat_invite_link(-100, "purchase p-1", 1764086400),
            R"({"chat_id":-100,"creates_join_request":true,"expire_date":1764086400,"name":"purchase p-1"})");
  EXPECT_EQ(unban_chat_member(-100, 42, true), R"({"chat_id":-100,"only_if_banned":true,"user_id":42})");
  EXPECT_EQ(answer_callback_query("q1"), R"({"callback_query_id":"q1"})");
  EXPECT_EQ(get_updates(101, 25),
            R"({"allowed_updates":["message","callback_query","chat_join_request","chat_member"],"limit":100,)"
            R"("offset":101,"timeout":25})");
}

TEST(FloodControl, KeepsEveryLimit) {
  constexpr std::int64_t s = 1'000'000;
  flood_control f;
  // One chat: once per second.
  EXPECT_EQ(f.ready_at(42, 0), 0);
  f.sent(42, 0);
  EXPECT_EQ(f.ready_at(42, 10), s);
  EXPECT_EQ(f.ready_at(43, 10), 10);
  // Overall: 30 within any second.
  flood_control g;
  for (int i = 0; i < 30; ++i) g.sent(1000 + i, 1000 * i);
  EXPECT_EQ(g.ready_at(5, 30'000), s);  // the 31st waits for the first to age out
  g.sent(5, s);
  EXPECT_EQ(g.ready_at(6, s), s + 1000);
  // A group: 20 per minute even though a second apart is allowed.
  flood_control h;
  for (int i = 0; i < 20; ++i) h.sent(-100, i * s);
  EXPECT_EQ(h.ready_at(-100, 20 * s), 60 * s);
  EXPECT_EQ(h.ready_at(100, 20 * s), 20 * s);  // a private chat is not a group
  // retry_after pauses the chat and everything else.
  flood_control r;
  r.retry_after(42, 34, 5 * s);
  EXPECT_EQ(r.ready_at(42, 5 * s), 39 * s);
  EXPECT_EQ(r.ready_at(7, 5 * s), 39 * s);
  r.retry_after(42, 0, 50 * s);  // never less than a second
  EXPECT_EQ(r.ready_at(42, 50 * s), 51 * s);
}

update private_message(std::string text, std::int64_t from = 42) {
  update u;
  u.update_id = 1;
  u.kind = update_kind::message;
  u.from_id = from;
  u.chat_id = from;
  u.chat_type = "private";
  u.text = std::move(text);
  return u;
}

update button_press(std::string data) {
  update u;
  u.update_id = 2;
  u.kind = update_kind::callback_query;
  u.from_id = 42;
  u.callback_id = "q";
  u.callback_data = std::move(data);
  return u;
}

TEST(BotIntent, ReadsCommandsAndButtonsAndRefusesTheRest) {
  using namespace bot;
  auto s = parse(private_message("/start ref_AB12CD"), false);
  ASSERT_TRUE(std::holds_alternative<start>(s));
  EXPECT_EQ(std::get<start>(s).referral_code, "AB12CD");
  EXPECT_TRUE(std::get<start>(parse(private_message("/start"), false)).referral_code.empty());
  EXPECT_TRUE(std::holds_alternative<help>(parse(private_message("/help@telepay_bot"), false)));
  EXPECT_EQ(std::get<show_channel>(parse(private_message("/subscribe -1001"), false)).channel, -1001);
  EXPECT_TRUE(std::holds_alternative<text>(parse(private_message("  SAVE10 "), false)));
  EXPECT_EQ(std::get<text>(parse(private_message("  SAVE10 "), false)).value, "SAVE10");
  // Admin commands only for admins.
  EXPECT_TRUE(std::holds_alternative<unknown_command>(parse(private_message("/ban 7"), false)));
  EXPECT_EQ(std::get<admin_ban>(parse(private_message("/ban 7"), true)).user, 7);
  EXPECT_FALSE(std::get<admin_ban>(parse(private_message("/unban 7"), true)).ban);
  EXPECT_TRUE(std::holds_alternative<admin_stats>(parse(private_message("/stats"), true)));
  // Withdrawals: amount and address; anything less asks for both.
  const auto w = std::get<withdraw>(parse(private_message("/withdraw 12.5   0x7F31abEa73053A3e049Eaa0f8E73d351DA173229"), false));
  EXPECT_EQ(w.amount, "12.5");
  EXPECT_EQ(w.address, "0x7F31abEa73053A3e049Eaa0f8E73d351DA173229");
  EXPECT_TRUE(std::get<withdraw>(parse(private_message("/withdraw"), false)).amount.empty());
  EXPECT_TRUE(std::get<withdraw>(parse(private_message("/withdraw 12"), false)).amount.empty());
  // Groups and bots are ignored.
  auto group = private_message("/help");
  group.chat_type = "supergroup";
  EXPECT_TRUE(std::holds_alternative<ignore>(parse(group, false)));
  auto from_bot = private_message("/help");
  from_bot.from_is_bot = true;
  EXPECT_TRUE(std::holds_alternative<ignore>(parse(from_bot, false)));
  // Buttons.
  auto tier = parse(button_press("t:-1001:2"), false);
  ASSERT_TRUE(std::holds_alternative<show_tier>(tier));
  EXPECT_EQ(std::get<show_tier>(tier).tier, 2u);
  EXPECT_TRUE(std::holds_alternative<pay_balance>(parse(button_press("pb:-1001:1"), false)));
  EXPECT_EQ(std::get<keypad>(parse(button_press("k:ok"), false)).key, "ok");
  EXPECT_EQ(std::get<donate_invoice>(parse(button_press("di:-1001:499"), false)).cents, 499);
  for (const char* bad : {"t:-1001:4", "t:x:1", "k:99", "di:-1001:498", "zz", "c:0", "", "pb:-1001"}) {
    EXPECT_TRUE(std::holds_alternative<stale_button>(parse(button_press(bad), false))) << bad;
  }
  EXPECT_TRUE(std::holds_alternative<stale_button>(parse(button_press(std::string(65, 'c')), false)));
  // Every callback data the bot writes fits in 64 bytes, even with the longest ids.
  const std::int64_t longest = -1'000'000'000'000'000;
  for (const auto& row : tier_keyboard(longest, 3)) {
    for (const auto& b : row) EXPECT_TRUE(valid_callback_data(b.data)) << b.data;
  }
  for (const auto& row : donation_pay_keyboard(longest, donation_max_cents)) {
    for (const auto& b : row) EXPECT_TRUE(valid_callback_data(b.data)) << b.data;
  }
}

TEST(DonationKeypad, TypesConfirmsWithinLimitsAndTimesOut) {
  using namespace bot;
  const std::int64_t t0 = 1'000'000'000;
  auto type = [&](std::string keys) {
    std::string digits;
    key_result r;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      std::string key(1, keys[i]);
      if (keys[i] == 'K') key = "ok";
      r = press(digits, key, t0, t0 + 1);
      if (r.outcome != key_outcome::typing) return r;
      digits = r.digits;
    }
    return r;
  };
  EXPECT_EQ(type("4.98K").outcome, key_outcome::refused);
  EXPECT_EQ(type("4.98K").reason, "The smallest donation is 4.99 USD.");
  EXPECT_EQ(type("4.99K").outcome, key_outcome::confirmed);
  EXPECT_EQ(type("4.99K").cents, 499);
  EXPECT_EQ(type("9999.99K").cents, 999'999);
  EXPECT_EQ(type("10000K").outcome, key_outcome::refused);
  EXPECT_EQ(type("K").outcome, key_outcome::refused);
  EXPECT_EQ(type("1.2.").outcome, key_outcome::refused);
  EXPECT_EQ(type("1.234").outcome, key_outcome::refused);
  EXPECT_EQ(type("12345678").outcome, key_outcome::refused);
  EXPECT_EQ(type("05").outcome, key_outcome::refused);
  EXPECT_EQ(press("12", "<", t0, t0).digits, "1");
  EXPECT_EQ(press("", "<", t0, t0).digits, "");
  EXPECT_EQ(press("", ".", t0, t0).digits, "0.");
  EXPECT_EQ(press("12", "x", t0, t0).outcome, key_outcome::cancelled);
  EXPECT_EQ(press("12", "1", t0, t0 + 300'000'000).outcome, key_outcome::typing);
  EXPECT_EQ(press("12", "1", t0, t0 + 300'000'001).outcome, key_outcome::timed_out);
  EXPECT_EQ(format_cents(999'999), "9999.99");
  EXPECT_EQ(format_cents(505), "5.05");
}


std::string repeated(std::string_view piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

TEST(TelegramCodec, ClampsRetryAfterToAnHour) {
  auto retry = [](const std::string& value) {
    return read_answer(R"({"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":)" +
                       value + "}}");
  };
  EXPECT_EQ(retry("34").value().retry_after_s, 34);
  EXPECT_EQ(retry("1000000000").value().retry_after_s, retry_after_s_max);
  EXPECT_EQ(retry("9223372036854775807").value().retry_after_s, retry_after_s_max);
  EXPECT_EQ(retry("0").value().retry_after_s, retry_after_s_min);
  EXPECT_EQ(retry("-5").value().retry_after_s, retry_after_s_min);
  EXPECT_EQ(read_answer(R"({"ok":false,"error_code":400,"description":"x"})").value().retry_after_s, 0);
}

TEST(TelegramCodec, RefusesErrorCodesOutsideZeroTo999) {
  // 4294967725 narrowed to int would read as 429; a code that does not fit is a broken envelope.
  for (const char* code : {"4294967725", "1000", "-1", "9223372036854775807"}) {
    EXPECT_FALSE(read_answer(std::string(R"({"ok":false,"error_code":)") + code + R"(,"description":"x"})")) << code;
  }
  EXPECT_EQ(read_answer(R"({"ok":false,"error_code":999,"description":"x"})").value().error_code, 999);
  EXPECT_EQ(read_answer(R"({"ok":false,"description":"x"})").value().error_code, 0);
}

TEST(TelegramCodec, RefusesAnUpdateIdWhoseSuccessorOverflows) {
  // The poller confirms with offset = update_id + 1, which must fit in int64.
  EXPECT_FALSE(read_update(R"({"update_id":9223372036854775807,"message":{"text":"a"}})"));
  auto last = read_update(R"({"update_id":9223372036854775806,"message":{"text":"a"}})");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->update_id, std::numeric_limits<std::int64_t>::max() - 1);
}

TEST(TelegramCodec, CutsEchoedTextsOnCharacterBoundaries) {
  // Each cut lands inside a two-byte letter unless it backs up to the character boundary.
  const std::string refused = std::string(299, 'a') + "\xc3\xa9";  // 301 bytes
  const std::string detail = delivery_detail(refused);
  EXPECT_TRUE(is_valid_utf8(detail)) << detail.size();
  EXPECT_EQ(detail, std::string(299, 'a'));
  const std::string blocked = refusal_detail("Forbidden: bot was blocked by the user " + repeated("\xd0\xb1", 200));
  EXPECT_TRUE(is_valid_utf8(blocked));
  EXPECT_LE(blocked.size(), delivery_detail_bytes_max);
  EXPECT_EQ(blocked.rfind("blocked: ", 0), 0u);
  EXPECT_EQ(refusal_detail("Bad Request: chat not found"), "Bad Request: chat not found");

  const std::string answer = answer_callback_query("q", std::string(199, 'a') + "\xc3\xa9");
  EXPECT_TRUE(is_valid_utf8(answer));
  EXPECT_NE(answer.find(std::string(199, 'a') + "\"}"), std::string::npos) << answer;
  EXPECT_TRUE(is_valid_utf8(create_chat_invite_link(-100, std::string(31, 'p') + "\xc3\xa9", 1)));
  auto too_long = send_message(1, "x", {{{"b", "z" + repeated("\xd0\xb6", 40), ""}}});
  ASSERT_FALSE(too_long);
  EXPECT_TRUE(is_valid_utf8(too_long.error().message)) << too_long.error().message;
}

TEST(TelegramCodec, RefusesBotTokensThatWouldChangeTheRequest) {
  EXPECT_TRUE(valid_bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
  EXPECT_TRUE(valid_bot_token("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11_"));
  for (const std::string& bad : {std::string(""), std::string("1:a\r\nHost: evil"), std::string("1:a/b"),
                                std::string("1:a b"), std::string("1:a?x=1"), std::string("1:a#f"),
                                std::string("1:a%2F"), std::string("1:a\x01"), std::string(257, 'a')}) {
    EXPECT_FALSE(valid_bot_token(bad)) << bad;
  }
}

TEST(TelegramOffset, RefusesNegativeAndNonNumericContent) {
  EXPECT_EQ(parse_offset("900000123\n").value(), 900000123);
  EXPECT_EQ(parse_offset("0").value(), 0);
  for (const char* bad : {"-5\n", "", "\n", "abc", "12abc", "1 2", "99999999999999999999", "+7"}) {
    EXPECT_FALSE(parse_offset(bad)) << bad;
  }
}

TEST(TelegramPoller, SkipsAnUpdateAfterRepeatedNonTransientFailures) {
  record_failures f(3);
  EXPECT_FALSE(f.failed(10));
  EXPECT_FALSE(f.failed(10));
  EXPECT_TRUE(f.failed(10));   // the third failure in a row: skip it
  EXPECT_FALSE(f.failed(10));  // counting starts again
  // Another update, or a success in between, starts the count again.
  EXPECT_FALSE(f.failed(11));
  EXPECT_FALSE(f.failed(12));
  EXPECT_FALSE(f.failed(12));
  f.recorded();
  EXPECT_FALSE(f.failed(12));
  EXPECT_FALSE(f.failed(12));
  EXPECT_TRUE(f.failed(12));
  record_failures defaults;
  for (int i = 1; i < record_attempts_max; ++i) EXPECT_FALSE(defaults.failed(1));
  EXPECT_TRUE(defaults.failed(1));
}

TEST(FloodControl, BoundsAHugeRetryAfter) {
  constexpr std::int64_t s = 1'000'000;
  flood_control f;
  f.retry_after(42, 1'000'000'000, 5 * s);  // about 31 years if honoured
  EXPECT_EQ(f.ready_at(42, 5 * s), 5 * s + retry_after_s_max * s);
  EXPECT_EQ(f.ready_at(7, 5 * s), 5 * s + retry_after_s_max * s);
  flood_control g;
  g.retry_after(42, std::numeric_limits<std::int64_t>::max(), 5 * s);  // would overflow x 1e6
  EXPECT_EQ(g.ready_at(42, 5 * s), 5 * s + retry_after_s_max * s);
  EXPECT_EQ(retry_at_us(5 * s, std::numeric_limits<std::int64_t>::max()), 5 * s + retry_after_s_max * s);
  EXPECT_EQ(retry_at_us(5 * s, -1), 6 * s);
  EXPECT_EQ(retry_at_us(5 * s, 34), 39 * s);
}

TEST(BotIntent, CutsUnknownCommandsOnCharacterBoundaries) {
  using namespace bot;
  // "/" and 16 two-byte letters: 33 bytes, so a cut at byte 32 splits the last letter.
  const auto i = parse(private_message("/" + repeated("\xd0\xb1", 16)), false);
  ASSERT_TRUE(std::holds_alternative<unknown_command>(i));
  const std::string& command = std::get<unknown_command>(i).command;
  EXPECT_TRUE(is_valid_utf8(command)) << command.size();
  EXPECT_EQ(command, "/" + repeated("\xd0\xb1", 15));
  EXPECT_EQ(std::get<unknown_command>(parse(private_message("/nope"), false)).command, "/nope");
}

TEST(BotText, RepairsTextsThatAreNotUtf8) {
  using bot::repair_utf8;
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(repair_utf8("plain \xd0\xb1 text"), "plain \xd0\xb1 text");
  EXPECT_EQ(repair_utf8("cut \xd0"), "cut " + replacement);                       // a split letter
  EXPECT_EQ(repair_utf8("\xff\xfe!"), replacement + replacement + "!");            // never UTF-8
  EXPECT_EQ(repair_utf8("\xc0\xaf"), replacement + replacement);                  // an overlong '/'
  EXPECT_EQ(repair_utf8("\xed\xa0\x80x"), replacement + replacement + replacement + "x");  // a surrogate
  EXPECT_EQ(repair_utf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
  EXPECT_TRUE(is_valid_utf8(repair_utf8(std::string(63, 'a') + "\xc3")));
}

TEST(BotText, CutsChannelTitlesOnCharacterBoundaries) {
  using namespace bot;
  // An odd ASCII prefix puts byte 64 inside a letter; titles may be up to 128 bytes.
  const channel_view c{-1001, "A" + repeated("\xd1\x8f", 40), {}, false};
  const auto rows = channel_list({c});
  ASSERT_EQ(rows.size(), 1u);
  const std::string& text = rows[0][0].text;
  EXPECT_TRUE(is_valid_utf8(text)) << text.size();
  EXPECT_LE(text.size(), 64u);
  EXPECT_EQ(text, "A" + repeated("\xd1\x8f", 31));
}

}  // namespace
}  // namespace telepay::gateways::telegram
