#pragma once
// Shared by the process managers (internal to actors/).

#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "actors/flows.hpp"
#include "actors/routes.hpp"
#include "domain/chain_send.hpp"

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

/// Takes back the hot-wallet send `ref` of a process an operator or user cancels: nothing to
/// take back when the hot wallet never had it or it was abandoned already; abandoned (with
/// `reason`) while only requested; refused with `state_code` once it is signed or closed, since
/// a signed transaction may be mined whatever the ledger says. `what` names the process in
/// those errors ("withdrawal w-1"). Then `record()` records the cancel; `fail` is told why not.
inline void abandon_unsigned_send(caf::event_based_actor* self, const routes& r, const domain::chain_send::key& sender,
                                  std::string ref, std::string what, errc state_code, std::string reason,
                                  command_meta meta, std::shared_ptr<ask_watch> asks, std::function<void(const error&)> fail,
                                  std::function<void()> record) {
  namespace cs = domain::chain_send;
  query_state<chain_send_entity>(
      self, r.chain_sends, sender, *asks,
      [self, registry = r.chain_sends, sender, ref = std::move(ref), what = std::move(what), state_code,
       reason = std::move(reason), meta = std::move(meta), asks, fail = std::move(fail),
       record = std::move(record)](result<cs::state> sends) mutable {
        if (!sends) {
          fail(sends.error());
          return;
        }
        if (sends->closed.contains(ref)) {
          fail(make_error(state_code, what + " was sent on chain; it cannot be cancelled"));
          return;
        }
        const auto open = sends->open.find(ref);
        if (open == sends->open.end() || open->second.status == cs::send_status::abandoned) {
          record();
          return;
        }
        if (open->second.status != cs::send_status::requested) {
          fail(make_error(state_code, what + "'s transaction is signed (nonce " + std::to_string(open->second.nonce) +
                                          ") and may be mined; it cannot be cancelled"));
          return;
        }
        send_command<chain_send_entity>(
            self, registry, sender, cs::abandon{ref, reason, "", 0, 0, {}}, meta, *asks,
            [what, state_code, fail, record](result<entity_reply> abandoned) {
              if (!abandoned) {
                // Signed meanwhile: the hot wallet's stream refused the abandon.
                fail(abandoned.code() == errc::send_state_invalid
                         ? make_error(state_code, what + "'s transaction was just signed; it cannot be cancelled")
                         : abandoned.error());
                return;
              }
              record();
            });
      });
}

}  // namespace telepay::actors::detail
