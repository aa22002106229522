#pragma once
/// Read-backs of what operators set, answered from the entities themselves (always current,
/// unlike a read model that follows the log): settings with their defaults and meanings, a
/// channel's configuration with a payout-address change waiting for approval, a coupon with its
/// usage. Pure: state in, canonical JSON (sorted keys, amounts as decimal text with their
/// asset) out.

#include <string>

#include "domain/broadcast.hpp"
#include "domain/channel.hpp"
#include "domain/coupon.hpp"
#include "domain/settings.hpp"

namespace telepay::gateways::http {

/// {"items":[{"default","description","key","pending"?:{"by","value"},"value"}]} in
/// domain::settings::keys order.
std::string settings_body(const domain::settings::state& s);

/// The channel's configuration; errors: channel_not_found (not registered).
result<std::string> channel_config_body(const domain::channel::state& c);

/// The coupon's terms and usage; errors: coupon_not_found (never created).
result<std::string> coupon_body(const domain::coupon::state& c);

/// A broadcast's text, segment and progress, with status "running", "finished" or "cancelled"
/// (then who cancelled it and why); errors: broadcast_not_found (never started).
result<std::string> broadcast_body(const domain::broadcast::state& b);

}  // namespace telepay::gateways::http
