#pragma once
/// The live entity actors by stream, readable from any actor without a message hop.
///
/// Registries are the only writers: they add an actor when they spawn it and remove it when it
/// passivates or dies. Senders look an actor up and message it directly; if it quit in between
/// (passivation), CAF answers request_receiver_down and the sender goes through the registry,
/// which spawns a fresh actor. Single writer per stream still holds: only a registry spawns,
/// and only when the stream has no live actor.
///
/// Thread safety: all members may be called concurrently (sharded reader-writer locks).

#include <array>
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>

namespace telepay::actors {

class actor_directory {
 public:
  caf::actor find(const std::string& stream) const {
    const auto& s = shard(stream);
    std::shared_lock lock(s.mutex);
    const auto found = s.actors.find(stream);
    return found == s.actors.end() ? caf::actor() : found->second;
  }

  void add(const std::string& stream, const caf::actor& actor) {
    auto& s = shard(stream);
    std::unique_lock lock(s.mutex);
    s.actors[stream] = actor;
  }

  /// Removes the entry if it still names `actor` (a newer actor may have replaced it).
  void remove(const std::string& stream, const caf::actor& actor) {
    auto& s = shard(stream);
    std::unique_lock lock(s.mutex);
    const auto found = s.actors.find(stream);
    if (found != s.actors.end() && found->second == actor) {
      s.actors.erase(found);
    }
  }

  /// Drops every handle (at shutdown, so no handle outlives the actor system).
  void clear() {
    for (auto& s : shards_) {
      std::unique_lock lock(s.mutex);
      s.actors.clear();
    }
  }

 private:
  struct shard_type {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, caf::actor> actors;
  };
  shard_type& shard(const std::string& stream) {
    return shards_[std::hash<std::string>{}(stream) % shards_.size()];
  }
  const shard_type& shard(const std::string& stream) const {
    return shards_[std::hash<std::string>{}(stream) % shards_.size()];
  }
  std::array<shard_type, 16> shards_;
};

}  // namespace telepay::actors
