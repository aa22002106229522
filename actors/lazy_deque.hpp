#pragma once
/// A deque that allocates nothing while empty. std::deque allocates its map and a 512-byte block
/// even when empty; an entity actor keeps three queues, so with hundreds of thousands of live
/// actors that cost most of their memory (measured: ~2 KB of ~5.5 KB per wallet actor).

#include <cstddef>
#include <deque>
#include <memory>

namespace telepay::actors {

template <class T>
class lazy_deque {
 public:
  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }

  void push_back(T value) { ensure().push_back(std::move(value)); }
  void push_front(T value) { ensure().push_front(std::move(value)); }

  /// REQUIRES: !empty() (for front/back/pop_*).
  T& front() { return items_->front(); }
  T& back() { return items_->back(); }
  T& operator[](std::size_t i) { return (*items_)[i]; }

  void pop_front() {
    items_->pop_front();
    release_if_empty();
  }
  void pop_back() {
    items_->pop_back();
    release_if_empty();
  }

 private:
  std::deque<T>& ensure() {
    if (!items_) {
      items_ = std::make_unique<std::deque<T>>();
    }
    return *items_;
  }
  void release_if_empty() {
    if (items_->empty()) {
      items_.reset();
    }
  }
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace telepay::actors
