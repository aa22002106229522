#include "domain/blacklist.hpp"

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"
#include "domain/crypto/eip55.hpp"

namespace telepay::domain::blacklist {

std::string_view kind_name(kind k) {
  return k == kind::telegram_id ? "telegram_id" : "wallet_address";
}

result<kind> parse_kind(std::string_view text) {
  if (text == "telegram_id") return kind::telegram_id;
  if (text == "wallet_address") return kind::wallet_address;
  return make_error(errc::invalid_argument, "blacklist kind must be telegram_id or wallet_address");
}

result<std::string> normalize(kind k, std::string_view value) {
  if (k == kind::telegram_id) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || id <= 0) {
      return make_error(errc::invalid_argument, "a blacklisted Telegram id must be a positive integer");
    }
    return std::to_string(id);
  }
  TELEPAY_TRY(address, parse_evm_address(value));
  std::string out;
  for (char c : address) {
    out.push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

void added::write(json_object_writer& w) const {
  w.str("by", by).str("kind", kind_name(type)).str("reason", reason).str("value", value);
}
result<added> added::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(kind_text, v.str("kind"));
  TELEPAY_TRY(k, parse_kind(kind_text));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(value, v.str("value"));
  return added{k, std::move(value), std::move(reason), std::move(by)};
}

void removed::write(json_object_writer& w) const {
  w.str("by", by).str("kind", kind_name(type)).str("value", value);
}
result<removed> removed::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(kind_text, v.str("kind"));
  TELEPAY_TRY(k, parse_kind(kind_text));
  TELEPAY_TRY(value, v.str("value"));
  return removed{k, std::move(value), std::move(by)};
}

bool state::contains(kind k, std::string_view normalized_value) const {
  return entries.contains({k, std::string(normalized_value)});
}

bool state::address_listed(std::string_view address) const {
  auto normalized = normalize(kind::wallet_address, address);
  return normalized && contains(kind::wallet_address, *normalized);
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const add& a) -> decision {
            TELEPAY_TRY(value, normalize(a.type, a.value));
            if (a.reason.empty() || a.reason.size() > 256 || !is_valid_utf8(a.reason) || a.by.empty() ||
                a.by.size() > 128) {
              return make_error(errc::invalid_argument, "blacklisting needs a reason and who");
            }
            if (s.contains(a.type, value)) {
              return make_error(errc::already_blacklisted, std::string(kind_name(a.type)) + " " + value +
                                                               " is already blacklisted");
            }
            return std::vector<event>{added{a.type, value, a.reason, a.by}};
          },
          [&](const remove& r) -> decision {
            TELEPAY_TRY(value, normalize(r.type, r.value));
            if (r.by.empty() || r.by.size() > 128) {
              return make_error(errc::invalid_argument, "removal needs who");
            }
            if (!s.contains(r.type, value)) {
              return make_error(errc::not_blacklisted, std::string(kind_name(r.type)) + " " + value +
                                                           " is not blacklisted");
            }
            return std::vector<event>{removed{r.type, value, r.by}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(overload{
                 [&](const added& a) { s.entries[{a.type, a.value}] = entry{a.reason, a.by}; },
                 [&](const removed& r) { s.entries.erase({r.type, r.value}); },
             },
             e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::blacklist
