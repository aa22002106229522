#pragma once
/// The entity registry: spawns one entity actor per stream on first use, routes commands and
/// state queries to it, and passivates actors that are idle (after `idle_timeout`, or sooner,
/// least recently used first, when more than `live_max` are live).
///
/// Single writer per stream: the registry is the only place entity actors are spawned, and it
/// spawns a stream's actor only when none is live. Passivation is a handshake: the registry asks,
/// the actor quits only if it has nothing queued or in flight, and commands arriving meanwhile
/// are held and then delivered to the same actor (if it refused) or to a fresh one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/ask_watch.hpp"
#include "actors/directory.hpp"
#include "actors/entity_actor.hpp"

namespace telepay::actors {

struct registry_options {
  /// Live entity actors this registry keeps at most. Default: 100000.
  std::size_t live_max = 100'000;
  /// An actor unused this long is passivated. Default: 60 s.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How often idle actors are looked for. Default: 1 s.
  std::chrono::milliseconds tick{1'000};
  /// How long a passivation handshake waits for the entity; one that does not answer in time
  /// stays live (swept on the tick, ask_watch.hpp). Default: 60 s.
  std::chrono::milliseconds reply_bound{60'000};
};

template <class Entity>
struct registry_state {
  using delivery = std::function<void(const caf::actor&)>;
  struct slot {
    caf::actor actor;
    std::list<std::string>::iterator lru;
    std::chrono::steady_clock::time_point last_used;
    bool passivating = false;
    std::vector<delivery> held;  // commands that arrived during the passivation handshake
    typename Entity::key_type key;
  };

  eventstore::event_store* store = nullptr;
  actor_directory* directory = nullptr;  // may be null
  registry_options options;
  std::unordered_map<std::string, slot> live;
  std::list<std::string> lru;  // least recently used first
  std::unordered_map<caf::actor_addr, std::string> streams_by_actor;
  registry_stats stats;
  std::unique_ptr<ask_watch> asks;  // the passivation handshakes in flight

  static constexpr const char* name = "telepay.registry";
};

template <class Entity>
class registry_logic {
 public:
  using state_type = registry_state<Entity>;
  using self_type = caf::stateful_actor<state_type>*;
  using key_type = typename Entity::key_type;

  /// Routes `deliver` to the stream's actor, spawning or holding as needed.
  static void route(self_type self, const key_type& key,
                    typename state_type::delivery deliver) {
    auto& st = self->state;
    const std::string stream = Entity::stream(key);
    auto found = st.live.find(stream);
    if (found == st.live.end()) {
      found = spawn(self, stream, key);
    }
    auto& slot = found->second;
    slot.last_used = std::chrono::steady_clock::now();
    st.lru.splice(st.lru.end(), st.lru, slot.lru);
    if (slot.passivating) {
      slot.held.push_back(std::move(deliver));
    } else {
      deliver(slot.actor);
    }
    if (st.live.size() > st.options.live_max) {
      passivate_oldest(self, st.live.size() - st.options.live_max);
    }
  }

  static void tick(self_type self) {
    auto& st = self->state;
    st.asks->sweep(std::chrono::steady_clock::now());
    const auto cutoff = std::chrono::steady_clock::now() - st.options.idle_timeout;
    std::vector<std::string> idle;
    for (const std::string& stream : st.lru) {
      const auto& slot = st.live.at(stream);
      if (slot.last_used > cutoff) {
        break;  // the rest were used more recently
      }
      if (!slot.passivating) {
        idle.push_back(stream);
      }
    }
    for (const std::string& stream : idle) {
      passivate(self, stream);
    }
    self->delayed_send(self, st.options.tick, tick_atom::value);
  }

  static void on_down(self_type self, const caf::down_msg& down) {
    auto& st = self->state;
    const auto by_actor = st.streams_by_actor.find(down.source);
    if (by_actor == st.streams_by_actor.end()) {
      return;
    }
    const std::string stream = by_actor->second;
    st.streams_by_actor.erase(by_actor);
    const auto found = st.live.find(stream);
    if (found == st.live.end() || found->second.actor.address() != down.source) {
      return;
    }
    // Died without the handshake (a crash): forget it; held commands go to a fresh actor.
    if (st.directory != nullptr) {
      st.directory->remove(stream, found->second.actor);
    }
    auto held = std::move(found->second.held);
    const key_type key = found->second.key;
    st.lru.erase(found->second.lru);
    st.live.erase(found);
    if (!held.empty()) {
      auto fresh = spawn(self, stream, key);
      for (auto& deliver : held) {
        deliver(fresh->second.actor);
      }
    }
  }

 private:
  static auto spawn(self_type self, const std::string& stream, const key_type& key) {
    auto& st = self->state;
    caf::actor actor = self->template spawn<caf::lazy_init>(&entity_actor<Entity>, st.store, key);
    self->monitor(actor);
    st.streams_by_actor[actor.address()] = stream;
    if (st.directory != nullptr) {
      st.directory->add(stream, actor);
    }
    st.lru.push_back(stream);
    typename state_type::slot slot;
    slot.actor = actor;
    slot.lru = std::prev(st.lru.end());
    slot.key = key;
    st.stats.spawned += 1;
    return st.live.emplace(stream, std::move(slot)).first;
  }

  static void passivate_oldest(self_type self, std::size_t count) {
    auto& st = self->state;
    std::vector<std::string> chosen;
    for (const std::string& stream : st.lru) {
      if (chosen.size() >= count) {
        break;
      }
      if (!st.live.at(stream).passivating) {
        chosen.push_back(stream);
      }
    }
    for (const std::string& stream : chosen) {
      passivate(self, stream);
    }
  }

  static void passivate(self_type self, const std::string& stream) {
    auto& slot = self->state.live.at(stream);
    slot.passivating = true;
    const caf::actor actor = slot.actor;
    auto waiting = self->state.asks->template watch<bool>([self, stream, actor](result<bool> r) {
      // Gone (an error other than the timeout) counts as stopped; no answer in time, as busy.
      handshake_done(self, stream, actor, r ? *r : r.code() != errc::request_timeout);
    });
    self->request(actor, caf::infinite, passivate_atom::value)
        .then([waiting](bool stopped) { waiting->answer(stopped); },
              [waiting](caf::error&) {
                waiting->answer(result<bool>(make_error(errc::internal, "the entity actor is gone")));
              });
  }

  static void handshake_done(self_type self, const std::string& stream, const caf::actor& actor,
                             bool stopped) {
    auto& st = self->state;
    auto found = st.live.find(stream);
    if (found == st.live.end() || found->second.actor != actor) {
      return;  // already replaced (it went down first)
    }
    auto held = std::move(found->second.held);
    found->second.held.clear();
    if (!stopped) {
      found->second.passivating = false;
      for (auto& deliver : held) {
        deliver(actor);
      }
      return;
    }
    const key_type key = found->second.key;
    if (st.directory != nullptr) {
      st.directory->remove(stream, actor);
    }
    st.streams_by_actor.erase(actor.address());
    self->demonitor(actor);
    st.lru.erase(found->second.lru);
    st.live.erase(found);
    st.stats.passivated += 1;
    if (!held.empty()) {
      auto fresh = spawn(self, stream, key);
      for (auto& deliver : held) {
        deliver(fresh->second.actor);
      }
    }
  }
};

/// The behavior of a registry for one kind of entity. `store` must outlive it.
///   (route_atom, key, envelope<command>) -> result<entity_reply>   (answered by the entity)
///   (route_atom, key, state_atom)        -> result<state>          (answered by the entity)
///   (stats_atom)                         -> registry_stats
template <class Entity>
caf::behavior registry_actor(caf::stateful_actor<registry_state<Entity>>* self,
                             eventstore::event_store* store, registry_options options,
                             actor_directory* directory) {
  using logic = registry_logic<Entity>;
  using key_type = typename Entity::key_type;
  self->state.store = store;
  self->state.directory = directory;
  self->state.options = options;
  self->state.asks = std::make_unique<ask_watch>(options.reply_bound);
  self->set_down_handler([self](caf::down_msg& down) { logic::on_down(self, down); });
  // On shutdown take the entity actors along: the actor system waits for every actor.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [stream, slot] : self->state.live) {
      self->send_exit(slot.actor, msg.reason);
    }
    self->quit(msg.reason);
  });
  self->delayed_send(self, options.tick, tick_atom::value);
  return {
      [self](route_atom, const key_type& key, envelope<typename Entity::command_type>& env) {
        auto promise = self->make_response_promise();
        logic::route(self, key, [promise, env = std::move(env)](const caf::actor& actor) mutable {
          promise.delegate(actor, cmd_atom::value, std::move(env));
        });
      },
      [self](route_atom, const key_type& key, state_atom) {
        auto promise = self->make_response_promise();
        logic::route(self, key, [promise](const caf::actor& actor) mutable {
          promise.delegate(actor, state_atom::value);
        });
      },
      [self](tick_atom) { logic::tick(self); },
      [self](stats_atom) {
        registry_stats out = self->state.stats;
        out.live = self->state.live.size();
        return out;
      },
  };
}

}  // namespace telepay::actors
