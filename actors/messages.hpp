#pragma once
/// Messages between the ledger's actors: atoms, the command envelope, replies. Every type that
/// crosses a mailbox is listed at the bottom as a local-only message type (telepayd runs one
/// actor system; nothing is serialized).

#include <cstdint>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "domain/base/result.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

using cmd_atom = caf::atom_constant<caf::atom("cmd")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using route_atom = caf::atom_constant<caf::atom("route")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using state_atom = caf::atom_constant<caf::atom("state")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using step_atom = caf::atom_constant<caf::atom("step")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;

/// What every command carries besides its payload: the time it is decided at (the domain has
/// no clock), and the ids that tie its events to a business process.
struct command_meta {
  std::int64_t now_us = 0;
  std::string correlation_id;  // the process ("purchase:P1") or request the command belongs to
  std::string causation_id;    // the step or command that caused it
};

template <class Command>
struct envelope {
  command_meta meta;
  Command command;
};

/// The outcome of a command that succeeded.
struct entity_reply {
  enum class outcome : std::uint8_t {
    written = 1,       // new events are durable
    deduplicated = 2,  // the same command was applied before; nothing new was written
    unchanged = 3,     // the command decided no events (already in that state)
  };
  outcome result = outcome::unchanged;
  std::uint64_t first_seq = 0;  // 0 unless written or deduplicated
  std::uint64_t last_seq = 0;
  std::uint64_t version = 0;  // the stream's version after the command
  std::uint32_t events = 0;   // events written by this command
};

/// Counters an entity registry reports.
struct registry_stats {
  std::uint64_t live = 0;
  std::uint64_t spawned = 0;
  std::uint64_t passivated = 0;
};

}  // namespace telepay::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::command_meta)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::entity_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::actors::registry_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::actors::entity_reply>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(telepay::result<telepay::eventstore::append_result>)
