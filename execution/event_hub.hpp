// Tells subscribers of a task's new events as they become durable. The execution publishes each
// event once its transaction commits; a subscriber (the server's event stream) reads the stored
// events first and then receives the live ones here, dropping any it has already seen by `seq`.
// Subscribers are called on the publishing object's thread and must return quickly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace dort {

/// One event of a task: its number and its JSON (`data` of API.md's event stream).
struct task_event {
  std::uint32_t seq;
  std::string type;
  std::string json;
};

class event_hub {
 public:
  using subscriber = std::function<void(const task_event&)>;
  using subscription = std::uint64_t;

  /// Calls `fn` for every event published for task `task_id` of execution `exec` from now on.
  subscription subscribe(std::string_view exec, std::string_view task_id, subscriber fn);

  /// Stops calling the subscriber; once it returns, the subscriber is never called again.
  void unsubscribe(subscription id);

  void publish(std::string_view exec, std::string_view task_id, const task_event& event);

  /// Subscriptions now (for tests and metrics).
  std::size_t size() const;

 private:
  static std::string key_of(std::string_view exec, std::string_view task_id);

  mutable std::mutex mutex_;
  std::multimap<std::string, std::pair<subscription, subscriber>> subscribers_;
  std::map<subscription, std::string> keys_;
  subscription next_ = 1;
};

}  // namespace dort
