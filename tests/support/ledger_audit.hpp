#pragma once
// Folds every wallet stream in a log from its events alone, as an auditor would, to check the
// ledger's invariants: per asset the sum of all wallets is zero once processes settle, and no
// wallet that must not go negative is negative.

#include <map>
#include <string>

#include "domain/wallet.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::testing {

struct wallet_fold {
  std::map<std::string, domain::wallet::state> wallets;  // by stream
  std::string error;                                       // first decode problem, if any
};

inline wallet_fold fold_wallets(eventstore::event_store& store) {
  wallet_fold out;
  const auto walked = store.for_each(1, store.head_seq(), [&](const eventstore::record_view& r) {
    if (r.stream.substr(0, 7) != "wallet-") {
      return true;
    }
    auto key = domain::parse_wallet_stream(r.stream);
    auto event = domain::decode_event<domain::wallet::event>(r.type, r.schema_version, r.payload);
    if (!key || !event) {
      out.error = "seq " + std::to_string(r.seq) + " does not decode";
      return false;
    }
    auto [it, fresh] = out.wallets.try_emplace(std::string(r.stream), *key);
    domain::wallet::evolve(it->second, *event);
    return true;
  });
  if (!walked && out.error.empty()) {
    out.error = walked.error().message;
  }
  return out;
}

/// "" when every asset sums to zero with no pending holds and nothing is negative; otherwise
/// what is wrong.
inline std::string check_settled(const wallet_fold& fold) {
  if (!fold.error.empty()) {
    return fold.error;
  }
  std::map<domain::asset, std::pair<u128, u128>> sums;  // credits, debits
  for (const auto& [stream, w] : fold.wallets) {
    if (w.debits_pending != 0) {
      return stream + " still has pending holds";
    }
    if (w.key.must_not_go_negative() && w.debits_posted > w.credits_posted) {
      return stream + " is negative: " + w.balance_text();
    }
    auto& [credits, debits] = sums[w.key.currency];
    credits += w.credits_posted;
    debits += w.debits_posted;
  }
  for (const auto& [currency, s] : sums) {
    if (s.first != s.second) {
      return std::string(domain::asset_code(currency)) + " does not sum to zero: credits " +
             u128_to_string(s.first) + ", debits " + u128_to_string(s.second);
    }
  }
  return "";
}

}  // namespace telepay::testing
