// Fuzzes the Telegram Bot API decoders (gateways/telegram/codec.hpp) and the bot's reading of an
// update (gateways/telegram/bot.hpp, bot::parse): webhook bodies, getUpdates answers, Bot API
// envelopes and their results, and the saved getUpdates offset. Every decoder sees every input
// (each refuses what is not its shape), so the seeds need no framing.
//
// Each update split out of a getUpdates result (and out of an envelope's result) goes through
// the update reader and the bot again, as the poller does.
//
// Properties beyond "no crash": an error_code read is within 0..999 and a retry_after within its
// clamp (flood.hpp); the refusal detail recorded from a description stays within its bound.
//
// fuzz-dict: json

#include "gateways/telegram/bot.hpp"
#include "gateways/telegram/codec.hpp"
#include "gateways/telegram/flood.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace telepay;
using namespace telepay::gateways::telegram;

namespace {

void read_one(std::string_view json) {
  auto u = read_update(json);
  if (!u) return;
  (void)update_kind_name(u->kind);
  (void)bot::parse(*u, false);
  (void)bot::parse(*u, true);
  (void)bot::order_id_for(u->update_id, "fuzz");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  read_one(text);
  if (auto updates = split_updates(text)) {
    for (const std::string& one : *updates) read_one(one);
  }
  if (auto a = read_answer(text)) {
    TELEPAY_FUZZ_CHECK(a->error_code >= 0 && a->error_code <= 999, a->description);
    TELEPAY_FUZZ_CHECK(a->retry_after_s == 0 ||
                           (a->retry_after_s >= retry_after_s_min && a->retry_after_s <= retry_after_s_max),
                       std::to_string(a->retry_after_s));
    if (a->ok) {
      (void)read_invite_link(a->result);
      (void)read_message_id(a->result);
      if (auto updates = split_updates(a->result)) {
        for (const std::string& one : *updates) read_one(one);
      }
    }
    const std::string detail = refusal_detail(a->description);
    TELEPAY_FUZZ_CHECK(detail.size() <= delivery_detail_bytes_max, detail);
  }
  (void)read_invite_link(text);
  (void)read_message_id(text);
  (void)parse_offset(text);
  (void)valid_bot_token(text);
  return 0;
}
