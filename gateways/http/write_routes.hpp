#pragma once
/// The operator API's write routes as one table: the pattern (every write is a POST), the role
/// it needs and a pure decoder from the request (body and path parameters) to the command it
/// asks for. Decoders do no I/O and read no clock (the time comes in), so the fuzz target
/// drives every one of them from this table and a route added here is fuzzed without more.
///
/// A decoder refuses bad input with invalid_argument (or a domain code such as tiers_invalid)
/// and a message naming the field; nothing it is given can reach an assertion.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "actors/ledger_api.hpp"
#include "domain/admin.hpp"
#include "gateways/http/server.hpp"

namespace telepay::gateways::http {

/// Who sends a write: the token that authenticated it and the operator it acts for
/// ("op:{name}"): every "by" of a command names the operator, so a second operator's approval
/// cannot come from the same person holding another token.
struct writer {
  std::string token_id;
  std::string identity;
};

/// A new API token to mint: the dispatcher makes the secret, never a decoder, and decides
/// whether it waits for a second admin (a write role for another operator under dual control).
struct token_mint {
  domain::token::create create;
};

/// The operator name a token acting as `identity` mints tokens for by default: its own.
std::string operator_name_of(std::string_view identity);

/// A chain rescan from a block (a gateway action, not a ledger command).
struct chain_rescan {
  std::uint64_t from_block = 0;
  std::string by;
};

/// A NOWPayments invoice to create (a gateway action): the priced order (an empty order_id: the
/// gateway makes one) and, after an attempt whose outcome was unknown, what the operator found
/// in the NOWPayments dashboard: that invoice (id and URL, both or neither) or none.
struct invoice_order {
  actors::invoice_create_request request;
  std::string provider_invoice_id;
  std::string invoice_url;
  bool previous_not_created = false;
};

/// A user's deposit address to assign (recorded on first use; a gateway action).
struct deposit_address_assign {
  domain::user_id user;
};

/// A new outbound webhook endpoint: the dispatcher makes its id and shows its signing secret
/// once (derived from the server's key, never recorded).
struct webhook_register {
  domain::webhook::register_endpoint endpoint;
  std::int64_t now_us = 0;
};

/// A process parked as needing attention, to resume now.
struct process_retry {
  std::string kind;
  std::string id;
};

using write_command =
    std::variant<actors::register_user_request, actors::user_admin_request, actors::blacklist_request,
                 actors::channel_request, actors::coupon_request, actors::manual_deposit_request,
                 actors::manual_deposit_approval, actors::purchase_request, actors::refund_request, actors::settings_request, token_mint,
                 actors::token_request, actors::withdrawal_request, actors::withdrawal_decision,
                 actors::payout_cancel, actors::broadcast_request, chain_rescan, invoice_order, deposit_address_assign, process_retry,
                 webhook_register, actors::webhook_request>;

struct write_route {
  std::string_view pattern;
  domain::role need;
  result<write_command> (*decode)(const request& req, const writer& who, std::int64_t now_us);
};

/// Every write route of the operator API, in a fixed order.
std::span<const write_route> write_routes();

}  // namespace telepay::gateways::http
