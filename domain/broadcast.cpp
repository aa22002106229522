#include "domain/broadcast.hpp"

#include <charconv>

#include "domain/base/json.hpp"
#include "domain/base/visit.hpp"

namespace telepay::domain::broadcast {
namespace {

error invalid(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

}  // namespace

std::string stream(std::string_view id) { return "broadcast-" + std::string(id); }

std::string origin(std::string_view id) { return "broadcast:" + std::string(id); }

status check_segment(std::string_view segment) {
  if (segment == "all") return {};
  if (segment.substr(0, 8) == "channel:") {
    const std::string_view digits = segment.substr(8);
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && id != 0) return {};
  }
  return invalid("a segment is \"all\" or \"channel:{id}\"");
}

void started::write(json_object_writer& w) const {
  w.str("by", by).str("id", id).str("segment", segment).str("text", text);
}

result<started> started::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(id, v.str("id"));
  TELEPAY_TRY(segment, v.str("segment"));
  TELEPAY_TRY(text, v.str("text"));
  return started{std::move(id), std::move(text), std::move(segment), std::move(by)};
}

void progressed::write(json_object_writer& w) const {
  w.str("cursor", cursor).u64("queued", queued).u64("skipped", skipped);
}

result<progressed> progressed::read(const json_value& v) {
  TELEPAY_TRY(cursor, v.str("cursor"));
  TELEPAY_TRY(queued, v.u64("queued"));
  TELEPAY_TRY(skipped, v.u64("skipped"));
  return progressed{std::move(cursor), queued, skipped};
}

void finished::write(json_object_writer& w) const { w.u64("queued", queued).u64("skipped", skipped); }

result<finished> finished::read(const json_value& v) {
  TELEPAY_TRY(queued, v.u64("queued"));
  TELEPAY_TRY(skipped, v.u64("skipped"));
  return finished{queued, skipped};
}

void cancelled::write(json_object_writer& w) const {
  w.str("by", by).u64("queued", queued).str("reason", reason).u64("skipped", skipped);
}

result<cancelled> cancelled::read(const json_value& v) {
  TELEPAY_TRY(by, v.str("by"));
  TELEPAY_TRY(queued, v.u64("queued"));
  TELEPAY_TRY(reason, v.str("reason"));
  TELEPAY_TRY(skipped, v.u64("skipped"));
  return cancelled{std::move(by), std::move(reason), queued, skipped};
}

result<std::vector<event>> decide(const state& s, const command& c, std::int64_t /*now_us*/) {
  using decision = result<std::vector<event>>;
  return std::visit(
      overload{
          [&](const start& st) -> decision {
            if (!is_token(s.id, id_bytes_max)) return invalid("a broadcast id is 1-48 of A-Z a-z 0-9 _ . : -");
            if (st.text.empty() || st.text.size() > text_bytes_max || !is_valid_utf8(st.text)) {
              return invalid("a broadcast text is 1-4096 bytes of UTF-8");
            }
            if (auto seg = check_segment(st.segment); !seg) return seg.error();
            if (s.exists) {
              if (s.text == st.text && s.segment == st.segment) return std::vector<event>{};
              return invalid("broadcast " + s.id + " exists with another text or segment");
            }
            return std::vector<event>{started{s.id, st.text, st.segment, st.by}};
          },
          [&](const progress& p) -> decision {
            if (!s.exists) return invalid("broadcast " + s.id + " was never started");
            if (s.is_finished) return invalid("broadcast " + s.id + " is finished");
            if (s.is_cancelled) return make_error(errc::broadcast_state_invalid, "broadcast " + s.id + " was cancelled");
            if (p.queued < s.queued || p.skipped < s.skipped || p.cursor < s.cursor) {
              return invalid("broadcast progress only moves forward");
            }
            if (p.cursor == s.cursor && p.queued == s.queued && p.skipped == s.skipped) return std::vector<event>{};
            return std::vector<event>{progressed{p.cursor, p.queued, p.skipped}};
          },
          [&](const finish&) -> decision {
            if (!s.exists) return invalid("broadcast " + s.id + " was never started");
            if (s.is_finished) return std::vector<event>{};
            if (s.is_cancelled) return make_error(errc::broadcast_state_invalid, "broadcast " + s.id + " was cancelled");
            return std::vector<event>{finished{s.queued, s.skipped}};
          },
          [&](const cancel& x) -> decision {
            if (x.reason.size() > reason_bytes_max || !is_valid_utf8(x.reason)) {
              return invalid("a cancel reason is at most 500 bytes of UTF-8");
            }
            if (!s.exists) return make_error(errc::broadcast_not_found, "no broadcast " + s.id);
            // A finished walk may still have messages queued behind a slow or stuck sender:
            // cancelling it drops those. Only a second cancel decides nothing.
            if (s.is_cancelled) return std::vector<event>{};
            return std::vector<event>{cancelled{x.by, x.reason, s.queued, s.skipped}};
          },
      },
      c);
}

void evolve(state& s, const event& e) {
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, started>) {
          s.exists = true;
          s.text = ev.text;
          s.segment = ev.segment;
          s.by = ev.by;
        } else if constexpr (std::is_same_v<T, progressed>) {
          s.cursor = ev.cursor;
          s.queued = ev.queued;
          s.skipped = ev.skipped;
        } else if constexpr (std::is_same_v<T, finished>) {
          s.is_finished = true;
        } else if constexpr (std::is_same_v<T, cancelled>) {
          s.is_cancelled = true;
          s.cancelled_by = ev.by;
          s.cancel_reason = ev.reason;
        } else {
          static_assert(always_false<T>, "broadcast::evolve: unhandled broadcast event");
        }
      },
      e);
}

std::string idempotency_key(const state&, const command&) { return ""; }

}  // namespace telepay::domain::broadcast
