#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <future>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "error_code_of.hpp"
#include "eventually.hpp"
#include "kv_object.hpp"
#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::eventually;
using dort::test::kv_object;
using dort::test::temp_dir;

namespace {

runtime_options options_for(const temp_dir& dir) {
  runtime_options options;
  options.data_dir = dir.path();
  options.scheduler_threads = 2;
  return options;
}

void register_classes(runtime& rt) {
  rt.register_class<kv_object>("kv");
  rt.register_class<samples::counter>("counter");
}

std::string put(runtime& rt, std::string_view object, std::string_view key, std::string_view value,
                std::string_view method = "put") {
  return rt.get("kv", object)
      .call(method, R"({"k":")" + std::string{key} + R"(","v":")" + std::string{value} + R"("})");
}

std::string get(runtime& rt, std::string_view object, std::string_view key) {
  return rt.get("kv", object).call("get", R"({"k":")" + std::string{key} + R"("})");
}

/// Sends every payload to `stub` from one actor without waiting between them, and returns the
/// replies in the order they came.
std::vector<expected<std::string>> pipeline(runtime& rt, const object_stub& stub,
                                            std::vector<std::pair<std::string, std::string>> msgs) {
  auto done = std::make_shared<std::promise<std::vector<expected<std::string>>>>();
  auto result = done->get_future();
  rt.system().spawn([stub, msgs, done](caf::event_based_actor* self) {
    auto replies = std::make_shared<std::vector<expected<std::string>>>();
    for (const auto& [method, payload] : msgs)
      stub.request(self, method, payload, [=, n = msgs.size()](expected<std::string> reply) {
        replies->push_back(std::move(reply));
        if (replies->size() == n) {
          done->set_value(std::move(*replies));
          self->quit();
        }
      });
  });
  return result.get();
}

}  // namespace

TEST_CASE("a call returns the handler's JSON reply") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  CHECK(put(rt, "a", "k", "v") == "{}");
  CHECK(get(rt, "a", "k") == R"({"v":"v"})");
  CHECK(get(rt, "a", "missing") == R"({"v":null})");
}

namespace {

/// Throws from its constructor while `fail` is set.
struct fragile_object : durable_object {
  static inline std::atomic<bool> fail{true};
  explicit fragile_object(object_context& c) : durable_object(c) {
    if (fail) throw std::runtime_error{"not today"};
  }
  std::string handle(std::string_view, std::string_view) override { return "{}"; }
};

}  // namespace

TEST_CASE("a constructor that throws gets its caller handler_error and the next message retries") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  rt.register_class<fragile_object>("fragile");
  CHECK(code_of([&] { rt.get("fragile", "a").call("m"); }) == errc::handler_error);
  auto replies = pipeline(rt, rt.get("fragile", "b"), {{"m", ""}});
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].err().code() == errc::handler_error);
  fragile_object::fail = false;
  CHECK(rt.get("fragile", "a").call("m") == "{}");
}

TEST_CASE("class names are checked when registered and registered once") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  auto factory = [](object_context& c) { return std::make_unique<kv_object>(c); };
  CHECK(code_of([&] { rt.register_class("kv", factory); }) == errc::invalid_field);
  CHECK(code_of([&] { rt.register_class("", factory); }) == errc::invalid_field);
  CHECK(code_of([&] { rt.register_class("a/b", factory); }) == errc::invalid_field);
  CHECK(code_of([&] {
          rt.register_class(std::string{"a\0b", 3}, factory);
        }) == errc::invalid_field);
  CHECK(code_of([&] { rt.register_class(std::string(65, 'c'), factory); }) == errc::invalid_field);
  CHECK(code_of([&] { rt.register_class("my-class.v2_x", factory); }) == errc{});
  CHECK(rt.has_class("my-class.v2_x"));
}

TEST_CASE("an unknown class or method is an error with its code") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  CHECK(code_of([&] { rt.get("nope", "a"); }) == errc::unknown_class);
  CHECK(code_of([&] { rt.get("kv", "a").call("nope"); }) == errc::unknown_method);
  CHECK(code_of([&] { rt.get("kv", ""); }) == errc::invalid_field);
  CHECK(code_of([&] { rt.get("kv", std::string(257, 'n')); }) == errc::invalid_field);
  CHECK(code_of([&] { rt.get("kv", std::string(256, 'n')); }) == errc{});
}

TEST_CASE("a class that declares its methods is asked for them before any message is sent") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  CHECK(rt.has_method("counter", "incr"));
  CHECK(rt.has_method("counter", "reset"));
  CHECK_FALSE(rt.has_method("counter", "fly"));
  CHECK_FALSE(rt.has_method("nope", "incr"));
  CHECK(rt.has_method("kv", "anything"));  // declares none: the object answers for itself
}

TEST_CASE(
    "a throwing handler gets its caller handler_error - its writes are discarded - and the object "
    "goes on") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  put(rt, "a", "k", "before");
  CHECK(code_of([&] { put(rt, "a", "k", "after", "put_then_throw"); }) == errc::handler_error);
  CHECK(get(rt, "a", "k") == R"({"v":"before"})");
  // A handler may choose its error code; its writes are dropped all the same.
  CHECK(code_of([&] { put(rt, "a", "k", "after", "put_then_fail"); }) == errc::invalid_field);
  CHECK(get(rt, "a", "k") == R"({"v":"before"})");
  put(rt, "a", "k", "later");
  CHECK(get(rt, "a", "k") == R"({"v":"later"})");
}

TEST_CASE("a message sees the writes of the messages before it - durable or not") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  std::vector<std::pair<std::string, std::string>> msgs;
  for (int i = 0; i < 200; ++i) {
    msgs.emplace_back("put", R"({"k":"k","v":")" + std::to_string(i) + R"("})");
    msgs.emplace_back("get", R"({"k":"k"})");
  }
  auto replies = pipeline(rt, rt.get("kv", "a"), msgs);
  REQUIRE(replies.size() == 400);
  for (int i = 0; i < 200; ++i)
    CHECK(replies[2 * i + 1].value() == R"({"v":")" + std::to_string(i) + R"("})");
}

TEST_CASE("two objects with the same key do not see each other through the runtime") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  put(rt, "a", "k", "from a");
  CHECK(get(rt, "b", "k") == R"({"v":null})");
  put(rt, "b", "k", "from b");
  CHECK(get(rt, "a", "k") == R"({"v":"from a"})");
  auto id = runtime::new_unique_id();
  CHECK(rt.get("kv", id).call("get", R"({"k":"k"})") == R"({"v":null})");
}

TEST_CASE("state survives closing and reopening the runtime") {
  temp_dir dir;
  auto id = runtime::new_unique_id();
  {
    runtime rt{options_for(dir)};
    register_classes(rt);
    put(rt, "a", "k", "v");
    rt.get("kv", id).call("put", R"({"k":"k","v":"by id"})");
    rt.get("counter", "c").call("incr", R"({"by":41})");
    rt.get("counter", "c").call("incr");
  }
  runtime rt{options_for(dir)};
  register_classes(rt);
  CHECK(get(rt, "a", "k") == R"({"v":"v"})");
  CHECK(rt.get("kv", id).call("get", R"({"k":"k"})") == R"({"v":"by id"})");
  CHECK(rt.get("counter", "c").call("get") == R"({"value":42})");
}

TEST_CASE("replies still waiting when the runtime closes are released - and their writes kept") {
  temp_dir dir;
  std::size_t acknowledged = 0;
  {
    runtime rt{options_for(dir)};
    register_classes(rt);
    std::vector<std::pair<std::string, std::string>> msgs(500, {"incr", ""});
    for (auto& reply : pipeline(rt, rt.get("counter", "c"), msgs)) acknowledged += reply ? 1 : 0;
  }
  runtime rt{options_for(dir)};
  register_classes(rt);
  CHECK(acknowledged == 500);
  CHECK(rt.get("counter", "c").call("get") == R"({"value":500})");
}

TEST_CASE("8 threads x 10000 concurrent incr to one new object give exactly 80000") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  constexpr int threads = 8;
  constexpr int per_thread = 10'000;
  std::barrier start{threads};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      auto stub = rt.get("counter", "shared");
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) stub.call("incr");
    });
  for (auto& w : workers) w.join();
  CHECK(rt.get("counter", "shared").call("get") == R"({"value":80000})");
  CHECK(rt.stats().activations == 1);
}

TEST_CASE("exactly one activation when many threads send to a new object at once") {
  temp_dir dir;
  runtime rt{options_for(dir)};
  register_classes(rt);
  constexpr int threads = 16;
  std::barrier start{threads};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      start.arrive_and_wait();
      rt.get("counter", "fresh").call("incr");
    });
  for (auto& w : workers) w.join();
  CHECK(rt.stats().activations == 1);
  CHECK(rt.stats().objects_active == 1);
  CHECK(rt.get("counter", "fresh").call("get") == R"({"value":16})");
}

TEST_CASE("an idle object is evicted - and re-activated from storage by its next message") {
  temp_dir dir;
  auto options = options_for(dir);
  options.idle_timeout = std::chrono::milliseconds{300};  // long enough to check it is live first
  runtime rt{options};
  register_classes(rt);
  rt.get("counter", "c").call("incr", R"({"by":7})");
  CHECK(rt.stats().objects_active == 1);
  eventually([&] { return rt.stats().objects_active == 0; });
  CHECK(rt.stats().evictions == 1);
  CHECK(rt.get("counter", "c").call("incr") == R"({"value":8})");
  CHECK(rt.stats().activations == 2);
}

TEST_CASE("messages racing with eviction are each handled exactly once") {
  temp_dir dir;
  auto options = options_for(dir);
  options.idle_timeout = std::chrono::milliseconds{1};
  runtime rt{options};
  register_classes(rt);
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        rt.get("counter", "churn").call("incr");
        // Pauses around the idle timeout, so that messages meet objects being evicted.
        if ((i + t) % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds{1500});
      }
    });
  for (auto& w : workers) w.join();
  CHECK(rt.get("counter", "churn").call("get") ==
        R"({"value":)" + std::to_string(threads * per_thread) + "}");
}

TEST_CASE("asynchronous sends from a plain thread each get one reply - also racing eviction") {
  temp_dir dir;
  auto options = options_for(dir);
  options.idle_timeout = std::chrono::milliseconds{1};
  runtime rt{options};
  register_classes(rt);
  constexpr int sends = 2'000;
  std::atomic<int> replies{0};
  std::atomic<int> errors{0};
  auto stub = rt.get("counter", "async");
  for (int i = 0; i < sends; ++i) {
    stub.send("incr", "", [&](expected<std::string> reply) {
      (reply ? replies : errors).fetch_add(1);
    });
    if (i % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds{1500});
  }
  eventually([&] { return replies.load() + errors.load() == sends; });
  CHECK(errors.load() == 0);
  CHECK(stub.call("get") == R"({"value":)" + std::to_string(sends) + "}");
  std::atomic<int> unknown{0};
  rt.get("counter", "async").send("nope", "", [&](expected<std::string> reply) {
    if (!reply && reply.err().code() == errc::unknown_method) unknown.fetch_add(1);
  });
  eventually([&] { return unknown.load() == 1; });
}

TEST_CASE("a failed commit fails its callers and rebuilds the object from disk") {
  temp_dir dir;
  auto options = options_for(dir);
  options.initial_map_bytes = 256 * 1024;
  options.max_db_bytes = 512 * 1024;
  runtime rt{options};
  register_classes(rt);
  rt.get("counter", "c").call("incr", R"({"by":5})");
  put(rt, "a", "small", "kept");
  std::vector<std::pair<std::string, std::string>> msgs{
      {"put", R"({"k":"big","v":")" + std::string(800 * 1024, 'v') + R"("})"},
      {"get", R"({"k":"big"})"}};
  auto replies = pipeline(rt, rt.get("kv", "a"), msgs);
  REQUIRE(replies.size() == 2);
  CHECK_FALSE(replies[0].has_value());
  CHECK(replies[0].err().code() == errc::storage_full);
  CHECK_FALSE(replies[1].has_value());  // it saw the lost write, so it fails too
  CHECK(get(rt, "a", "big") == R"({"v":null})");
  CHECK(get(rt, "a", "small") == R"({"v":"kept"})");
  put(rt, "a", "small", "writes go on");
  CHECK(get(rt, "a", "small") == R"({"v":"writes go on"})");
  CHECK(rt.get("counter", "c").call("get") == R"({"value":5})");  // other objects unharmed
}

TEST_SUITE_BEGIN("runtime");

TEST_CASE("the map grows by itself under concurrent writers and readers and loses nothing") {
  temp_dir dir;
  constexpr int writers = 4;
  constexpr int objects_per_writer = 50;
  constexpr int puts_per_object = 10;
  const std::string value(2'000, 'v');  // ~1 MB in all, against a 64 KiB initial map
  {
    auto options = options_for(dir);
    options.initial_map_bytes = 64 * 1024;
    runtime rt{options};
    register_classes(rt);
    std::atomic<int> failures{0};
    std::atomic<bool> writing{true};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w] {
        for (int o = 0; o < objects_per_writer; ++o)
          for (int k = 0; k < puts_per_object; ++k)
            if (!rt.get("kv", "w" + std::to_string(w) + "-" + std::to_string(o))
                     .try_call("put", R"({"k":"k)" + std::to_string(k) + R"(","v":")" + value +
                                          R"("})"))
              failures.fetch_add(1);
      });
    std::thread reader{[&] {  // sees nothing or the whole value, never a part
      while (writing) {
        auto seen = get(rt, "w0-0", "k0");
        if (seen != R"({"v":null})" && seen != R"({"v":")" + value + R"("})") failures.fetch_add(1);
      }
    }};
    for (auto& t : threads) t.join();
    writing = false;
    reader.join();
    CHECK(failures.load() == 0);
    CHECK(rt.stats().map_growths > 0);
  }
  runtime again{options_for(dir)};
  register_classes(again);
  for (int w = 0; w < writers; ++w)
    for (int o = 0; o < objects_per_writer; ++o)
      CHECK(get(again, "w" + std::to_string(w) + "-" + std::to_string(o),
                "k" + std::to_string(puts_per_object - 1)) == R"({"v":")" + value + R"("})");
}

TEST_CASE("a stub that outlives its runtime fails with shutting_down - never touches it") {
  temp_dir dir;
  std::optional<object_stub> stub;
  {
    runtime rt{options_for(dir)};
    register_classes(rt);
    stub = rt.get("kv", "a");
    CHECK(stub->call("put", R"({"k":"x","v":"1"})") == "{}");
  }
  CHECK(code_of([&] { stub->call("get", R"({"k":"x"})"); }) == errc::shutting_down);
  CHECK(stub->try_call("get", R"({"k":"x"})").err().code() == errc::shutting_down);
  std::optional<errc> sent;
  stub->send("get", R"({"k":"x"})", [&](const expected<std::string>& r) {
    if (!r) sent = r.err().code();
  });
  CHECK(sent == errc::shutting_down);
}

TEST_SUITE_END();
