#include "domain/wallet.hpp"

#include <algorithm>

#include "domain/base/visit.hpp"

namespace telepay::domain::wallet {
namespace {

constexpr std::size_t kind_bytes_max = 32;
constexpr std::size_t counterparty_bytes_max = 200;

// Shared readers for the fields every wallet event has.
result<transfer_id> read_id(const json_value& v) {
  TELEPAY_TRY(text, v.str("transfer_id"));
  return make_transfer_id(text);
}

result<amount> read_amount(const json_value& v) {
  TELEPAY_TRY(code, v.str("asset"));
  TELEPAY_TRY(currency, parse_asset(code));
  return v.money("amount", currency);
}

status check_amount(const state& s, const amount& value) {
  if (value.currency() != s.key.currency) {
    return make_error(errc::asset_mismatch, "wallet " + s.key.stream() + " holds " +
                                                std::string(asset_code(s.key.currency)) +
                                                ", not " + std::string(asset_code(value.currency())));
  }
  if (value.is_zero()) {
    return make_error(errc::amount_must_be_positive, "amount must be greater than zero");
  }
  return {};
}

status check_labels(std::string_view kind, std::string_view counterparty) {
  if (!is_token(kind, kind_bytes_max)) {
    return make_error(errc::invalid_argument, "kind must be 1-32 characters of A-Z a-z 0-9 _ . : -");
  }
  if (!counterparty.empty() && !is_token(counterparty, counterparty_bytes_max)) {
    return make_error(errc::invalid_argument,
                      "counterparty must be up to 200 characters of A-Z a-z 0-9 _ . : -");
  }
  return {};
}

/// What is free to debit: credits - debits_posted - debits_pending (0 if negative).
u128 free_units(const state& s) {
  const u128 spent = s.debits_posted + s.debits_pending;
  return s.credits_posted > spent ? s.credits_posted - spent : 0;
}

status check_can_debit(const state& s, const amount& value) {
  if (!checked_add(s.debits_posted, s.debits_pending) ||
      !checked_add(s.debits_posted + s.debits_pending, value.units())) {
    return make_error(errc::overflows_debits, "debits of " + s.key.stream() + " would overflow");
  }
  if (s.key.must_not_go_negative() && free_units(s) < value.units()) {
    return make_error(errc::insufficient_funds,
                      s.key.stream() + " has " + format_amount(amount(s.key.currency, free_units(s))) +
                          " available, " + format_amount(value) + " requested");
  }
  return {};
}

const std::pair<std::string, bool>* find_settled(const state& s, const std::string& id) {
  for (const auto& entry : s.settled) {
    if (entry.first == id) {
      return &entry;
    }
  }
  return nullptr;
}

result<std::vector<event>> decide_credit(const state& s, const credit& c) {
  TELEPAY_CHECK(check_amount(s, c.value));
  TELEPAY_CHECK(check_labels(c.kind, c.counterparty));
  if (!checked_add(s.credits_posted, c.value.units())) {
    return make_error(errc::overflows_credits, "credits of " + s.key.stream() + " would overflow");
  }
  return std::vector<event>{credited{c.id, c.value, c.kind, c.counterparty}};
}

result<std::vector<event>> decide_debit(const state& s, const debit& c) {
  TELEPAY_CHECK(check_amount(s, c.value));
  TELEPAY_CHECK(check_labels(c.kind, c.counterparty));
  TELEPAY_CHECK(check_can_debit(s, c.value));
  return std::vector<event>{debited{c.id, c.value, c.kind, c.counterparty}};
}

result<std::vector<event>> decide_hold(const state& s, const hold& c, std::int64_t now_us) {
  TELEPAY_CHECK(check_amount(s, c.value));
  TELEPAY_CHECK(check_labels("hold", c.counterparty));
  if (auto existing = s.holds.find(c.id.value()); existing != s.holds.end()) {
    if (existing->second.value == c.value) {
      return std::vector<event>{};  // already held
    }
    return make_error(errc::transfer_exists_with_different_amount,
                      "hold " + c.id.value() + " exists with amount " +
                          format_amount(existing->second.value));
  }
  if (find_settled(s, c.id.value()) != nullptr) {
    return std::vector<event>{};  // held and settled before: a late repeat
  }
  if (c.expires_at_us <= now_us) {
    return make_error(errc::hold_expired, "hold " + c.id.value() + " would expire in the past");
  }
  TELEPAY_CHECK(check_can_debit(s, c.value));
  return std::vector<event>{held{c.id, c.value, c.counterparty, c.expires_at_us}};
}

result<std::vector<event>> decide_post(const state& s, const post& c) {
  const auto found = s.holds.find(c.id.value());
  if (found == s.holds.end()) {
    if (const auto* settled = find_settled(s, c.id.value())) {
      if (settled->second) {
        return std::vector<event>{};  // already posted
      }
      return make_error(errc::hold_not_found, "hold " + c.id.value() + " was voided");
    }
    return make_error(errc::hold_not_found, "no pending hold " + c.id.value() + " on " +
                                                s.key.stream());
  }
  return std::vector<event>{hold_posted{c.id, found->second.value}};
}

result<std::vector<event>> decide_void(const state& s, const void_hold& c) {
  if (!is_token(c.reason, kind_bytes_max)) {
    return make_error(errc::invalid_argument, "void reason must be 1-32 token characters");
  }
  const auto found = s.holds.find(c.id.value());
  if (found == s.holds.end()) {
    if (const auto* settled = find_settled(s, c.id.value())) {
      if (!settled->second) {
        return std::vector<event>{};  // already voided
      }
      return make_error(errc::hold_not_found, "hold " + c.id.value() + " was posted");
    }
    return make_error(errc::hold_not_found, "no pending hold " + c.id.value() + " on " +
                                                s.key.stream());
  }
  return std::vector<event>{hold_voided{c.id, found->second.value, c.reason}};
}

std::vector<event> decide_expire(const state& s, std::int64_t now_us) {
  std::vector<event> out;
  for (const auto& [id, pending] : s.holds) {
    if (pending.expires_at_us <= now_us) {
      out.push_back(hold_voided{transfer_id(id), pending.value, "expired"});
    }
  }
  return out;
}

void remember_settled(state& s, const std::string& id, bool posted) {
  s.settled.emplace_back(id, posted);
  if (s.settled.size() > settled_holds_remembered) {
    s.settled.erase(s.settled.begin());
  }
}

}  // namespace

// ---- event codecs ----

void credited::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("counterparty", counterparty)
      .str("kind", kind).str("transfer_id", id.value());
}
result<credited> credited::read(const json_value& v) {
  TELEPAY_TRY(value, read_amount(v));
  TELEPAY_TRY(counterparty, v.str("counterparty"));
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(id, read_id(v));
  return credited{std::move(id), value, std::move(kind), std::move(counterparty)};
}

void debited::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("counterparty", counterparty)
      .str("kind", kind).str("transfer_id", id.value());
}
result<debited> debited::read(const json_value& v) {
  TELEPAY_TRY(value, read_amount(v));
  TELEPAY_TRY(counterparty, v.str("counterparty"));
  TELEPAY_TRY(kind, v.str("kind"));
  TELEPAY_TRY(id, read_id(v));
  return debited{std::move(id), value, std::move(kind), std::move(counterparty)};
}

void held::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("counterparty", counterparty)
      .time("expires_at", expires_at_us).str("transfer_id", id.value());
}
result<held> held::read(const json_value& v) {
  TELEPAY_TRY(value, read_amount(v));
  TELEPAY_TRY(counterparty, v.str("counterparty"));
  TELEPAY_TRY(expires, v.time("expires_at"));
  TELEPAY_TRY(id, read_id(v));
  return held{std::move(id), value, std::move(counterparty), expires};
}

void hold_posted::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("transfer_id", id.value());
}
result<hold_posted> hold_posted::read(const json_value& v) {
  TELEPAY_TRY(value, read_amount(v));
  TELEPAY_TRY(id, read_id(v));
  return hold_posted{std::move(id), value};
}

void hold_voided::write(json_object_writer& w) const {
  w.money("amount", value).str("asset", asset_code(value.currency())).str("reason", reason)
      .str("transfer_id", id.value());
}
result<hold_voided> hold_voided::read(const json_value& v) {
  TELEPAY_TRY(value, read_amount(v));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(id, read_id(v));
  return hold_voided{std::move(id), value, std::move(reason)};
}

// ---- state ----

amount state::available() const { return amount(key.currency, free_units(*this)); }

std::string state::balance_text() const {
  if (credits_posted >= debits_posted) {
    return format_amount(amount(key.currency, credits_posted - debits_posted));
  }
  return "-" + format_amount(amount(key.currency, debits_posted - credits_posted));
}

// ---- decide / evolve ----

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us) {
  return std::visit(
      [&](const auto& cmd) -> result<std::vector<event>> {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, credit>) {
          return decide_credit(s, cmd);
        } else if constexpr (std::is_same_v<T, debit>) {
          return decide_debit(s, cmd);
        } else if constexpr (std::is_same_v<T, hold>) {
          return decide_hold(s, cmd, now_us);
        } else if constexpr (std::is_same_v<T, post>) {
          return decide_post(s, cmd);
        } else if constexpr (std::is_same_v<T, void_hold>) {
          return decide_void(s, cmd);
        } else if constexpr (std::is_same_v<T, expire_holds>) {
          return decide_expire(s, now_us);
        } else {
          static_assert(always_false<T>, "wallet::decide: unhandled wallet command");
        }
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        LEDGER_ASSERT(ev.value.currency() == s.key.currency, "event asset differs from wallet ",
                      s.key.stream());
        const u128 units = ev.value.units();
        if constexpr (std::is_same_v<T, credited>) {
          LEDGER_ASSERT(checked_add(s.credits_posted, units), "credits overflow");
          s.credits_posted += units;
        } else if constexpr (std::is_same_v<T, debited>) {
          LEDGER_ASSERT(checked_add(s.debits_posted, units), "debits overflow");
          s.debits_posted += units;
        } else if constexpr (std::is_same_v<T, held>) {
          LEDGER_ASSERT(!s.holds.contains(ev.id.value()), "hold ", ev.id.value(), " twice");
          s.debits_pending += units;
          s.holds.emplace(ev.id.value(), pending_hold{ev.value, ev.expires_at_us, ev.counterparty});
        } else if constexpr (std::is_same_v<T, hold_posted>) {
          const auto found = s.holds.find(ev.id.value());
          LEDGER_ASSERT(found != s.holds.end(), "posting unknown hold ", ev.id.value());
          LEDGER_ASSERT(found->second.value == ev.value, "posting a different amount");
          s.debits_pending -= units;
          s.debits_posted += units;
          s.holds.erase(found);
          remember_settled(s, ev.id.value(), true);
        } else if constexpr (std::is_same_v<T, hold_voided>) {
          const auto found = s.holds.find(ev.id.value());
          LEDGER_ASSERT(found != s.holds.end(), "voiding unknown hold ", ev.id.value());
          s.debits_pending -= units;
          s.holds.erase(found);
          remember_settled(s, ev.id.value(), false);
        } else {
          static_assert(always_false<T>, "wallet::evolve: unhandled wallet event");
        }
      },
      e);
}

status evolve_checked(state& s, const event& e) {
  const auto corrupt = [&](std::string why) {
    return make_error(errc::record_corrupt, s.key.stream() + ": " + why);
  };
  const auto hold_of = [&](const transfer_id& id, const amount& value, std::string_view verb) -> status {
    const auto found = s.holds.find(id.value());
    if (found == s.holds.end()) {
      return corrupt(std::string(verb) + " hold " + id.value() + ", which is not pending");
    }
    if (found->second.value != value) {
      return corrupt(std::string(verb) + " hold " + id.value() + " with another amount");
    }
    return {};
  };
  const status valid = std::visit(
      [&](const auto& ev) -> status {
        if (ev.value.currency() != s.key.currency) {
          return corrupt("an event in " + std::string(asset_code(ev.value.currency())));
        }
        return std::visit(
            overload{
                [&](const credited& x) -> status {
                  if (!checked_add(s.credits_posted, x.value.units())) return corrupt("credits overflow");
                  return {};
                },
                [&](const debited& x) -> status {
                  if (!checked_add(s.debits_posted, x.value.units())) return corrupt("debits overflow");
                  return {};
                },
                [&](const held& x) -> status {
                  if (s.holds.contains(x.id.value())) return corrupt("hold " + x.id.value() + " recorded twice");
                  if (!checked_add(s.debits_pending, x.value.units())) return corrupt("pending debits overflow");
                  return {};
                },
                [&](const hold_posted& x) -> status {
                  TELEPAY_CHECK(hold_of(x.id, x.value, "posting"));
                  if (!checked_add(s.debits_posted, x.value.units())) return corrupt("debits overflow");
                  return {};
                },
                [&](const hold_voided& x) -> status { return hold_of(x.id, x.value, "voiding"); },
            },
            e);
      },
      e);
  if (!valid) {
    return valid;
  }
  evolve(s, e);
  return {};
}

std::string idempotency_key(const state& s, const command& c) {
  // Each command names its own operation, so a new one cannot inherit another's key.
  const auto keyed = [&](std::string_view op, const transfer_id& id) {
    return s.key.stream() + "/" + std::string(op) + "/" + id.value();
  };
  return std::visit(overload{
                        [&](const credit& cmd) { return keyed("credit", cmd.id); },
                        [&](const debit& cmd) { return keyed("debit", cmd.id); },
                        [&](const hold& cmd) { return keyed("hold", cmd.id); },
                        [&](const post& cmd) { return keyed("post", cmd.id); },
                        [&](const void_hold& cmd) { return keyed("void", cmd.id); },
                        [&](const expire_holds&) { return std::string(); },
                    },
                    c);
}

// ---- snapshots ----

std::string encode_snapshot(const state& s) {
  std::vector<std::string> holds;
  for (const auto& [id, pending] : s.holds) {
    std::string item;
    {
      json_object_writer w(item);
      w.money("amount", pending.value).str("counterparty", pending.counterparty)
          .time("expires_at", pending.expires_at_us).str("transfer_id", id);
    }
    holds.push_back(std::move(item));
  }
  std::vector<std::string> settled;
  for (const auto& [id, posted] : s.settled) {
    settled.push_back((posted ? "p:" : "v:") + id);
  }
  std::string out;
  {
    json_object_writer w(out);
    w.units("credits_posted", s.credits_posted)
        .units("debits_pending", s.debits_pending)
        .units("debits_posted", s.debits_posted)
        .raw("holds", json_array(holds))
        .raw("settled", json_string_array(settled))
        .str("stream", s.key.stream());
  }
  return out;
}

result<state> decode_snapshot(const wallet_key& key, std::string_view json) {
  TELEPAY_TRY(document, json_document::parse(json));
  const json_value root = document.root();
  state s(key);
  TELEPAY_TRY(stream, root.str("stream"));
  if (stream != key.stream()) {
    return make_error(errc::snapshot_invalid, "snapshot of " + stream + " read for " + key.stream());
  }
  TELEPAY_TRY(credits, root.units("credits_posted"));
  TELEPAY_TRY(debits, root.units("debits_posted"));
  TELEPAY_TRY(pending, root.units("debits_pending"));
  s.credits_posted = credits;
  s.debits_posted = debits;
  s.debits_pending = pending;
  TELEPAY_TRY(holds_value, root.field("holds"));
  TELEPAY_TRY(holds, holds_value.elements());
  for (const json_value& item : holds) {
    TELEPAY_TRY(value, item.money("amount", key.currency));
    TELEPAY_TRY(counterparty, item.str("counterparty"));
    TELEPAY_TRY(expires, item.time("expires_at"));
    TELEPAY_TRY(id, item.str("transfer_id"));
    s.holds.emplace(id, pending_hold{value, expires, counterparty});
  }
  TELEPAY_TRY(settled_value, root.field("settled"));
  TELEPAY_TRY(settled, settled_value.string_elements());
  for (const std::string& entry : settled) {
    if (entry.size() < 3 || (entry[0] != 'p' && entry[0] != 'v') || entry[1] != ':') {
      return make_error(errc::snapshot_invalid, "bad settled entry");
    }
    s.settled.emplace_back(entry.substr(2), entry[0] == 'p');
  }
  return s;
}

}  // namespace telepay::domain::wallet
