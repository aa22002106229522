#pragma once
/// Decodes a stored record into the event of whichever entity owns its type, once, for every
/// projection to share. Types are dispatched by their prefix ("wallet.", "user.", ...); records
/// of types no projection reads decode to std::monostate.

#include <variant>

#include "domain/admin.hpp"
#include "domain/blacklist.hpp"
#include "domain/chain_deposit.hpp"
#include "domain/channel.hpp"
#include "domain/coupon.hpp"
#include "domain/invoice.hpp"
#include "domain/payout.hpp"
#include "domain/process.hpp"
#include "domain/settings.hpp"
#include "domain/subscription.hpp"
#include "domain/user.hpp"
#include "domain/wallet.hpp"
#include "domain/withdrawal.hpp"
#include "eventstore/record.hpp"

namespace telepay::projections {

using any_event =
    std::variant<std::monostate, domain::wallet::event, domain::user::event,
                 domain::blacklist::event, domain::settings::event, domain::channel::event,
                 domain::subscription::event, domain::coupon::event, domain::payout::event,
                 domain::process::event, domain::token::event, domain::manual_deposit::event,
                 domain::admin_log::event, domain::invoice::event, domain::chain_deposit::event,
                 domain::withdrawal::event>;

/// Errors: the record's payload does not decode as its type says (event_decode_failed, ...).
result<any_event> decode_any(const eventstore::record_view& record);

}  // namespace telepay::projections
