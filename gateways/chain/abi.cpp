#include "gateways/chain/abi.hpp"

#include <algorithm>

#include "domain/crypto/keccak.hpp"

namespace telepay::gateways::chain::abi {
namespace {

std::string word_bytes(const std::array<std::uint8_t, 32>& word) {
  return std::string(reinterpret_cast<const char*>(word.data()), word.size());
}

std::string selector_bytes(const selector& s) { return std::string(reinterpret_cast<const char*>(s.data()), 4); }

}  // namespace

selector selector_of(std::string_view signature) {
  const auto digest = domain::keccak256(signature);
  return selector{digest[0], digest[1], digest[2], digest[3]};
}

hash256 event_topic(std::string_view signature) { return domain::keccak256(signature); }

const hash256& transfer_topic() {
  static const hash256 topic = event_topic("Transfer(address,address,uint256)");
  return topic;
}

hash256 address_word(const address& a) {
  hash256 word{};
  std::copy(a.bytes.begin(), a.bytes.end(), word.begin() + 12);
  return word;
}

result<address> word_address(const hash256& word) {
  if (std::any_of(word.begin(), word.begin() + 12, [](std::uint8_t b) { return b != 0; })) {
    return make_error(errc::invalid_argument, "word " + to_data(word) + " is not an address");
  }
  address a;
  std::copy(word.begin() + 12, word.end(), a.bytes.begin());
  return a;
}

std::string transfer_call(const address& to, const u256& amount) {
  static const selector transfer = selector_of("transfer(address,uint256)");
  return selector_bytes(transfer) + word_bytes(address_word(to)) + word_bytes(to_word(amount));
}

std::string balance_of_call(const address& owner) {
  static const selector balance_of = selector_of("balanceOf(address)");
  return selector_bytes(balance_of) + word_bytes(address_word(owner));
}

std::string decimals_call() {
  static const selector decimals = selector_of("decimals()");
  return selector_bytes(decimals);
}

result<u256> decode_uint(std::string_view return_data) {
  if (return_data.size() != 32) {
    return make_error(errc::invalid_argument,
                      "expected one 32-byte word, got " + std::to_string(return_data.size()) + " bytes");
  }
  return from_word(reinterpret_cast<const std::uint8_t*>(return_data.data()));
}

result<transfer_args> decode_transfer_call(std::string_view calldata) {
  static const selector transfer = selector_of("transfer(address,uint256)");
  if (calldata.size() != 4 + 64 || calldata.substr(0, 4) != selector_bytes(transfer)) {
    return make_error(errc::invalid_argument, "calldata is not transfer(address,uint256)");
  }
  hash256 word;
  std::copy(calldata.begin() + 4, calldata.begin() + 36, word.begin());
  TELEPAY_TRY(to, word_address(word));
  return transfer_args{to, from_word(reinterpret_cast<const std::uint8_t*>(calldata.data()) + 36)};
}

}  // namespace telepay::gateways::chain::abi
