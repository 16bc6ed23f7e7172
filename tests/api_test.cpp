// The server's API layer in process, without sockets: admission control with a request held
// inside a deliberately slow object.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "runtime/runtime.hpp"
#include "server/api.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::temp_dir;

namespace {

/// Answers `wait` after 300 ms: a request that stays in flight for a while.
class slow_object : public durable_object {
 public:
  using durable_object::durable_object;
  std::string handle(std::string_view method, std::string_view) override {
    if (method != "wait") unknown_method(method);
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    return "{}";
  }
};

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("past --max-inflight-requests the api answers 429 backpressure with Retry-After") {
  temp_dir dir;
  runtime_options options;
  options.data_dir = dir.path();
  options.scheduler_threads = 2;
  runtime rt{options};
  rt.register_class<slow_object>("slow");
  server::api api{rt, {"", 1'048'576, 1}};
  server::http_request held{"POST", "/v1/objects/slow/a/wait", std::nullopt, std::nullopt, std::nullopt, "", false};
  std::promise<server::http_response> first;
  api.handle(held, [&](server::http_response r) { first.set_value(std::move(r)); });
  CHECK(api.inflight() == 1);
  server::http_response second;
  api.handle({"GET", "/healthz", std::nullopt, std::nullopt, std::nullopt, "", false},
             [&](server::http_response r) { second = std::move(r); });
  CHECK(second.status == 429);
  CHECK(second.body.find(R"("code":"backpressure")") != std::string::npos);
  CHECK(second.body.find(R"("retryAfterMs":1000)") != std::string::npos);
  bool has_retry_after = false;
  for (auto& [name, value] : second.headers) has_retry_after |= name == "Retry-After" && value == "1";
  CHECK(has_retry_after);
  CHECK(first.get_future().get().status == 200);
  CHECK(api.inflight() == 0);
  server::http_response third;
  api.handle({"GET", "/healthz", std::nullopt, std::nullopt, std::nullopt, "", false},
             [&](server::http_response r) { third = std::move(r); });
  CHECK(third.status == 200);
}

TEST_SUITE_END();
