#pragma once
/// Bounds the replies one actor waits for, without a CAF timer per request.
///
/// Why not CAF's own timeout: CAF 0.17 never cancels a request's timer when the reply arrives,
/// so every request with a finite timeout leaves an entry in the clock thread's locked map for
/// the whole timeout and then sends one more (dropped) message to the requester. At tens of
/// thousands of internal asks a second that is millions of timers and a second message per ask.
///
/// Here each asking actor owns one watch. An ask is a node in an intrusive FIFO (deadlines are
/// in order because the bound is one value); the reply unlinks it in O(1), so the list holds
/// only the asks in flight. While asks are pending the owner receives one tick every quarter of
/// the bound (ask_tick_atom; the owner's behavior calls on_tick), and each tick answers every
/// overdue ask with errc::request_timeout. The first of the reply and the expiry wins; the other
/// is dropped. An ask therefore waits at most 1.25 times the bound.
///
/// Thread safety: none needed; a watch and its asks are touched only by the owning actor.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <caf/atom.hpp>

#include "domain/base/assert.hpp"
#include "domain/base/result.hpp"

namespace telepay::actors {

using ask_tick_atom = caf::atom_constant<caf::atom("asktick")>;

namespace detail {

struct ask_node {
  ask_node* prev = nullptr;
  ask_node* next = nullptr;
  std::chrono::steady_clock::time_point deadline{};

  ask_node() = default;
  ask_node(const ask_node&) = delete;
  ask_node& operator=(const ask_node&) = delete;
  virtual ~ask_node() { unlink(); }

  void unlink() {
    if (prev != nullptr) {
      prev->next = next;
      next->prev = prev;
      prev = nullptr;
      next = nullptr;
    }
  }
  virtual void expire(const error& why) = 0;
};

}  // namespace detail

/// One watched ask: answer() with the reply; the watch expires it if no reply comes in time.
template <class T>
class watched_ask final : public detail::ask_node {
 public:
  explicit watched_ask(std::function<void(result<T>)> done) : done_(std::move(done)) {}

  /// Delivers `r` unless the ask was answered or expired already.
  void answer(result<T> r) {
    unlink();
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(r));
  }

  bool answered() const { return !done_; }

  void expire(const error& why) override { answer(result<T>(why)); }

 private:
  std::function<void(result<T>)> done_;
};

class ask_watch {
 public:
  using clock = std::chrono::steady_clock;

  using arm_fn = std::function<void(std::chrono::milliseconds)>;

  /// `bound`: how long an ask may wait (> 0). `arm(delay)`: schedules one ask_tick_atom to the
  /// owner after `delay` (the owner's delayed_send to itself); without it, only sweep() expires.
  explicit ask_watch(std::chrono::milliseconds bound, arm_fn arm = {}) : bound_(bound), arm_(std::move(arm)) {
    LEDGER_ASSERT(bound.count() > 0, "an ask bound must be positive");
    head_.prev = &head_;
    head_.next = &head_;
  }
  ask_watch(const ask_watch&) = delete;
  ask_watch& operator=(const ask_watch&) = delete;
  ~ask_watch() {
    while (head_.next != &head_) head_.next->unlink();
    head_.prev = nullptr;  // head_ is not in a list any more: its own destructor does nothing
  }

  std::chrono::milliseconds tick_period() const {
    return std::max(std::chrono::milliseconds(1), bound_ / 4);
  }
  bool empty() const { return head_.next == &head_; }
  std::size_t size() const {
    std::size_t n = 0;
    for (const detail::ask_node* p = head_.next; p != &head_; p = p->next) ++n;
    return n;
  }
  /// Asks expired since the watch was made.
  std::uint64_t expired_total() const { return expired_; }

  /// Starts watching an ask that delivers to `done`. The caller routes the reply (or CAF's
  /// error) to answer() on the returned node and keeps the node alive until then.
  template <class T>
  std::shared_ptr<watched_ask<T>> watch(std::function<void(result<T>)> done, clock::time_point now = clock::now()) {
    auto node = std::make_shared<watched_ask<T>>(std::move(done));
    node->deadline = now + bound_;
    node->prev = head_.prev;
    node->next = &head_;
    head_.prev->next = node.get();
    head_.prev = node.get();
    if (!armed_ && arm_) {
      armed_ = true;
      arm_(tick_period());
    }
    return node;
  }

  /// Expires every ask whose deadline is at or before `now`; returns how many.
  std::size_t sweep(clock::time_point now) {
    std::size_t n = 0;
    if (empty() || head_.next->deadline > now) return n;  // most ticks: nothing overdue
    const error why = make_error(errc::request_timeout, "no reply within " + std::to_string(bound_.count()) + " ms");
    while (head_.next != &head_ && head_.next->deadline <= now) {
      detail::ask_node* overdue = head_.next;
      overdue->unlink();
      ++n;
      ++expired_;
      overdue->expire(why);  // may start new asks: they go to the tail with later deadlines
    }
    return n;
  }

  /// The owner's ask_tick_atom handler: sweeps, then re-arms while asks are pending.
  void on_tick(clock::time_point now = clock::now()) {
    armed_ = false;
    sweep(now);
    if (!empty() && arm_) {
      armed_ = true;
      arm_(tick_period());
    }
  }

 private:
  struct sentinel final : detail::ask_node {
    void expire(const error&) override {}
  };
  std::chrono::milliseconds bound_;
  arm_fn arm_;
  sentinel head_;
  bool armed_ = false;
  std::uint64_t expired_ = 0;
};

}  // namespace telepay::actors
