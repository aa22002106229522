// Fuzzes the strict JSON body reader of the operator API (gateways/http/body.hpp) and the
// canonical JSON reader under it (domain/codec/json.hpp): parse with an allow-list, then every
// getter on every allowed field, then a walk over whatever the document holds.
//
// Properties beyond "no crash": a text getter only answers valid UTF-8 within text_bytes_max;
// a member re-serialized with compact() parses back as JSON.
//
// fuzz-dict: json

#include <vector>

#include "domain/base/json.hpp"
#include "gateways/http/body.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace telepay;
using namespace telepay::gateways::http;
using domain::json_value;

// Field names the write routes use, and a few the fuzzer can reach by mutation.
constexpr std::string_view fields[] = {"user_id", "username", "amount", "tiers", "reason", "id",
                                       "enabled", "value", "kind", "from_block", "expires_at", "a"};

/// Visits values breadth-first (no recursion), at most `budget` of them.
void walk(const json_value& root, std::size_t budget) {
  std::vector<json_value> queue{root};
  for (std::size_t at = 0; at < queue.size() && at < budget; ++at) {
    const json_value v = queue[at];
    (void)v.kind();
    if (v.is_object()) {
      auto names = v.keys();
      if (!names) continue;
      for (const std::string& name : *names) {
        (void)v.str(name);
        (void)v.u64(name);
        (void)v.u32(name);
        (void)v.i64(name);
        (void)v.boolean(name);
        (void)v.time(name);
        (void)v.units(name);
        (void)v.money(name, domain::asset::usdt);
        if (auto compact = v.compact(name)) {
          auto back = domain::json_document::parse(*compact);
          TELEPAY_FUZZ_CHECK(back.has_value(), *compact);
        }
        if (auto member = v.field(name)) queue.push_back(*member);
      }
    } else if (v.is_array()) {
      (void)v.string_elements();
      if (auto items = v.elements()) queue.insert(queue.end(), items->begin(), items->end());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  auto b = body::parse(text, {"user_id", "username", "amount", "tiers", "reason", "id", "enabled", "value",
                              "kind", "from_block", "expires_at", "a"});
  if (b) {
    for (const std::string_view key : fields) {
      if (auto t = b->text(key)) {
        TELEPAY_FUZZ_CHECK(is_valid_utf8(*t) && t->size() <= body::text_bytes_max, key);
      }
      (void)b->optional_text(key, "fallback");
      (void)b->integer(key);
      (void)b->integer_in(key, -5, 5);
      (void)b->unsigned_integer(key);
      (void)b->flag(key);
      (void)b->money(key, domain::asset::usd);
      (void)b->money(key, domain::asset::usdt);
      (void)b->has(key);
    }
    walk(b->root(), 256);
  }
  if (auto document = domain::json_document::parse(text)) {
    walk(document->root(), 256);
  }
  return 0;
}
