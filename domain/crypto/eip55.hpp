#pragma once
/// EVM addresses: "0x" + 40 hex digits, with the EIP-55 mixed-case checksum.

#include <string>
#include <string_view>

#include "domain/base/result.hpp"

namespace telepay::domain {

/// The EIP-55 form of a 20-byte address given as "0x" + 40 hex digits in any case.
/// Errors (payout_address_invalid) on a wrong length, prefix or non-hex digit.
result<std::string> eip55_checksum(std::string_view address);

/// Accepts an address in its exact EIP-55 form, or all lower case / all upper case (which carry
/// no checksum, as EIP-55 allows); returns the EIP-55 form. A mixed-case address with a wrong
/// checksum is an error (payout_address_invalid): it is most likely a typo.
result<std::string> parse_evm_address(std::string_view address);

}  // namespace telepay::domain
