#include "actors/recovery.hpp"

#include <charconv>
#include <map>
#include <unordered_map>

#include "domain/invoice.hpp"
#include "domain/payout.hpp"
#include "domain/process.hpp"
#include "domain/wallet.hpp"
#include "domain/withdrawal.hpp"

namespace telepay::actors {
namespace {

struct transfer_trace {
  std::set<std::string> done;
  std::optional<transfer_resume> intent;
};

struct process_trace {
  std::set<std::string> done;
  std::string intent;
  std::string invoice_order;  // payments: the order whose recorded status moves money
};

struct payout_trace {
  std::set<std::string> done;
  std::optional<domain::channel_id> channel;
  domain::amount value;
};

struct scan_state {
  std::unordered_map<std::string, std::set<std::string>> withdrawals;  // id -> steps done
  std::unordered_map<std::string, domain::withdrawal::counted> requested_withdrawals;  // id -> terms
  std::int64_t last_recorded_at_us = 0;
  std::unordered_map<std::string, transfer_trace> transfers;
  std::map<std::pair<std::string, std::string>, process_trace> processes;
  std::unordered_map<std::string, payout_trace> payouts;
  // Channels by whether their latest payout record left money unbatched (an accrual or a
  // failure): only those are offered a batch at start-up.
  std::map<std::int64_t, bool> accruing;
  std::vector<std::string> problems;
};

void note_problem(scan_state& st, const eventstore::record_view& r, const std::string& why) {
  if (st.problems.size() < 100) {
    st.problems.push_back("seq " + std::to_string(r.seq) + ": " + why);
  }
}

/// Counts requested withdrawals for the 24-hour totals; rejected, failed and cancelled ones drop
/// out (their money stayed).
void on_withdrawal_event(scan_state& st, const eventstore::record_view& r) {
  const std::string id(r.stream.substr(std::string_view("withdrawal-").size()));
  if (r.type == domain::withdrawal::rejected::type_name || r.type == domain::withdrawal::failed::type_name ||
      r.type == domain::withdrawal::cancelled::type_name) {
    st.requested_withdrawals.erase(id);
    return;
  }
  if (r.type != domain::withdrawal::requested::type_name) {
    return;
  }
  auto event = domain::decode_event<domain::withdrawal::event>(r.type, r.schema_version, r.payload);
  if (!event) {
    note_problem(st, r, "undecodable withdrawal request");
    return;
  }
  const auto& requested = std::get<domain::withdrawal::requested>(*event);
  st.requested_withdrawals[id] =
      domain::withdrawal::counted{id, requested.user, requested.by, requested.value.units(), r.recorded_at_us};
}

void on_transfer(scan_state& st, const eventstore::record_view& r, const std::string& id) {
  const std::string step(r.causation_id);
  if (step == "post" || step == "void") {
    st.transfers.erase(id);
    return;
  }
  auto& trace = st.transfers[id];
  trace.done.insert(step);
  if (step != "hold" || r.type != domain::wallet::held::type_name) {
    return;
  }
  auto event = domain::decode_event<domain::wallet::event>(r.type, r.schema_version, r.payload);
  auto from = domain::parse_wallet_stream(r.stream);
  if (!event || !from) {
    note_problem(st, r, "undecodable transfer hold");
    return;
  }
  const auto& held = std::get<domain::wallet::held>(*event);
  auto to = domain::parse_wallet_stream(held.counterparty);
  if (!to) {
    note_problem(st, r, "transfer hold names no target wallet");
    return;
  }
  trace.intent = transfer_resume{id, *from, *to, held.value, held.expires_at_us, {}};
}

void on_process(scan_state& st, const eventstore::record_view& r, const std::string& kind,
                const std::string& id) {
  const auto key = std::make_pair(kind, id);
  if (r.type == domain::process::completed::type_name || r.type == domain::process::failed::type_name) {
    st.processes.erase(key);
    return;
  }
  if (r.type == domain::invoice::payment_recorded::type_name) {
    // A payment status that moves money: its settlement must exist (started below, or not).
    auto event = domain::decode_event<domain::invoice::event>(r.type, r.schema_version, r.payload);
    if (!event) {
      note_problem(st, r, "undecodable invoice payment");
      return;
    }
    const auto decided = std::get<domain::invoice::payment_recorded>(*event).decided;
    constexpr std::string_view prefix = "invoice-";
    if ((decided == domain::invoice::action::fund_purchase || decided == domain::invoice::action::credit) &&
        r.stream.substr(0, prefix.size()) == prefix) {
      st.processes[key].invoice_order = std::string(r.stream.substr(prefix.size()));
    }
    return;
  }
  auto& trace = st.processes[key];
  if (r.type == domain::process::started::type_name) {
    auto event = domain::decode_event<domain::process::event>(r.type, r.schema_version, r.payload);
    if (!event) {
      note_problem(st, r, "undecodable process start");
      return;
    }
    trace.intent = std::get<domain::process::started>(*event).intent;
    return;
  }
  trace.done.insert(std::string(r.causation_id));
}

/// The channel a "payout-{channel}" stream names. The stream name comes from the log:
/// std::stoll would throw through ledger::start on a tampered one, and a zero id would trap in
/// channel_id.
result<domain::channel_id> channel_of_payout_stream(std::string_view stream) {
  constexpr std::string_view prefix = "payout-";
  if (!stream.starts_with(prefix)) return make_error(errc::invalid_argument, "not a payout stream");
  const std::string_view digits = stream.substr(prefix.size());
  std::int64_t channel = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), channel);
  return ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()
             ? domain::make_channel_id(channel)
             : result<domain::channel_id>(make_error(errc::invalid_argument, "not a channel id"));
}

void on_payout(scan_state& st, const eventstore::record_view& r, const std::string& batch) {
  auto& trace = st.payouts[batch];
  trace.done.insert(std::string(r.causation_id));
  if (r.type != domain::payout::batched::type_name) {
    return;
  }
  auto event = domain::decode_event<domain::payout::event>(r.type, r.schema_version, r.payload);
  if (!event) {
    note_problem(st, r, "undecodable payout batch");
    return;
  }
  auto id = channel_of_payout_stream(r.stream);
  if (!id) {
    note_problem(st, r, "payout batch on a stream that names no channel");
    return;
  }
  trace.channel = *id;
  trace.value = std::get<domain::payout::batched>(*event).value;  // the type was checked above
}

}  // namespace

result<recovery_result> scan_unfinished(eventstore::event_store& store,
                                        const std::function<void(std::uint64_t)>& progress) {
  scan_state st;
  recovery_result out;
  const std::uint64_t head = store.head_seq();
  auto walked = store.for_each(1, head, [&](const eventstore::record_view& r) {
    out.records_scanned += 1;
    if (progress && r.seq % 1'000'000 == 0) {
      progress(r.seq);
    }
    st.last_recorded_at_us = r.recorded_at_us;
    if (r.stream.starts_with("withdrawal-")) {
      on_withdrawal_event(st, r);
    }
    if (r.stream.starts_with("payout-")) {
      if (auto channel = channel_of_payout_stream(r.stream)) {
        // A reversal (a refund) leaves whatever else waits unbatched as it was.
        if (r.type != domain::payout::accrual_reversed::type_name) {
          st.accruing[channel->value()] =
              r.type == domain::payout::accrued::type_name || r.type == domain::payout::failed::type_name;
        }
      } else {
        note_problem(st, r, "payout record on a stream that names no channel");
      }
    }
    if (r.correlation_id.empty()) {
      return true;
    }
    const auto colon = r.correlation_id.find(':');
    if (colon == std::string_view::npos) {
      return true;
    }
    const std::string kind(r.correlation_id.substr(0, colon));
    const std::string id(r.correlation_id.substr(colon + 1));
    if (kind == "transfer") {
      on_transfer(st, r, id);
    } else if (kind == "purchase" || kind == "refund" || kind == "deposit" || kind == "payment") {
      on_process(st, r, kind, id);
    } else if (kind == "payout") {
      on_payout(st, r, id);
    } else if (kind == "withdrawal") {
      st.withdrawals[id].insert(std::string(r.causation_id));
    }
    return true;
  });
  if (!walked) {
    return walked.error();
  }
  for (auto& [id, trace] : st.transfers) {
    if (trace.intent) {
      trace.intent->done = std::move(trace.done);
      out.transfers.push_back(std::move(*trace.intent));
    }
  }
  for (auto& [key, trace] : st.processes) {
    if (!trace.intent.empty()) {
      out.processes.push_back(process_resume{key.first, key.second, std::move(trace.intent),
                                             std::move(trace.done)});
    } else if (!trace.invoice_order.empty()) {
      std::uint64_t payment_id = 0;
      const auto [end, ec] = std::from_chars(key.second.data(), key.second.data() + key.second.size(), payment_id);
      if (ec == std::errc() && end == key.second.data() + key.second.size()) {
        out.payments.push_back(payment_pending{trace.invoice_order, payment_id});
      }
    }
  }
  for (auto& [batch, trace] : st.payouts) {
    if (trace.channel && !next_payout_step(trace.done).empty()) {
      out.payouts.push_back(payout_resume{*trace.channel, batch, trace.value, std::move(trace.done), ""});
    }
  }
  for (const auto& [channel, unbatched] : st.accruing) {
    if (unbatched) out.accruing_channels.push_back(domain::channel_id(channel));
  }
  for (auto& [id, done] : st.withdrawals) {
    // Finished: posted and credited, voided, or failed before anything was held.
    const bool finished = done.contains("credit_clearing") || done.contains("void") ||
                          ((done.contains("fail") || done.contains("reject") || done.contains("cancel")) &&
                           !done.contains("hold"));
    if (!finished) out.withdrawals.push_back(withdrawal_resume{id, std::move(done)});
  }
  for (auto& [id, counted] : st.requested_withdrawals) {
    if (counted.at_us > st.last_recorded_at_us - domain::withdrawal::rolling_totals::window_us) {
      out.recent_withdrawals.push_back(std::move(counted));
    }
  }
  out.problems = std::move(st.problems);
  return out;
}

}  // namespace telepay::actors
