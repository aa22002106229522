#include "projections/statement.hpp"

#include "domain/base/limits.hpp"
#include "domain/codec/json.hpp"
#include "domain/wallet.hpp"

namespace telepay::projections {
namespace {

namespace wallet = domain::wallet;
using domain::amount;

std::string signed_text(const amount& value, bool negative) {
  if (value.units() == 0) {
    return "0";
  }
  return (negative ? "-" : "+") + domain::format_amount(value);
}

/// Fills what one event says into `line`, before the fold applies it to `before`.
void describe(const wallet::event& event, const wallet::state& before, statement_line& line) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        line.type = std::string(T::type_name);
        line.transfer_id = e.id.value();
        line.value = e.value;
        line.change = "0";
        line.held_change = "0";
        if constexpr (std::is_same_v<T, wallet::credited>) {
          line.kind = e.kind;
          line.counterparty = e.counterparty;
          line.change = signed_text(e.value, false);
        } else if constexpr (std::is_same_v<T, wallet::debited>) {
          line.kind = e.kind;
          line.counterparty = e.counterparty;
          line.change = signed_text(e.value, true);
        } else if constexpr (std::is_same_v<T, wallet::held>) {
          line.counterparty = e.counterparty;
          line.held_change = signed_text(e.value, false);
        } else if constexpr (std::is_same_v<T, wallet::hold_posted>) {
          if (auto found = before.holds.find(e.id.value()); found != before.holds.end()) {
            line.counterparty = found->second.counterparty;
          }
          line.change = signed_text(e.value, true);
          line.held_change = signed_text(e.value, true);
        } else if constexpr (std::is_same_v<T, wallet::hold_voided>) {
          if (auto found = before.holds.find(e.id.value()); found != before.holds.end()) {
            line.counterparty = found->second.counterparty;
          }
          line.reason = e.reason;
          line.held_change = signed_text(e.value, true);
        } else {
          static_assert(sizeof(T) == 0, "every wallet event is described");
        }
      },
      event);
}

}  // namespace

std::string statement_line::to_json() const {
  std::string out;
  {
    domain::json_object_writer w(out);
    w.money("amount", value)
        .str("asset", domain::asset_code(value.currency()))
        .money("available_after", available_after)
        .str("balance_after", balance_after)
        .str("change", change)
        .str("counterparty", counterparty)
        .money("held_after", held_after)
        .str("held_change", held_change)
        .str("kind", kind)
        .str("reason", reason)
        .time("recorded_at", recorded_at_us)
        .u64("seq", seq)
        .str("transfer_id", transfer_id)
        .str("type", type)
        .u64("version", version);
  }
  return out;
}

result<statement_page> statement(eventstore::event_store& store, const domain::wallet_key& key,
                                 std::uint64_t after_version, std::size_t limit,
                                 std::uint64_t through_seq) {
  statement_page page;
  page.wallet = key;
  wallet::state state(key);
  const std::string stream = key.stream();
  std::uint64_t next_version = 1;
  bool done = false;
  while (!done) {
    auto records = store.read_stream(stream, next_version, limits::read_batch_events_max);
    if (!records) {
      return records.error();
    }
    for (const auto& r : *records) {
      if (r.seq > through_seq) {
        done = true;
        break;
      }
      auto event = domain::decode_event<wallet::event>(r.type, r.schema_version, r.payload);
      if (!event) {
        return make_error(errc::record_corrupt, "seq " + std::to_string(r.seq) + " in " + stream +
                                                    " is not a wallet event: " + event.error().message);
      }
      statement_line line;
      const bool listed = r.version > after_version;
      if (listed) {
        describe(*event, state, line);
      }
      if (auto applied = wallet::evolve_checked(state, *event); !applied) {
        return make_error(errc::record_corrupt,
                          "seq " + std::to_string(r.seq) + " in " + stream + ": " + applied.error().message);
      }
      ++page.events;
      next_version = r.version + 1;
      if (!listed) {
        continue;
      }
      if (page.lines.size() == limit) {
        page.has_more = true;
        continue;  // keep folding: the closing balance covers the whole walk
      }
      line.seq = r.seq;
      line.version = r.version;
      line.recorded_at_us = r.recorded_at_us;
      line.balance_after = state.balance_text();
      line.held_after = amount(key.currency, state.debits_pending);
      line.available_after = state.available();
      page.last_version = r.version;
      page.lines.push_back(std::move(line));
    }
    if (records->size() < limits::read_batch_events_max) {
      break;
    }
  }
  page.closing_balance = state.balance_text();
  page.closing_held = amount(key.currency, state.debits_pending);
  page.closing_available = state.available();
  return page;
}

}  // namespace telepay::projections
