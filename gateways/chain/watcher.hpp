#pragma once
/// The deposit watcher's pure parts: which Transfer logs pay a deposit address (a hash map of
/// every watched address to its user), and the recent block hashes a scanner compares to find
/// reorgs. No I/O, no threads: the service feeds them what the node said.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/base/bytes.hpp"
#include "gateways/chain/primitives.hpp"
#include "gateways/chain/rpc_codec.hpp"

namespace telepay::gateways::chain {

struct address_hash {
  std::size_t operator()(const address& a) const noexcept {
    // Addresses are keccak outputs: any 8 of their bytes are uniformly distributed.
    std::uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | a.bytes[static_cast<std::size_t>(12 + i)];
    return static_cast<std::size_t>(h);
  }
};

/// A Transfer log that pays a watched address.
struct deposit_hit {
  const rpc::log_entry* log = nullptr;
  address from;
  address to;
  std::int64_t user = 0;
  u128 value = 0;
};

/// Why a log that named a watched address was not a deposit.
struct deposit_miss {
  const rpc::log_entry* log = nullptr;
  std::string reason;
};

class deposit_matcher {
 public:
  void reserve(std::size_t n) { owners_.reserve(n); }
  /// Watches `a` for `user`; false when it is already watched (for whoever).
  bool add(const address& a, std::int64_t user) { return owners_.emplace(a, user).second; }
  std::size_t size() const { return owners_.size(); }
  std::optional<std::int64_t> owner(const address& a) const;

  /// The Transfer(address,address,uint256) logs of `token` to a watched address, with a
  /// positive amount that fits 128 bits, in the order given. Logs of other contracts or events
  /// are ignored; a log to a watched address that is malformed (wrong topic count, data not
  /// one word), removed, zero or too large goes to `misses` instead (never credited).
  std::vector<deposit_hit> match(const std::vector<rpc::log_entry>& logs, const address& token,
                                 std::vector<deposit_miss>* misses = nullptr) const;

 private:
  std::unordered_map<address, std::int64_t, address_hash> owners_;
};

/// Hashes of recently scanned blocks, to notice a reorg at or below them.
class block_tracker {
 public:
  explicit block_tracker(std::size_t keep = 256) : keep_(keep) {}
  void remember(std::uint64_t number, const hash256& hash);
  std::optional<hash256> known(std::uint64_t number) const;
  /// The highest remembered block, if any.
  std::optional<std::uint64_t> highest() const;
  /// Remembered (number, hash) pairs, highest first.
  std::vector<std::pair<std::uint64_t, hash256>> descending() const {
    return {hashes_.rbegin(), hashes_.rend()};
  }
  /// Forgets `number` and everything above it (they are no longer canonical).
  void forget_from(std::uint64_t number);

 private:
  std::size_t keep_;
  std::map<std::uint64_t, hash256> hashes_;
};

}  // namespace telepay::gateways::chain
