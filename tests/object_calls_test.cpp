// Calls between objects: replies as messages of their own, no blocked thread (A → B → A), the
// output gate for sends, deferred replies, timeouts, and objects that wait staying in memory.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "error_code_of.hpp"
#include "eventually.hpp"
#include "fault_injector.hpp"
#include "relay_object.hpp"
#include "runtime/runtime.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::eventually;
using dort::test::fault_injector;
using dort::test::relay_object;
using dort::test::temp_dir;

namespace {

struct calls_fixture {
  temp_dir dir;
  std::shared_ptr<fault_injector> faults = std::make_shared<fault_injector>();
  std::unique_ptr<runtime> rt;

  explicit calls_fixture(std::size_t threads = 2,
                         std::chrono::milliseconds idle = std::chrono::milliseconds{30'000}) {
    runtime_options options;
    options.data_dir = dir.path();
    options.scheduler_threads = threads;
    options.idle_timeout = idle;
    options.commit_faults = faults;
    rt = std::make_unique<runtime>(options);
    rt->register_class<relay_object>("relay");
  }

  std::string call(std::string_view object, std::string_view method, std::string payload = {}) {
    return rt->get("relay", object).call(method, payload);
  }

  /// The value of `key` of relay `object` as JSON ({"v": ...}).
  std::string value(std::string_view object, std::string_view key) {
    return call(object, "get", R"({"k":")" + std::string{key} + R"("})");
  }
};

}  // namespace

TEST_SUITE_BEGIN("object_calls");

TEST_CASE("a handler's call gets its reply later as a message of its own - whose writes commit") {
  calls_fixture f;
  CHECK(f.call("a", "ask", R"({"to":"b","method":"put","k":"x","v":"1"})") == "{}");
  eventually([&] { return f.value("a", "reply") == R"({"v":"{}"})"; });
  CHECK(f.value("b", "x") == R"({"v":"1"})");
}

TEST_CASE("A calls B which calls A back - with one scheduler thread and deferred replies") {
  calls_fixture f{1};
  CHECK(f.call("a", "start", R"({"to":"b"})") == R"({"pong":true})");
}

TEST_CASE("a call made by a handler that throws is never sent") {
  calls_fixture f;
  CHECK(code_of([&] {
          f.call("a", "ask_then_throw", R"({"to":"b","method":"put","k":"dropped","v":"1"})");
        }) == errc::handler_error);
  // Calls of one object to another arrive in the order they were sent: once the second is
  // there, the first would be too, had it left.
  f.call("a", "ask", R"({"to":"b","method":"put","k":"sent","v":"1"})");
  eventually([&] { return f.value("b", "sent") == R"({"v":"1"})"; });
  CHECK(f.value("b", "dropped") == R"({"v":null})");
  CHECK(f.value("a", "asked") == R"({"v":"1"})");
}

TEST_CASE("a call leaves only once its message is durable - and never if the commit fails") {
  calls_fixture f;
  f.call("b", "put", R"({"k":"ready","v":"1"})");  // b exists; its activation writes nothing more
  f.faults->plan_commit(fault_injector::plan::hold);
  auto asked = std::async(std::launch::async, [&] {
    return f.call("a", "ask", R"({"to":"b","method":"put","k":"gated","v":"1"})");
  });
  f.faults->wait_until_held();
  CHECK(f.value("b", "gated") == R"({"v":null})");  // a's writes are not durable: nothing left
  f.faults->release();
  CHECK(asked.get() == "{}");
  eventually([&] { return f.value("b", "gated") == R"({"v":"1"})"; });

  f.faults->plan_commit(fault_injector::plan::fail);
  CHECK(code_of([&] {
          f.call("a", "ask", R"({"to":"b","method":"put","k":"lost","v":"1"})");
        }) == errc::storage_failure);
  f.call("a", "ask", R"({"to":"b","method":"put","k":"after","v":"1"})");
  eventually([&] { return f.value("b", "after") == R"({"v":"1"})"; });
  CHECK(f.value("b", "lost") == R"({"v":null})");
}

TEST_CASE("a tell is sent after its message is durable and has no reply") {
  calls_fixture f;
  CHECK(f.call("a", "tell", R"({"to":"b","k":"told","v":"yes"})") == "{}");
  eventually([&] { return f.value("b", "told") == R"({"v":"yes"})"; });
}

TEST_CASE("a call without a reply in time gets timeout - and one to an unknown class its error") {
  calls_fixture f;
  f.call("a", "ask", R"({"to":"c","method":"hold","timeoutMs":50})");
  eventually([&] { return f.value("a", "reply") == R"({"v":"error:timeout"})"; });
  f.call("a", "ask", R"({"to":"d","class":"nope","method":"x"})");
  eventually([&] { return f.value("a", "reply") == R"({"v":"error:unknown_class"})"; });
  f.call("a", "ask", R"({"to":"d","method":"no_such_method"})");
  eventually([&] { return f.value("a", "reply") == R"({"v":"error:unknown_method"})"; });
}

TEST_CASE("a deferred reply is completed by a later message - once that message is durable") {
  calls_fixture f;
  auto held = std::async(std::launch::async, [&] { return f.call("a", "hold"); });
  eventually([&] { return f.value("a", "holding") == R"({"v":"1"})"; });
  f.faults->plan_commit(fault_injector::plan::hold);
  auto released = std::async(std::launch::async,
                             [&] { return f.call("a", "release", R"({"v":"done"})"); });
  f.faults->wait_until_held();
  CHECK(held.wait_for(std::chrono::milliseconds{50}) == std::future_status::timeout);
  f.faults->release();
  CHECK(held.get() == R"({"v":"done"})");
  CHECK(released.get() == "{}");
}

TEST_CASE("open replies fail with an error when their instance is reset after a failed commit") {
  calls_fixture f;
  auto held = std::async(std::launch::async, [&] { return f.call("a", "hold"); });
  eventually([&] { return f.value("a", "holding") == R"({"v":"1"})"; });
  f.faults->plan_commit(fault_injector::plan::fail);
  CHECK(code_of([&] { f.call("a", "put", R"({"k":"x","v":"1"})"); }) == errc::storage_failure);
  CHECK(code_of([&] { held.get(); }) == errc::storage_failure);
}

TEST_CASE("an object waiting for a reply or holding one open is not evicted") {
  calls_fixture f{2, std::chrono::milliseconds{1}};
  f.call("a", "ask", R"({"to":"c","method":"hold","timeoutMs":400})");
  // Far past the idle timeout, both wait: a for its reply, c with its reply open.
  std::this_thread::sleep_for(std::chrono::milliseconds{150});
  CHECK(f.rt->stats().evictions == 0);
  eventually([&] { return f.value("a", "reply") == R"({"v":"error:timeout"})"; });
  eventually([&] { return f.rt->stats().evictions >= 1; });  // a, once its reply ran
}

TEST_SUITE_END();
