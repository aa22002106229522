#include "projections/decode.hpp"

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

}  // namespace

result<any_event> decode_any(const eventstore::record_view& r) {
  const std::string_view t = r.type;
  if (starts(t, "wallet.")) return as_any<domain::wallet::event>(r);
  if (starts(t, "user.")) return as_any<domain::user::event>(r);
  if (starts(t, "blacklist.")) return as_any<domain::blacklist::event>(r);
  if (starts(t, "settings.")) return as_any<domain::settings::event>(r);
  if (starts(t, "channel.")) return as_any<domain::channel::event>(r);
  if (starts(t, "subscription.")) return as_any<domain::subscription::event>(r);
  if (starts(t, "coupon.")) return as_any<domain::coupon::event>(r);
  if (starts(t, "payout.")) return as_any<domain::payout::event>(r);
  if (starts(t, "process.")) return as_any<domain::process::event>(r);
  if (starts(t, "token.")) return as_any<domain::token::event>(r);
  if (starts(t, "manual_deposit.")) return as_any<domain::manual_deposit::event>(r);
  if (starts(t, "admin.")) return as_any<domain::admin_log::event>(r);
  if (starts(t, "invoice.")) return as_any<domain::invoice::event>(r);
  if (starts(t, "chain_deposit.")) return as_any<domain::chain_deposit::event>(r);
  if (starts(t, "withdrawal.")) return as_any<domain::withdrawal::event>(r);
  return any_event(std::monostate{});
}

}  // namespace telepay::projections
