// Goal: every stored event version decodes forever, and encoding is canonical (sorted keys, no
// whitespace, amounts and times as strings) so that hashes and replays are reproducible.
// Method: golden payloads under tests/domain/codec/golden/{type}.v{version}.json, written by an
// independent serializer (Python's json with sorted keys); each must decode and re-encode to
// the same bytes, and every (type, version) the code knows must have a golden file.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "domain/admin.hpp"
#include "domain/blacklist.hpp"
#include "domain/broadcast.hpp"
#include "domain/webhook.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/chain_send.hpp"
#include "domain/channel.hpp"
#include "domain/conversation.hpp"
#include "domain/coupon.hpp"
#include "domain/invoice.hpp"
#include "domain/notice.hpp"
#include "domain/payout.hpp"
#include "domain/process.hpp"
#include "domain/settings.hpp"
#include "domain/subscription.hpp"
#include "domain/user.hpp"
#include "domain/wallet.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::domain {
namespace {

const std::filesystem::path golden_dir =
    std::filesystem::path(TELEPAY_TEST_DATA_DIR) / "domain" / "codec" / "golden";

template <class Variant>
void known_types(std::set<std::string>& out) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((out.insert(std::string(std::variant_alternative_t<I, Variant>::type_name) + ".v" +
                 std::to_string(std::variant_alternative_t<I, Variant>::version))),
     ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>());
}

std::set<std::string> all_known_types() {
  std::set<std::string> out;
  known_types<wallet::event>(out);
  known_types<user::event>(out);
  known_types<blacklist::event>(out);
  known_types<settings::event>(out);
  known_types<channel::event>(out);
  known_types<subscription::event>(out);
  known_types<coupon::event>(out);
  known_types<payout::event>(out);
  known_types<process::event>(out);
  known_types<token::event>(out);
  known_types<manual_deposit::event>(out);
  known_types<admin_log::event>(out);
  known_types<invoice::event>(out);
  known_types<notice::event>(out);
  known_types<conversation::event>(out);
  known_types<broadcast::event>(out);
  known_types<chain_deposit::event>(out);
  known_types<chain_scan::event>(out);
  known_types<chain_send::event>(out);
  known_types<withdrawal::event>(out);
  known_types<webhook::event>(out);
  return out;
}

template <class Variant>
std::optional<result<std::string>> reencode(const std::string& type, std::uint16_t version,
                                            const std::string& payload) {
  auto decoded = decode_event<Variant>(type, version, payload);
  if (!decoded && decoded.code() == errc::event_type_unknown) {
    return std::nullopt;
  }
  if (!decoded) {
    return result<std::string>(decoded.error());
  }
  return result<std::string>(encode_event(*decoded).payload);
}

result<std::string> reencode_any(const std::string& type, std::uint16_t version,
                                 const std::string& payload) {
  for (auto attempt : {reencode<wallet::event>, reencode<user::event>, reencode<blacklist::event>,
                       reencode<settings::event>, reencode<channel::event>,
                       reencode<subscription::event>, reencode<coupon::event>,
                       reencode<payout::event>, reencode<process::event>,
                       reencode<token::event>, reencode<manual_deposit::event>,
                       reencode<admin_log::event>, reencode<invoice::event>,
                       reencode<notice::event>, reencode<conversation::event>,
                       reencode<broadcast::event>, reencode<chain_deposit::event>,
                       reencode<chain_scan::event>, reencode<chain_send::event>,
                       reencode<withdrawal::event>, reencode<webhook::event>}) {
    if (auto r = attempt(type, version, payload)) {
      return *r;
    }
  }
  return make_error(errc::event_type_unknown, type);
}

TEST(EventCodec, EveryGoldenPayloadDecodesAndReencodesByteForByte) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(golden_dir)) {
    const std::string name = entry.path().filename().string();  // "wallet.held.v1.json"
    const auto v = name.rfind(".v");
    ASSERT_NE(v, std::string::npos) << name;
    const std::string type = name.substr(0, v);
    const auto version = static_cast<std::uint16_t>(std::stoi(name.substr(v + 2)));
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string payload = buffer.str();
    while (!payload.empty() && payload.back() == '\n') {
      payload.pop_back();
    }
    auto again = reencode_any(type, version, payload);
    ASSERT_TRUE(again.has_value()) << name << ": " << again.error().message;
    EXPECT_EQ(*again, payload) << name;
    ++files;
  }
  EXPECT_GE(files, 33u);
}

TEST(EventCodec, EveryKnownTypeAndVersionHasAGoldenFile) {
  for (const std::string& type : all_known_types()) {
    EXPECT_TRUE(std::filesystem::exists(golden_dir / (type + ".json"))) << type;
  }
}

TEST(EventCodec, WriterRefusesUnsortedKeys) {
  EXPECT_DEATH(
      {
        std::string out;
        json_object_writer w(out);
        w.str("b", "1").str("a", "2");
      },
      "out of order");
}

TEST(EventCodec, StringsEscapeLikeJsonStringify) {
  std::string out;
  {
    json_object_writer w(out);
    w.str("k", "q\"\\\n\t\x01/\xc3\xa9");
  }
  EXPECT_EQ(out, "{\"k\":\"q\\\"\\\\\\n\\t\\u0001/\xc3\xa9\"}");
}

}  // namespace
}  // namespace telepay::domain
