#pragma once
// The [chain] settings of telepayd, parsed and checked into the chain gateway's options.

#include "domain/base/result.hpp"
#include "gateways/chain/service.hpp"
#include "tools/telepayd/config.hpp"

namespace telepay::tools {

/// Every [chain] setting, with clear errors naming the setting (never its value when secret).
/// Defaults: BSC (chain 56), USDT 0x55d398326f99059fF775485246999027B3197955 with 18 decimals,
/// 12 confirmations, 500-block scan windows every 1 s, legacy transactions, a 20 gwei fee cap,
/// replacement after 60 s. Errors: invalid_argument.
result<gateways::chain::service_options> chain_options(const daemon_config& config);

}  // namespace telepay::tools
