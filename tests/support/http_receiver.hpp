#pragma once
// A webhook receiver for integration tests: a plain-socket HTTP/1.1 server on 127.0.0.1 that
// records every request and answers each with the status set (independent of the server's own
// HTTP code). stop() closes the listener (connections are then refused: "the receiver is down");
// start() listens again on the same port.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace telepay::testing {

struct received_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  int answered = 0;  // the status it was answered with

  std::string header(const std::string& lower_case_name) const;
};

class http_receiver {
 public:
  http_receiver();
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  /// Listens (again, on the same port after stop()). False if the port cannot be bound.
  bool start();
  void stop();
  void answer_with(int status) { status_.store(status); }
  std::vector<received_request> received() const;
  /// Waits until `predicate(received())` holds; false after `timeout_ms`.
  template <class Predicate>
  bool wait_until(Predicate predicate, int timeout_ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return predicate(requests_); });
  }

 private:
  void serve(int listener);
  void handle(int connection);

  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> status_{200};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<received_request> requests_;
};

}  // namespace telepay::testing
