#pragma once
/// A channel's payouts: accruals (the channel's share of each payment, in USDT) collect until
/// the strategy says to pay (instant: any accrual; threshold: once the unbatched total reaches
/// the threshold); a batch then goes through submitted -> confirmed, or failed (retried, or
/// final). The chain gateway (a later issue) signs and sends; this entity records the lifecycle.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::payout {

enum class batch_status : std::uint8_t { created = 1, submitted = 2, confirmed = 3, failed = 4 };
std::string_view status_name(batch_status s);

struct accrued {
  static constexpr std::string_view type_name = "payout.accrued";
  static constexpr std::uint16_t version = 1;
  std::string accrual_id;
  amount value = amount(asset::usdt, 0);
  void write(json_object_writer& w) const;
  static result<accrued> read(const json_value& v);
  friend bool operator==(const accrued&, const accrued&) = default;
};

struct batched {
  static constexpr std::string_view type_name = "payout.batched";
  static constexpr std::uint16_t version = 1;
  std::string batch_id;
  amount value = amount(asset::usdt, 0);
  std::string address;
  void write(json_object_writer& w) const;
  static result<batched> read(const json_value& v);
  friend bool operator==(const batched&, const batched&) = default;
};

struct submitted {
  static constexpr std::string_view type_name = "payout.submitted";
  static constexpr std::uint16_t version = 1;
  std::string batch_id;
  std::string tx_hash;
  void write(json_object_writer& w) const;
  static result<submitted> read(const json_value& v);
  friend bool operator==(const submitted&, const submitted&) = default;
};

struct confirmed {
  static constexpr std::string_view type_name = "payout.confirmed";
  static constexpr std::uint16_t version = 1;
  std::string batch_id;
  void write(json_object_writer& w) const;
  static result<confirmed> read(const json_value& v);
  friend bool operator==(const confirmed&, const confirmed&) = default;
};

struct failed {
  static constexpr std::string_view type_name = "payout.failed";
  static constexpr std::uint16_t version = 1;
  std::string batch_id;
  std::string reason;
  bool final = false;
  void write(json_object_writer& w) const;
  static result<failed> read(const json_value& v);
  friend bool operator==(const failed&, const failed&) = default;
};

struct retried {
  static constexpr std::string_view type_name = "payout.retried";
  static constexpr std::uint16_t version = 1;
  std::string batch_id;
  std::uint32_t attempt = 0;
  void write(json_object_writer& w) const;
  static result<retried> read(const json_value& v);
  friend bool operator==(const retried&, const retried&) = default;
};

/// A refund took an accrual back before any batch paid it: the channel's share leaves the
/// unbatched total (and the channel's wallet, in the refund process).
struct accrual_reversed {
  static constexpr std::string_view type_name = "payout.accrual_reversed";
  static constexpr std::uint16_t version = 1;
  std::string accrual_id;
  amount value = amount(asset::usdt, 0);
  std::string reason;
  void write(json_object_writer& w) const;
  static result<accrual_reversed> read(const json_value& v);
  friend bool operator==(const accrual_reversed&, const accrual_reversed&) = default;
};

using event = std::variant<accrued, batched, submitted, confirmed, failed, retried, accrual_reversed>;

struct batch {
  amount value = amount(asset::usdt, 0);
  std::string address;
  batch_status status = batch_status::created;
  std::uint32_t attempts = 1;
  std::string tx_hash;
  bool final_failure = false;
  std::map<std::string, u128> accruals;  // the accruals this batch pays, by id
  friend bool operator==(const batch&, const batch&) = default;
};

struct state {
  channel_id channel;
  u128 accrued_total = 0;
  u128 unbatched = 0;
  u128 paid_total = 0;
  std::map<std::string, batch> batches;
  std::map<std::string, u128> unbatched_accruals;  // by accrual id: what the next batch pays
  std::map<std::string, std::string> batched_accruals;  // accrual id -> the batch that took it
  std::set<std::string> reversed_accruals;

  explicit state(channel_id c = channel_id(1)) : channel(c) {}
  friend bool operator==(const state&, const state&) = default;
};

/// The strategy as the channel has it, converted to USDT by the caller.
struct strategy_facts {
  bool instant = true;
  amount threshold_usdt = amount(asset::usdt, 0);
  std::string address;
};

/// Whether accrual `accrual_id` is unbatched (a refund may take it back): refund_refused
/// naming the batch that took it, or saying the channel never had it.
status check_reversible(const state& s, const std::string& accrual_id);

/// Whether the strategy says the unbatched accruals should be paid out now.
bool should_batch(const state& s, const strategy_facts& strategy);

struct accrue {
  std::string accrual_id;
  amount value = amount(asset::usdt, 0);
};
struct create_batch {
  std::string batch_id;
  strategy_facts strategy;
};
struct mark_submitted {
  std::string batch_id;
  std::string tx_hash;
};
struct mark_confirmed {
  std::string batch_id;
};
struct mark_failed {
  std::string batch_id;
  std::string reason;
  bool final = false;
};
struct retry {
  std::string batch_id;
};
/// Takes an unbatched accrual back (a refund). Refused with refund_refused once a batch took
/// it (even a batch that failed: its money may still be on its way) and for an accrual this
/// channel never had; a repeat decides nothing.
struct reverse_accrual {
  std::string accrual_id;
  std::string reason;
};

using command =
    std::variant<accrue, create_batch, mark_submitted, mark_confirmed, mark_failed, retry, reverse_accrual>;

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::payout
