#pragma once
/// The generic entity actor: one per stream, hosting one entity's domain logic.
///
/// Lifecycle: spawned by its registry on first use; rehydrates from the latest snapshot plus the
/// stream tail; serves commands; passivates (quits) when its registry asks and it is idle.
///
/// Pipelining: the actor decides each command on its *optimistic* state (confirmed state plus
/// the effects of appends still in flight) and appends with the exact expected version, so a hot
/// wallet has many appends in one group commit instead of one fsync per command. Replies go out
/// strictly in command order and only once the command's append is durable. If an append is
/// deduplicated or fails, the optimistic state was wrong for every later command: their appends
/// fail with wrong_expected_version, and once the pipeline drains the actor re-reads the stream
/// tail and decides them again. Rejections and no-op decisions wait their turn the same way, so
/// no reply ever depends on an append that later fails.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/lazy_deque.hpp"
#include "actors/messages.hpp"
#include "domain/base/limits.hpp"
#include "domain/codec/event_codec.hpp"
#include "eventstore/event_store.hpp"

namespace telepay::actors {

/// How many times a command is decided again after the pipeline broke under it.
inline constexpr int redecide_attempts_max = 8;
/// Events applied between two snapshots of an entity that supports them.
inline constexpr std::uint64_t snapshot_every_events = 1000;

template <class Entity>
struct entity_host {
  using state_type = typename Entity::state_type;
  using command_type = typename Entity::command_type;
  using event_type = typename Entity::event_type;

  struct pending {
    envelope<command_type> env;
    caf::response_promise promise;
    int attempts = 0;
  };

  struct entry {
    pending cmd;
    std::uint64_t ticket = 0;
    bool appended = false;
    std::vector<event_type> events;
    std::optional<result<eventstore::append_result>> ack;
    std::optional<error> rejection;
  };

  eventstore::event_store* store = nullptr;
  typename Entity::key_type key;
  std::string stream;
  state_type confirmed;
  state_type optimistic;
  std::uint64_t confirmed_version = 0;
  std::uint64_t optimistic_version = 0;
  std::uint64_t snapshot_version = 0;
  std::optional<error> load_error;

  lazy_deque<entry> pipeline;     // decided, in command order
  lazy_deque<pending> waiting;    // not yet decided
  lazy_deque<pending> redecide;   // invalidated by a broken pipeline, in order
  bool broken = false;
  std::uint64_t next_ticket = 1;

  static constexpr const char* name = "telepay.entity";

  bool idle() const { return pipeline.empty() && waiting.empty() && redecide.empty(); }
};

namespace detail {

template <class Entity>
status apply_records(entity_host<Entity>& host, const std::vector<eventstore::record>& records) {
  for (const auto& record : records) {
    auto decoded = domain::decode_event<typename Entity::event_type>(record.type,
                                                                    record.schema_version,
                                                                    record.payload);
    if (!decoded) {
      return make_error(decoded.code(), host.stream + " version " +
                                            std::to_string(record.version) + ": " +
                                            decoded.error().message);
    }
    Entity::evolve(host.confirmed, *decoded);
    host.confirmed_version = record.version;
  }
  return {};
}

/// Reads the stream after confirmed_version and applies it (rehydration and catch-up).
template <class Entity>
status catch_up(entity_host<Entity>& host) {
  while (true) {
    auto records = host.store->read_stream(host.stream, host.confirmed_version + 1,
                                           limits::read_batch_events_max);
    if (!records) {
      return records.error();
    }
    if (auto applied = apply_records(host, *records); !applied) {
      return applied;
    }
    if (records->size() < limits::read_batch_events_max) {
      break;
    }
  }
  host.optimistic = host.confirmed;
  host.optimistic_version = host.confirmed_version;
  return {};
}

template <class Entity>
status rehydrate(entity_host<Entity>& host) {
  if constexpr (Entity::snapshots) {
    auto snap = host.store->load_snapshot(host.stream);
    if (!snap) {
      return snap.error();
    }
    if (snap->has_value()) {
      auto state = Entity::decode_snapshot(host.key, (*snap)->bytes);
      if (state) {  // a bad snapshot only costs a full replay
        host.confirmed = std::move(*state);
        host.confirmed_version = (*snap)->version;
        host.snapshot_version = (*snap)->version;
      }
    }
  }
  return catch_up(host);
}

template <class Entity>
void maybe_snapshot(entity_host<Entity>& host) {
  if constexpr (Entity::snapshots) {
    if (host.confirmed_version >= host.snapshot_version + snapshot_every_events) {
      // Failure only means the next rehydration replays more: nothing to handle.
      host.store->save_snapshot(host.stream, host.confirmed_version,
                                Entity::encode_snapshot(host.confirmed))
          .has_value();
      host.snapshot_version = host.confirmed_version;
    }
  }
}

}  // namespace detail

template <class Entity>
class entity_logic {
 public:
  using host_type = entity_host<Entity>;
  using self_type = caf::stateful_actor<host_type>*;

  static void submit(self_type self, typename host_type::pending cmd) {
    self->state.waiting.push_back(std::move(cmd));
    advance(self);
  }

  static void on_ack(self_type self, std::uint64_t ticket, result<eventstore::append_result> r) {
    auto& host = self->state;
    LEDGER_ASSERT(!host.pipeline.empty() && ticket >= host.pipeline.front().ticket,
                  "ack for an unknown append of ", host.stream);
    const std::uint64_t index = ticket - host.pipeline.front().ticket;
    LEDGER_ASSERT(index < host.pipeline.size(), "ack ticket out of range");
    host.pipeline[index].ack = std::move(r);
    advance(self);
  }

 private:
  /// Decides waiting commands while the pipeline has room and is sound, completes what is done
  /// at its head, and repeats while that makes progress.
  static void advance(self_type self) {
    auto& host = self->state;
    while (true) {
      while (!host.broken && host.pipeline.size() < Entity::pipeline_max && !host.waiting.empty()) {
        typename host_type::entry e;
        e.cmd = std::move(host.waiting.front());
        host.waiting.pop_front();
        e.ticket = host.next_ticket++;
        if (host.load_error) {
          e.rejection = *host.load_error;
        } else {
          decide_and_append(self, e);
        }
        host.pipeline.push_back(std::move(e));
      }
      bool progressed = false;
      while (!host.pipeline.empty()) {
        auto& head = host.pipeline.front();
        if (head.appended && !head.ack) {
          break;
        }
        finish(self, head);
        host.pipeline.pop_front();
        progressed = true;
      }
      if (host.pipeline.empty() && host.broken) {
        recover(self);
        progressed = true;
      }
      if (!progressed || host.waiting.empty()) {
        return;
      }
    }
  }

  static void decide_and_append(self_type self, typename host_type::entry& e) {
    auto& host = self->state;
    auto decided = Entity::decide(host.optimistic, e.cmd.env.command, e.cmd.env.meta.now_us);
    if (!decided) {
      e.rejection = decided.error();
      return;
    }
    if (decided->empty()) {
      return;  // unchanged: completes in order
    }
    eventstore::append_request request;
    request.stream = host.stream;
    request.expected = eventstore::expected_version::exactly(host.optimistic_version);
    request.idempotency_key = Entity::idempotency_key(host.optimistic, e.cmd.env.command);
    request.correlation_id = e.cmd.env.meta.correlation_id;
    request.causation_id = e.cmd.env.meta.causation_id;
    for (const auto& ev : *decided) {
      auto encoded = domain::encode_event(ev);
      request.events.push_back(
          eventstore::new_event{std::move(encoded.type), encoded.version, std::move(encoded.payload)});
      Entity::evolve(host.optimistic, ev);
    }
    host.optimistic_version += decided->size();
    e.events = std::move(*decided);
    e.appended = true;
    auto handle = caf::actor_cast<caf::actor>(self);
    const std::uint64_t ticket = e.ticket;
    host.store->append_async(std::move(request),
                             [handle, ticket](result<eventstore::append_result> r) {
                               caf::anon_send(handle, ack_atom::value, ticket, std::move(r));
                             });
  }

  static void finish(self_type self, typename host_type::entry& e) {
    auto& host = self->state;
    if (!e.appended) {
      if (host.broken) {
        requeue(self, std::move(e.cmd));
      } else if (e.rejection) {
        e.cmd.promise.deliver(result<entity_reply>(*e.rejection));
      } else {
        e.cmd.promise.deliver(result<entity_reply>(
            entity_reply{entity_reply::outcome::unchanged, 0, 0, host.confirmed_version, 0}));
      }
      return;
    }
    const auto& ack = *e.ack;
    if (ack && ack->outcome == eventstore::append_outcome::written) {
      for (const auto& ev : e.events) {
        Entity::evolve(host.confirmed, ev);
      }
      host.confirmed_version = ack->last_version;
      detail::maybe_snapshot(host);
      e.cmd.promise.deliver(result<entity_reply>(
          entity_reply{entity_reply::outcome::written, ack->first_seq, ack->last_seq,
                       ack->last_version, static_cast<std::uint32_t>(e.events.size())}));
      return;
    }
    if (ack) {  // deduplicated: applied before, so the optimistic state counted it twice
      host.broken = true;
      e.cmd.promise.deliver(result<entity_reply>(
          entity_reply{entity_reply::outcome::deduplicated, ack->first_seq, ack->last_seq,
                       host.confirmed_version, 0}));
      return;
    }
    const bool conflict = ack.code() == errc::wrong_expected_version;
    if (conflict && e.cmd.attempts < redecide_attempts_max) {
      host.broken = true;  // decided on a state that is not the stream's: decide again
      requeue(self, std::move(e.cmd));
      return;
    }
    if (host.broken && e.cmd.attempts < redecide_attempts_max) {
      requeue(self, std::move(e.cmd));
      return;
    }
    host.broken = true;
    e.cmd.promise.deliver(result<entity_reply>(ack.error()));
  }

  static void requeue(self_type self, typename host_type::pending cmd) {
    cmd.attempts += 1;
    self->state.redecide.push_back(std::move(cmd));
  }

  /// After a broken pipeline drained: re-read what is durable, then decide the invalidated
  /// commands again, ahead of those that were still waiting.
  static void recover(self_type self) {
    auto& host = self->state;
    if (auto caught_up = detail::catch_up(host); !caught_up) {
      host.load_error = caught_up.error();
    }
    host.broken = false;
    while (!host.redecide.empty()) {
      host.waiting.push_front(std::move(host.redecide.back()));
      host.redecide.pop_back();
    }
  }
};

/// The behavior of an entity actor. `store` must outlive it.
template <class Entity>
caf::behavior entity_actor(caf::stateful_actor<entity_host<Entity>>* self,
                           eventstore::event_store* store, typename Entity::key_type key) {
  using logic = entity_logic<Entity>;
  auto& host = self->state;
  host.store = store;
  host.stream = Entity::stream(key);
  host.confirmed = Entity::initial(key);
  host.key = std::move(key);
  if (auto loaded = detail::rehydrate(host); !loaded) {
    host.load_error = make_error(loaded.code(), "cannot load " + host.stream + ": " +
                                                    loaded.error().message);
  }
  return {
      [self](cmd_atom, envelope<typename Entity::command_type>& env) {
        // The promise takes over the request: the reply goes out once the command completes.
        auto promise = self->make_response_promise();
        logic::submit(self, typename entity_host<Entity>::pending{std::move(env), promise, 0});
      },
      [self](ack_atom, std::uint64_t ticket, result<eventstore::append_result> r) {
        logic::on_ack(self, ticket, std::move(r));
      },
      [self](state_atom) -> result<typename Entity::state_type> {
        if (self->state.load_error) {
          return *self->state.load_error;
        }
        return self->state.confirmed;
      },
      [self](passivate_atom) {
        const bool idle = self->state.idle();
        if (idle) {
          self->quit();
        }
        return idle;
      },
  };
}

}  // namespace telepay::actors
