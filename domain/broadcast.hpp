#pragma once
/// A broadcast: one message from operators to all users or a segment, stream
/// "broadcast-{id}". Its progress is events: started (text, segment, who), progress (how far
/// the recipient list has been walked and how many notices are queued), finished, or cancelled
/// by an operator (who, why): after that no recipient is walked and the gateway's sender drops
/// the broadcast's notices still queued (recorded as not delivered, "broadcast cancelled"). A restart
/// resumes from the last progress; each recipient's notice is recorded once per broadcast
/// (notice origin "broadcast:{id}"), and each one's result is that notice's delivery record.
///
/// Segments: "all" (every registered user) or "channel:{id}" (the channel's active
/// subscribers).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/codec/event_codec.hpp"
#include "domain/ids.hpp"

namespace telepay::domain::broadcast {

inline constexpr std::size_t id_bytes_max = 48;
inline constexpr std::size_t text_bytes_max = 4096;

std::string stream(std::string_view id);
/// The notice origin of a broadcast's messages.
std::string origin(std::string_view id);
/// "all" or "channel:{id}" with a non-zero id. Errors: invalid_argument.
status check_segment(std::string_view segment);

struct started {
  static constexpr std::string_view type_name = "broadcast.started";
  static constexpr std::uint16_t version = 1;
  std::string id;
  std::string text;
  std::string segment;
  std::string by;
  void write(json_object_writer& w) const;
  static result<started> read(const json_value& v);
  friend bool operator==(const started&, const started&) = default;
};

struct progressed {
  static constexpr std::string_view type_name = "broadcast.progress";
  static constexpr std::uint16_t version = 1;
  std::string cursor;       // the last recipient key walked
  std::uint64_t queued = 0; // notices queued so far (cumulative)
  std::uint64_t skipped = 0;  // recipients skipped so far (banned, blocked the bot)
  void write(json_object_writer& w) const;
  static result<progressed> read(const json_value& v);
  friend bool operator==(const progressed&, const progressed&) = default;
};

struct finished {
  static constexpr std::string_view type_name = "broadcast.finished";
  static constexpr std::uint16_t version = 1;
  std::uint64_t queued = 0;
  std::uint64_t skipped = 0;
  void write(json_object_writer& w) const;
  static result<finished> read(const json_value& v);
  friend bool operator==(const finished&, const finished&) = default;
};

/// An operator stopped the broadcast; queued and skipped are the counts when it stopped.
struct cancelled {
  static constexpr std::string_view type_name = "broadcast.cancelled";
  static constexpr std::uint16_t version = 1;
  std::string by;
  std::string reason;
  std::uint64_t queued = 0;
  std::uint64_t skipped = 0;
  void write(json_object_writer& w) const;
  static result<cancelled> read(const json_value& v);
  friend bool operator==(const cancelled&, const cancelled&) = default;
};

inline constexpr std::size_t reason_bytes_max = 500;

using event = std::variant<started, progressed, finished, cancelled>;

struct state {
  std::string id;
  bool exists = false;
  std::string text;
  std::string segment;
  std::string by;
  std::string cursor;
  std::uint64_t queued = 0;
  std::uint64_t skipped = 0;
  bool is_finished = false;
  bool is_cancelled = false;
  std::string cancelled_by;
  std::string cancel_reason;

  /// Finished or cancelled: nothing more is walked or queued.
  bool is_over() const { return is_finished || is_cancelled; }

  explicit state(std::string broadcast_id = {}) : id(std::move(broadcast_id)) {}
  friend bool operator==(const state&, const state&) = default;
};

struct start {
  std::string text;
  std::string segment;
  std::string by;
};
struct progress {
  std::string cursor;
  std::uint64_t queued = 0;
  std::uint64_t skipped = 0;
};
struct finish {};
struct cancel {
  std::string by;
  std::string reason;
};
using command = std::variant<start, progress, finish, cancel>;

/// start: once (a repeat with the same text and segment decides nothing; another is
/// broadcast_exists... reported as invalid_argument). progress: only forward. finish: once.
/// cancel: once started, even after its walk finished (its messages still queued are then
/// dropped by the sender); a repeat decides nothing. Errors: invalid_argument (empty or
/// over-long text or reason, bad segment, progress before start or after finish, a cursor or
/// count going back); broadcast_not_found (cancel before start); broadcast_state_invalid
/// (progress or finish after a cancel).
result<std::vector<event>> decide(const state& s, const command& c, std::int64_t now_us);
void evolve(state& s, const event& e);
std::string idempotency_key(const state& s, const command& c);

}  // namespace telepay::domain::broadcast
