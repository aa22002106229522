#include "projections/decode.hpp"

#include <array>
#include <type_traits>
#include <utility>

namespace telepay::projections {
namespace {

template <class Variant>
result<any_event> as_any(const eventstore::record_view& r) {
  auto decoded = domain::decode_event<Variant>(r.type, r.schema_version, r.payload);
  if (!decoded) {
    return decoded.error();
  }
  return any_event(std::move(*decoded));
}

bool starts(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

using decoder = result<any_event> (*)(const eventstore::record_view&);

struct family {
  std::string_view prefix;
  decoder decode;
  std::size_t alternative;  // the index of the family in any_event
};

template <class T, std::size_t... I>
constexpr std::size_t index_in_any(std::index_sequence<I...>) {
  std::size_t index = 0;
  static_cast<void>(((std::is_same_v<T, std::variant_alternative_t<I, any_event>> ? (index = I, true) : false) || ...));
  return index;
}

template <class Variant>
constexpr family family_of(std::string_view prefix) {
  return family{prefix, &as_any<Variant>,
                index_in_any<Variant>(std::make_index_sequence<std::variant_size_v<any_event>>{})};
}

/// One entry per event family of any_event (every alternative but monostate).
constexpr std::array families{
    family_of<domain::wallet::event>("wallet."),
    family_of<domain::user::event>("user."),
    family_of<domain::blacklist::event>("blacklist."),
    family_of<domain::settings::event>("settings."),
    family_of<domain::channel::event>("channel."),
    family_of<domain::subscription::event>("subscription."),
    family_of<domain::coupon::event>("coupon."),
    family_of<domain::payout::event>("payout."),
    family_of<domain::process::event>("process."),
    family_of<domain::token::event>("token."),
    family_of<domain::manual_deposit::event>("manual_deposit."),
    family_of<domain::admin_log::event>("admin."),
    family_of<domain::invoice::event>("invoice."),
    family_of<domain::chain_deposit::event>("chain_deposit."),
    family_of<domain::withdrawal::event>("withdrawal."),
};

constexpr bool every_family_listed_once() {
  for (std::size_t i = 1; i < std::variant_size_v<any_event>; ++i) {
    std::size_t count = 0;
    for (const family& f : families) {
      count += f.alternative == i ? 1 : 0;
    }
    if (count != 1) {
      return false;
    }
  }
  return true;
}

// A family added to any_event without its prefix here would decode to monostate, silently
// ignored by every projection: refuse to compile instead.
static_assert(families.size() + 1 == std::variant_size_v<any_event>,
              "decode_any: one prefix per any_event family");
static_assert(every_family_listed_once(), "decode_any: an any_event family has no prefix (or two)");

}  // namespace

result<any_event> decode_any(const eventstore::record_view& r) {
  for (const family& f : families) {
    if (starts(r.type, f.prefix)) {
      return f.decode(r);
    }
  }
  return any_event(std::monostate{});
}

}  // namespace telepay::projections
