// Goal: the std-only vocabulary behaves exactly: error codes have unique names, results carry
// values or errors, big-endian and hex encodings round-trip, JSON strings escape like
// JavaScript's JSON.stringify and UTF-8 validation refuses malformed input.
// Method: table-driven checks, including inputs on both sides of each boundary.

#include <gtest/gtest.h>

#include <set>

#include "domain/base/bytes.hpp"
#include "domain/base/errc.hpp"
#include "domain/base/json.hpp"
#include "domain/base/result.hpp"
#include "domain/base/time.hpp"

namespace telepay {
namespace {

TEST(Errc, EveryCodeHasAUniqueName) {
  std::set<std::string_view> names;
  std::set<std::uint32_t> values;
  for (errc code : errc_all) {
    const std::string_view name = errc_name(code);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_TRUE(values.insert(static_cast<std::uint32_t>(code)).second) << name;
  }
}

TEST(Errc, PinnedValuesNeverChange) {
  EXPECT_EQ(static_cast<std::uint32_t>(errc::invalid_argument), 1u);
  EXPECT_EQ(static_cast<std::uint32_t>(errc::wrong_expected_version), 100u);
  EXPECT_EQ(static_cast<std::uint32_t>(errc::idempotency_key_reused_with_different_payload), 101u);
  EXPECT_EQ(static_cast<std::uint32_t>(errc::chain_broken), 104u);
}

result<int> parse_positive(int x) {
  if (x <= 0) {
    return make_error(errc::invalid_argument, "must be positive");
  }
  return x;
}

TEST(Result, CarriesAValueOrAnError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(0);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.code(), errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "must be positive");
  status fine;
  EXPECT_TRUE(fine.has_value());
  status failed = make_error(errc::not_found, "x");
  EXPECT_EQ(failed.code(), errc::not_found);
}

TEST(ResultDeathTest, ValueOfAnErrorTraps) {
  auto bad = parse_positive(-1);
  EXPECT_DEATH({ (void)bad.value(); }, "value\\(\\) on an error result");
}

TEST(Bytes, BigEndianRoundTripsAndSorts) {
  for (std::uint64_t v : {0ull, 1ull, 255ull, 256ull, 0x0102030405060708ull, ~0ull}) {
    const std::string key = be64_key(v);
    ASSERT_EQ(key.size(), 8u);
    EXPECT_EQ(get_be64(key.data()), v);
  }
  EXPECT_LT(be64_key(255), be64_key(256));
  EXPECT_LT(be64_key(1), be64_key(1ull << 56));
  std::string out;
  put_be32(out, 0xdeadbeef);
  put_be16(out, 0x1234);
  EXPECT_EQ(get_be32(out.data()), 0xdeadbeefu);
  EXPECT_EQ(get_be16(out.data() + 4), 0x1234);
}

TEST(Bytes, HexRoundTripsAndRejectsBadInput) {
  const std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(to_hex(raw), "0001abff");
  auto back = from_hex("0001ABff");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::string(back->begin(), back->end()), raw);
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(hash_from_hex(std::string(63, 'a')).has_value());
  EXPECT_TRUE(hash_from_hex(std::string(64, 'a')).has_value());
}

TEST(Json, StringsEscapeLikeJsonStringify) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\t\x01\x1f/\xd0\x9f");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xd0\x9f\"");
  out.clear();
  append_json_string(out, "");
  EXPECT_EQ(out, "\"\"");
}

TEST(Json, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xd0\x9f\xd1\x80\xd0\xb8"));          // Cyrillic
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));                  // U+1F600
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                         // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                 // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));                         // truncated
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

// The writer never emits invalid UTF-8 (a payload simdjson refuses would be undecodable in an
// immutable log): each ill-formed sequence becomes one U+FFFD per maximal subpart.
TEST(Json, StringsReplaceInvalidUtf8WithReplacementCharacters) {
  const std::string fffd = "\xef\xbf\xbd";
  const auto escaped = [](std::string_view text) {
    std::string out;
    append_json_string(out, text);
    EXPECT_TRUE(is_valid_utf8(out)) << out;
    return out.substr(1, out.size() - 2);
  };
  EXPECT_EQ(escaped("\xff"), fffd);
  EXPECT_EQ(escaped("a\xfe\xff" "b"), "a" + fffd + fffd + "b");
  EXPECT_EQ(escaped("\xc0\xaf"), fffd + fffd);              // overlong '/': C0 is never a lead
  EXPECT_EQ(escaped("\xe0\x80\xaf"), fffd + fffd + fffd);  // overlong 3-byte
  EXPECT_EQ(escaped("\xf0\x80\x80\xaf"), fffd + fffd + fffd + fffd);
  EXPECT_EQ(escaped("\xed\xa0\x80"), fffd + fffd + fffd);  // surrogate U+D800
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(escaped("\xe2\x82"), fffd);                     // cut short at the end
  EXPECT_EQ(escaped("\xe2\x82x"), fffd + "x");              // cut short before ASCII
  EXPECT_EQ(escaped("\xf0\x9f\x98"), fffd);
  EXPECT_EQ(escaped("\x80"), fffd);                          // a lone continuation byte
  EXPECT_EQ(escaped("\xd0"), fffd);
  // Well-formed text, including the boundaries of each range, is copied unchanged.
  for (std::string_view valid : {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                                 "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                                 "\xd0\x9f\xd1\x80\xd0\xb8"}) {
    EXPECT_EQ(escaped(valid), valid);
  }
  EXPECT_EQ(escaped("\"\xff\n"), "\\\"" + fffd + "\\n");  // escapes still apply around it
}

TEST(Json, Utf8PrefixNeverCutsACharacter) {
  EXPECT_EQ(utf8_prefix("abc", 5), "abc");
  EXPECT_EQ(utf8_prefix("abc", 2), "ab");
  EXPECT_EQ(utf8_prefix("abc", 0), "");
  // "a" + U+00E9 (2 bytes) + U+20AC (3 bytes) + U+1F600 (4 bytes).
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  EXPECT_EQ(utf8_prefix(text, 1), "a");
  EXPECT_EQ(utf8_prefix(text, 2), "a");  // inside U+00E9: dropped whole
  EXPECT_EQ(utf8_prefix(text, 3), "a\xc3\xa9");
  EXPECT_EQ(utf8_prefix(text, 4), "a\xc3\xa9");
  EXPECT_EQ(utf8_prefix(text, 5), "a\xc3\xa9");
  EXPECT_EQ(utf8_prefix(text, 6), "a\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(utf8_prefix(text, 9), "a\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(utf8_prefix(text, 10), text);
  for (std::size_t n = 0; n <= text.size(); ++n) {
    EXPECT_TRUE(is_valid_utf8(utf8_prefix(text, n))) << n;
  }
}

TEST(Json, PrintableTokens) {
  EXPECT_TRUE(is_printable_ascii_token("wallet-1-USDT:sys"));
  EXPECT_FALSE(is_printable_ascii_token("a b"));
  EXPECT_FALSE(is_printable_ascii_token("tab\t"));
  EXPECT_FALSE(is_printable_ascii_token("\x7f"));
  EXPECT_TRUE(is_printable_ascii_token(""));
}

}  // namespace
}  // namespace telepay

namespace telepay {
namespace {

TEST(Time, FormatsAndParsesUtcMicros) {
  EXPECT_EQ(format_utc_micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_utc_micros(1'795'000'000'123'456), "2026-11-18T11:06:40.123456Z");
  EXPECT_EQ(parse_utc_micros("2026-11-18T11:06:40.123456Z"), 1'795'000'000'123'456);
  EXPECT_EQ(parse_utc_micros("2026-11-18T11:06:40Z"), 1'795'000'000'000'000);
  EXPECT_EQ(parse_utc_micros("2026-11-18T11:06:40.5Z"), 1'795'000'000'500'000);
  EXPECT_FALSE(parse_utc_micros("2026-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_utc_micros("2026-11-18 07:06:40Z").has_value());
  EXPECT_FALSE(parse_utc_micros("2026-11-18T11:06:40").has_value());
  EXPECT_FALSE(parse_utc_micros("2026-11-18T11:06:40.1234567Z").has_value());
  EXPECT_FALSE(parse_utc_micros("2026-11-18T24:00:00Z").has_value());
}

}  // namespace
}  // namespace telepay
