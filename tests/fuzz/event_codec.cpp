// Fuzzes the event codec (domain/codec/event_codec.hpp) over every event family, as the log's
// readers do (projections, recovery, the auditor): a stored record is a type name, a version and
// a JSON payload, and its bytes may be damaged or forged.
//
// Input: "TYPE.vVERSION\n" then the payload, the same naming as the golden files
// (tests/domain/codec/golden/TYPE.vVERSION.json, each a seed). A line without ".v" is taken as
// the type name with version 1.
//
// Property beyond "no crash": a decoded event re-encodes canonically: decode(encode(e)) succeeds
// and encodes to the same bytes (the writer asserts sorted keys, so an encoder bug traps too).
//
// fuzz-dict: json

#include <charconv>

#include "domain/admin.hpp"
#include "domain/blacklist.hpp"
#include "domain/broadcast.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/chain_send.hpp"
#include "domain/channel.hpp"
#include "domain/codec/event_codec.hpp"
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
#include "domain/webhook.hpp"
#include "domain/withdrawal.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::domain;

/// Tries one family: false when the type is not one of its events.
template <class Variant>
bool try_family(std::string_view type, std::uint16_t version, std::string_view payload) {
  auto decoded = decode_event<Variant>(type, version, payload);
  if (!decoded) {
    return decoded.code() != errc::event_type_unknown;
  }
  const encoded_event first = encode_event(*decoded);
  TELEPAY_FUZZ_CHECK(first.type == type && first.version == version, first.type);
  auto again = decode_event<Variant>(first.type, first.version, first.payload);
  TELEPAY_FUZZ_CHECK(again.has_value(), first.type + ": " + (again ? "" : again.error().message) +
                                            " for " + first.payload);
  const encoded_event second = encode_event(*again);
  TELEPAY_FUZZ_CHECK(second.payload == first.payload, first.payload + " then " + second.payload);
  return true;
}

template <class... Variants>
void decode_any(std::string_view type, std::uint16_t version, std::string_view payload) {
  (try_family<Variants>(type, version, payload) || ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(fuzz::as_text(data, size));
  std::string_view type = in.line();
  std::uint16_t version = 1;
  if (const auto v = type.rfind(".v"); v != std::string_view::npos) {
    const std::string_view digits = type.substr(v + 2);
    std::uint16_t parsed = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      version = parsed;
      type = type.substr(0, v);
    }
  }
  const std::string_view payload = in.rest();
  decode_any<wallet::event, user::event, blacklist::event, settings::event, channel::event,
             subscription::event, coupon::event, payout::event, process::event, token::event,
             manual_deposit::event, admin_log::event, invoice::event, notice::event,
             conversation::event, broadcast::event, chain_deposit::event, chain_scan::event,
             chain_send::event, withdrawal::event, webhook::event>(type, version, payload);
  return 0;
}
