#include "gateways/chain/watcher.hpp"

#include "gateways/chain/abi.hpp"

namespace telepay::gateways::chain {

std::optional<std::int64_t> deposit_matcher::owner(const address& a) const {
  const auto it = owners_.find(a);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

std::vector<deposit_hit> deposit_matcher::match(const std::vector<rpc::log_entry>& logs, const address& token,
                                                std::vector<deposit_miss>* misses) const {
  std::vector<deposit_hit> out;
  const hash256& topic = abi::transfer_topic();
  for (const auto& l : logs) {
    if (l.contract != token || l.topics.empty() || l.topics[0] != topic) continue;
    if (l.topics.size() != 3) continue;  // not the ERC-20 shape (e.g. ERC-721 has 4)
    auto to = abi::word_address(l.topics[2]);
    if (!to) continue;
    const auto user = owner(*to);
    if (!user) continue;
    auto miss = [&](std::string why) {
      if (misses != nullptr) misses->push_back(deposit_miss{&l, std::move(why)});
    };
    auto from = abi::word_address(l.topics[1]);
    if (!from) {
      miss("the sender topic is not an address");
      continue;
    }
    if (l.removed) {
      miss("the log was removed by a reorg");
      continue;
    }
    auto value = abi::decode_uint(l.data);
    if (!value) {
      miss("the amount is not one 32-byte word");
      continue;
    }
    auto narrow = value->narrow();
    if (!narrow) {
      miss("the amount " + to_decimal(*value) + " exceeds 128 bits");
      continue;
    }
    if (*narrow == 0) {
      miss("a zero-value transfer");
      continue;
    }
    out.push_back(deposit_hit{&l, *from, *to, *user, *narrow});
  }
  return out;
}

void block_tracker::remember(std::uint64_t number, const hash256& hash) {
  hashes_[number] = hash;
  while (hashes_.size() > keep_) hashes_.erase(hashes_.begin());
}

std::optional<hash256> block_tracker::known(std::uint64_t number) const {
  const auto it = hashes_.find(number);
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> block_tracker::highest() const {
  if (hashes_.empty()) return std::nullopt;
  return hashes_.rbegin()->first;
}

void block_tracker::forget_from(std::uint64_t number) { hashes_.erase(hashes_.lower_bound(number), hashes_.end()); }

}  // namespace telepay::gateways::chain
