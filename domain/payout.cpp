#include "domain/payout.hpp"

#include "domain/base/visit.hpp"

namespace telepay::domain::payout {
namespace {

error no_batch(const std::string& id) {
  return make_error(errc::payout_batch_not_found, "no payout batch " + id);
}

error bad_state(const std::string& id, batch_status status, std::string_view wanted) {
  return make_error(errc::payout_state_invalid, "batch " + id + " is " +
                                                    std::string(status_name(status)) + ", cannot " +
                                                    std::string(wanted));
}

status check_id(std::string_view id, std::string_view what) {
  if (!is_token(id, transfer_id_bytes_max)) {
    return make_error(errc::invalid_argument, std::string(what) + " must be a 1-64 character token");
  }
  return {};
}

}  // namespace

std::string_view status_name(batch_status s) {
  switch (s) {
    case batch_status::created: return "created";
    case batch_status::submitted: return "submitted";
    case batch_status::confirmed: return "confirmed";
    case batch_status::failed: return "failed";
  }
  return "";
}

void accrued::write(json_object_writer& w) const {
  w.str("accrual_id", accrual_id).money("amount", value).str("asset", asset_code(value.currency()));
}
result<accrued> accrued::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("accrual_id"));
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  return accrued{std::move(id), value};
}

void batched::write(json_object_writer& w) const {
  w.str("address", address).money("amount", value).str("asset", asset_code(value.currency()))
      .str("batch_id", batch_id);
}
result<batched> batched::read(const json_value& v) {
  TELEPAY_TRY(address, v.str("address"));
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(id, v.str("batch_id"));
  return batched{std::move(id), value, std::move(address)};
}

void submitted::write(json_object_writer& w) const {
  w.str("batch_id", batch_id).str("tx_hash", tx_hash);
}
result<submitted> submitted::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("batch_id"));
  TELEPAY_TRY(tx, v.str("tx_hash"));
  return submitted{std::move(id), std::move(tx)};
}

void confirmed::write(json_object_writer& w) const { w.str("batch_id", batch_id); }
result<confirmed> confirmed::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("batch_id"));
  return confirmed{std::move(id)};
}

void failed::write(json_object_writer& w) const {
  w.str("batch_id", batch_id).boolean("final", final).str("reason", reason);
}
result<failed> failed::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("batch_id"));
  TELEPAY_TRY(is_final, v.boolean("final"));
  TELEPAY_TRY(reason, v.str("reason"));
  return failed{std::move(id), std::move(reason), is_final};
}

void retried::write(json_object_writer& w) const {
  w.u64("attempt", attempt).str("batch_id", batch_id);
}
result<retried> retried::read(const json_value& v) {
  TELEPAY_TRY(attempt, v.u32("attempt"));
  TELEPAY_TRY(id, v.str("batch_id"));
  return retried{std::move(id), attempt};
}

void accrual_reversed::write(json_object_writer& w) const {
  w.str("accrual_id", accrual_id).money("amount", value).str("asset", asset_code(value.currency())).str("reason", reason);
}
result<accrual_reversed> accrual_reversed::read(const json_value& v) {
  TELEPAY_TRY(id, v.str("accrual_id"));
  TELEPAY_TRY(value, v.money("amount", asset::usdt));
  TELEPAY_TRY(reason, v.str("reason"));
  return accrual_reversed{std::move(id), value, std::move(reason)};
}

status check_reversible(const state& s, const std::string& accrual_id) {
  if (const auto taken = s.batched_accruals.find(accrual_id); taken != s.batched_accruals.end()) {
    const auto& b = s.batches.at(taken->second);
    return make_error(errc::refund_refused, "the channel's share is in payout batch " + taken->second + " (" +
                                                std::string(status_name(b.status)) +
                                                "): it cannot be taken back unless that batch is cancelled");
  }
  if (!s.unbatched_accruals.contains(accrual_id)) {
    return make_error(errc::refund_refused,
                      "channel " + std::to_string(s.channel.value()) + " has no accrual " + accrual_id + " to take back");
  }
  return {};
}

bool should_batch(const state& s, const strategy_facts& strategy) {
  if (s.unbatched == 0) {
    return false;
  }
  return strategy.instant || s.unbatched >= strategy.threshold_usdt.units();
}

namespace {

// The commands and events about one existing batch: they share the batch lookup.
template <class T>
inline constexpr bool is_batch_command = std::is_same_v<T, mark_submitted> ||
                                         std::is_same_v<T, mark_confirmed> ||
                                         std::is_same_v<T, mark_failed> || std::is_same_v<T, retry>;
template <class T>
inline constexpr bool is_batch_event = std::is_same_v<T, submitted> || std::is_same_v<T, confirmed> ||
                                       std::is_same_v<T, failed> || std::is_same_v<T, retried>;

}  // namespace

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  return std::visit(
      [&](const auto& cmd) -> result<std::vector<event>> {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, accrue>) {
          TELEPAY_CHECK(check_id(cmd.accrual_id, "accrual id"));
          if (cmd.value.currency() != asset::usdt || cmd.value.is_zero()) {
            return make_error(errc::amount_must_be_positive, "accruals are positive USDT amounts");
          }
          if (!checked_add(s.accrued_total, cmd.value.units())) {
            return make_error(errc::amount_overflow, "accruals overflow");
          }
          return std::vector<event>{accrued{cmd.accrual_id, cmd.value}};
        } else if constexpr (std::is_same_v<T, reverse_accrual>) {
          TELEPAY_CHECK(check_id(cmd.accrual_id, "accrual id"));
          if (s.reversed_accruals.contains(cmd.accrual_id)) {
            return std::vector<event>{};
          }
          TELEPAY_CHECK(check_reversible(s, cmd.accrual_id));
          const auto found = s.unbatched_accruals.find(cmd.accrual_id);
          if (cmd.reason.empty() || cmd.reason.size() > 500) {
            return make_error(errc::invalid_argument, "a reversal needs a reason of 1-500 bytes");
          }
          return std::vector<event>{accrual_reversed{cmd.accrual_id, amount(asset::usdt, found->second), cmd.reason}};
        } else if constexpr (std::is_same_v<T, create_batch>) {
          TELEPAY_CHECK(check_id(cmd.batch_id, "batch id"));
          if (s.batches.contains(cmd.batch_id)) {
            return std::vector<event>{};
          }
          if (!should_batch(s, cmd.strategy)) {
            return make_error(errc::payout_nothing_to_batch,
                              "the payout strategy does not call for a batch yet");
          }
          return std::vector<event>{
              batched{cmd.batch_id, amount(asset::usdt, s.unbatched), cmd.strategy.address}};
        } else if constexpr (is_batch_command<T>) {
          const auto found = s.batches.find(cmd.batch_id);
          if (found == s.batches.end()) {
            return no_batch(cmd.batch_id);
          }
          const batch& b = found->second;
          if constexpr (std::is_same_v<T, mark_submitted>) {
            if (b.status == batch_status::submitted && b.tx_hash == cmd.tx_hash) {
              return std::vector<event>{};
            }
            // A replacement transaction (same nonce, higher fee) is submitted again.
            if (b.status != batch_status::created && b.status != batch_status::submitted) {
              return bad_state(cmd.batch_id, b.status, "submit");
            }
            if (cmd.tx_hash.empty() || cmd.tx_hash.size() > 80) {
              return make_error(errc::invalid_argument, "tx hash required");
            }
            return std::vector<event>{submitted{cmd.batch_id, cmd.tx_hash}};
          } else if constexpr (std::is_same_v<T, mark_confirmed>) {
            if (b.status == batch_status::confirmed) {
              return std::vector<event>{};
            }
            if (b.status != batch_status::submitted) {
              return bad_state(cmd.batch_id, b.status, "confirm");
            }
            return std::vector<event>{confirmed{cmd.batch_id}};
          } else if constexpr (std::is_same_v<T, mark_failed>) {
            if (b.status == batch_status::failed) {
              return std::vector<event>{};
            }
            if (b.status == batch_status::confirmed) {
              return bad_state(cmd.batch_id, b.status, "fail");
            }
            if (!is_token(cmd.reason, 64)) {
              return make_error(errc::invalid_argument, "failure reason must be a token");
            }
            return std::vector<event>{failed{cmd.batch_id, cmd.reason, cmd.final}};
          } else if constexpr (std::is_same_v<T, retry>) {
            if (b.status != batch_status::failed || b.final_failure) {
              return bad_state(cmd.batch_id, b.status, "retry");
            }
            return std::vector<event>{retried{cmd.batch_id, b.attempts + 1}};
          } else {
            static_assert(always_false<T>, "payout::decide: unhandled batch command");
          }
        } else {
          static_assert(always_false<T>, "payout::decide: unhandled payout command");
        }
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, accrued>) {
          s.accrued_total += ev.value.units();
          s.unbatched += ev.value.units();
          s.unbatched_accruals[ev.accrual_id] += ev.value.units();
        } else if constexpr (std::is_same_v<T, accrual_reversed>) {
          const auto found = s.unbatched_accruals.find(ev.accrual_id);
          LEDGER_ASSERT(found != s.unbatched_accruals.end() && found->second == ev.value.units() &&
                            ev.value.units() <= s.unbatched,
                        "reversal of an accrual that is not unbatched: ", ev.accrual_id);
          s.unbatched -= ev.value.units();
          s.accrued_total -= ev.value.units();
          s.unbatched_accruals.erase(found);
          s.reversed_accruals.insert(ev.accrual_id);
        } else if constexpr (std::is_same_v<T, batched>) {
          LEDGER_ASSERT(ev.value.units() <= s.unbatched, "batch exceeds unbatched accruals");
          s.unbatched -= ev.value.units();
          batch& made = s.batches[ev.batch_id];
          made = batch{ev.value, ev.address, batch_status::created, 1, "", false, {}};
          // A batch takes every unbatched accrual (decide batches the whole unbatched total).
          for (const auto& [id, units] : s.unbatched_accruals) {
            s.batched_accruals[id] = ev.batch_id;
          }
          made.accruals = std::move(s.unbatched_accruals);
          s.unbatched_accruals.clear();
        } else if constexpr (is_batch_event<T>) {
          auto found = s.batches.find(ev.batch_id);
          LEDGER_ASSERT(found != s.batches.end(), "event for unknown batch ", ev.batch_id);
          batch& b = found->second;
          if constexpr (std::is_same_v<T, submitted>) {
            b.status = batch_status::submitted;
            b.tx_hash = ev.tx_hash;
          } else if constexpr (std::is_same_v<T, confirmed>) {
            b.status = batch_status::confirmed;
            s.paid_total += b.value.units();
          } else if constexpr (std::is_same_v<T, failed>) {
            b.status = batch_status::failed;
            b.final_failure = ev.final;
            if (ev.final) {
              s.unbatched += b.value.units();  // the money is back to be paid again later
              for (auto& [id, units] : b.accruals) {
                s.batched_accruals.erase(id);
                s.unbatched_accruals[id] += units;
              }
              b.accruals.clear();
            }
          } else if constexpr (std::is_same_v<T, retried>) {
            b.status = batch_status::created;
            b.attempts = ev.attempt;
            b.tx_hash.clear();
          } else {
            static_assert(always_false<T>, "payout::evolve: unhandled batch event");
          }
        } else {
          static_assert(always_false<T>, "payout::evolve: unhandled payout event");
        }
      },
      e);
}

std::string idempotency_key(const state& s, const command& c) {
  // Only accruals are keyed: the batch commands are idempotent by the batch's status.
  return std::visit(
      [&](const auto& cmd) -> std::string {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, accrue>) {
          return "payout-" + std::to_string(s.channel.value()) + "/accrue/" + cmd.accrual_id;
        } else if constexpr (std::is_same_v<T, reverse_accrual>) {
          return "payout-" + std::to_string(s.channel.value()) + "/reverse/" + cmd.accrual_id;
        } else if constexpr (std::is_same_v<T, create_batch> || is_batch_command<T>) {
          return "";
        } else {
          static_assert(always_false<T>, "payout::idempotency_key: unhandled payout command");
        }
      },
      c);
}

}  // namespace telepay::domain::payout
