#pragma once
// Shared by the process managers (internal to actors/).

#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "actors/flows.hpp"

namespace telepay::actors::detail {

inline std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// An address as the hot wallet's queue keys recipients: "0x" + 40 lower-case hex.
inline std::string lower_address(std::string address) {
  for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return address;
}

inline std::chrono::milliseconds backoff(const flow_options& options, int attempts) {
  auto delay = options.retry_first;
  for (int i = 0; i < attempts && delay < options.retry_max; ++i) {
    delay *= 2;
  }
  return std::min(delay, options.retry_max);
}

/// After a transient failure: schedules the next try of `id`'s step (a step_atom with `id` to
/// `self`), or, once options.retry_attempts_max tries failed, parks the run on the attention
/// board with `resume` (what an operator's retry sends) and returns true: the caller answers its
/// waiters and drops the run. `Id`: a string, or a number (a payment id).
template <class Id>
bool retry_or_park(caf::event_based_actor* self, const flow_options& options, int& attempts, std::string_view kind,
                   const Id& id, std::string_view step, const error& why, std::function<void()> resume) {
  static_assert(std::is_integral_v<Id> || std::is_same_v<Id, std::string>,
                "the step message carries the id: a std::string or a number, never a view");
  if (attempts < options.retry_attempts_max || !options.attention) {
    self->delayed_send(self, backoff(options, attempts++), step_atom::value, id);
    return false;
  }
  std::string id_text;
  if constexpr (std::is_integral_v<Id>) {
    id_text = std::to_string(id);
  } else {
    id_text = std::string(id);
  }
  options.attention->park(
      parked_process{std::string(kind), std::move(id_text), std::string(step), why, attempts, wall_clock_us()},
      std::move(resume));
  return true;
}

/// The error a parked run's waiters get.
inline error needs_attention(std::string_view kind, const std::string& id, std::string_view step, const error& why) {
  return make_error(errc::process_failed, std::string(kind) + " " + id + " needs attention: step " +
                                              std::string(step) + " kept failing (" + std::string(errc_name(why.code)) +
                                              "); it resumes on retry or restart");
}

/// What resumes a run: `message` sent again to the manager.
template <class Resume>
std::function<void()> resend(caf::event_based_actor* self, Resume message) {
  return [manager = caf::actor_cast<caf::actor>(self), message = std::move(message)] {
    caf::anon_send(manager, resume_atom::value, message);
  };
}

inline command_meta meta_for(std::string_view kind, std::string_view id, std::string_view step,
                             std::int64_t now_us) {
  return command_meta{now_us, domain::process::correlation(kind, id), std::string(step)};
}

}  // namespace telepay::actors::detail
