// The server's request handling fed raw bytes, in process: Beast's parser with the server's limits
// (server/http_request_reader.hpp), then the api on a live runtime (counter, reminder and
// execution classes, the built-in task handlers; the `http` handler's input is checked as the
// server does but never called). One input is one connection: requests are read and answered one
// after the other while the connection stays open. Properties beyond "no crash, no hang":
// - every request is answered exactly once, with a status of API.md's table that a correct server
//   can give (no 5xx: nothing here may fail inside);
// - every non-2xx answer is {"error": {"code", "message"}} with a code of that status (405 with
//   Allow, 429 with Retry-After); every JSON 2xx body is one valid JSON object;
// - nothing stored changes for a refused request: a counter's value moves only with a 200 from
//   its incr or reset (and then to the value answered); an execution's task total grows by one
//   with a 201 from its submit and never otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include "actors/json_reader.hpp"
#include "execution/execution_object.hpp"
#include "execution/http_task.hpp"
#include "execution/task_services.hpp"
#include "fuzz_support.hpp"
#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"
#include "samples/reminder/reminder.hpp"
#include "server/api.hpp"
#include "server/http_request_reader.hpp"
#include "server/percent_decode.hpp"

namespace {

using dort::fuzz::fuzz_check;
namespace beast = boost::beast;
namespace server = dort::server;

/// Body limit of this server: small, so that 413 is within a mutation's reach.
constexpr std::size_t max_body_bytes = 2'048;
/// Requests read from one input (one connection), at most.
constexpr int max_requests_per_input = 16;
/// Longest wait for one answer: far beyond any request here; past it the run stops as a hang.
constexpr auto answer_timeout = std::chrono::seconds{30};
/// Token of the server that checks auth (API.md: Authorization: Bearer <token>).
constexpr std::string_view token = "fuzz-token";

/// The bytes of one input as a connection that ends after them.
class memory_stream {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit memory_stream(std::string_view bytes) : rest_(bytes) {}

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    ec = {};
    if (rest_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    auto n = boost::asio::buffer_copy(buffers, boost::asio::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(n);
    return n;
  }

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    beast::error_code ec;
    auto n = read_some(buffers, ec);
    if (ec) throw beast::system_error{ec};
    return n;
  }

 private:
  std::string_view rest_;
};

/// One runtime for the whole run, on a fresh directory, without fsync.
struct world {
  world() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "dort-fuzz-http-XXXXXX").string();
    fuzz_check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    dir = pattern;
    dort::runtime_options options;
    options.data_dir = dir;
    options.mode = dort::durability::relaxed;
    options.scheduler_threads = 2;
    options.idle_timeout = std::chrono::seconds{2};  // memory stays bounded over a long run
    options.clock = clock;
    rt = std::make_unique<dort::runtime>(options);
    rt->register_class<dort::samples::counter>("counter");
    rt->register_class<dort::samples::reminder>("reminder");
    services = std::make_shared<dort::task_services>(
        *clock, dort::task_services_options{1, 64, true});  // a short queue: 429 within reach
    services->handlers.add(
        "http",
        [](std::shared_ptr<dort::task_attempt> attempt) {
          attempt->fail("the fuzzer makes no calls", true);
        },
        dort::check_http_input);
    dort::register_execution(*rt, services);
    rt->start_alarms();
    open = std::make_unique<server::api>(*rt, server::api_options{"", max_body_bytes, 10'000},
                                         &services->metrics, &services->events);
    guarded = std::make_unique<server::api>(
        *rt, server::api_options{std::string{token}, max_body_bytes, 10'000}, &services->metrics,
        &services->events);
  }
  std::filesystem::path dir;
  std::shared_ptr<dort::system_clock> clock = std::make_shared<dort::system_clock>();
  std::unique_ptr<dort::runtime> rt;
  std::shared_ptr<dort::task_services> services;
  std::unique_ptr<server::api> open;
  std::unique_ptr<server::api> guarded;
};

/// The world is never destroyed: libFuzzer ends a run with exit(), and by then CAF's own static
/// state may be gone, so stopping the actor system there crashes. At exit, the directory is
/// removed and the process ends at once (only a clean end of the run gets there: a crash, a
/// timeout or a failed property ends the process from libFuzzer's handlers).
world& the_world() {
  static world* w = [] {
    auto* made = new world;  // never deleted, on purpose (above)
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(the_world().dir, ignored);
      std::_Exit(0);
    });
    return made;
  }();
  return *w;
}

/// The reply of one message to an object, waited for.
dort::expected<std::string> ask(std::string_view class_name, std::string_view name,
                                std::string method, std::string payload) {
  auto reply = std::make_shared<std::promise<dort::expected<std::string>>>();
  auto future = reply->get_future();
  the_world().rt->get(class_name, name).send(std::move(method), std::move(payload),
                                             [reply](dort::expected<std::string> r) {
                                               reply->set_value(std::move(r));
                                             });
  fuzz_check(future.wait_for(answer_timeout) == std::future_status::ready,
             "an object did not answer");
  return future.get();
}

std::int64_t number_in(const std::string& json, std::string_view field) {
  return dort::json_object_reader{json}.required_int64(field);
}

/// The api's answer to `request`, waited for; exactly one.
server::http_response answer(server::api& api, const server::http_request& request) {
  struct state {
    std::promise<server::http_response> response;
    std::atomic<int> calls{0};
  };
  auto s = std::make_shared<state>();
  auto future = s->response.get_future();
  api.handle(request, [s](server::http_response r) {
    fuzz_check(s->calls.fetch_add(1) == 0, "a request was answered twice");
    s->response.set_value(std::move(r));
  });
  fuzz_check(future.wait_for(answer_timeout) == std::future_status::ready,
             "a request was not answered", request.target);
  return future.get();
}

const std::map<unsigned, std::set<std::string>> codes_by_status{
    {400, {"invalid_json", "invalid_field", "missing_field", "bad_request"}},
    {401, {"unauthorized"}},
    {404, {"not_found", "unknown_class", "unknown_method", "task_not_found"}},
    {405, {"method_not_allowed"}},
    {409, {"task_exists", "invalid_state"}},
    {413, {"too_large"}},
    {415, {"unsupported_media_type"}},
    {429, {"backpressure"}},
};

bool has_header(const server::http_response& r, std::string_view name) {
  for (auto& [n, v] : r.headers)
    if (n == name && !v.empty()) return true;
  return false;
}

void check_response(const server::http_response& r, const std::string& target) {
  if (r.status == 200 || r.status == 201) {
    if (r.stream) {
      fuzz_check(r.content_type == "text/event-stream", "a stream of another type", target);
      r.stream->start([](std::string) {}, [] {});
      r.stream->stop();
      return;
    }
    if (r.content_type == "application/json") {
      try {
        dort::json_object_reader check{r.body};
      } catch (const dort::error& e) {
        fuzz_check(false, "a 2xx JSON body is not one JSON object", r.body);
      }
    }
    return;
  }
  auto codes = codes_by_status.find(r.status);
  fuzz_check(codes != codes_by_status.end(), "a status a correct server never gives",
             std::to_string(r.status) + " " + target + " " + r.body);
  fuzz_check(r.content_type == "application/json", "an error body that is not JSON", r.body);
  try {
    dort::json_object_reader body{r.body};
    body.allow_only({"error"});
    dort::json_object_reader error{*body.raw("error"), "error"};
    error.allow_only({"code", "message", "field", "retryAfterMs"});
    auto code = error.required_string("code");
    error.required_string("message");
    fuzz_check(codes->second.contains(code), "a code of another status", r.body);
  } catch (const dort::error& e) {
    fuzz_check(false, "an error body not of API.md's form", r.body);
  }
  if (r.status == 405) fuzz_check(has_header(r, "Allow"), "405 without Allow");
  if (r.status == 429) fuzz_check(has_header(r, "Retry-After"), "429 without Retry-After");
}

/// The stored state a request may change, read before and after it: a counter's value or an
/// execution's task total, when the target names one.
struct watched {
  enum { none, counter, submit } what = none;
  std::string name;
};

watched watch_of(const std::string& target) {
  std::vector<std::string_view> segments;
  std::string_view path{target};
  path = path.substr(0, path.find('?'));
  if (path.starts_with('/')) path.remove_prefix(1);  // as the api splits a path
  while (true) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  auto decoded = [&](std::size_t i) { return server::percent_decode(segments[i]); };
  if (segments.size() == 5 && segments[0] == "v1" && segments[1] == "objects" &&
      decoded(2) == "counter") {
    auto name = decoded(3);
    if (name && !name->empty() && name->size() <= 256) return {watched::counter, *name};
  }
  if (segments.size() == 4 && segments[0] == "v1" && segments[1] == "executions" &&
      segments[3] == "tasks") {
    auto name = decoded(2);
    if (name && !name->empty() && name->size() <= 256) return {watched::submit, *name};
  }
  return {};
}

std::int64_t read_watched(const watched& w) {
  if (w.what == watched::counter) return number_in(ask("counter", w.name, "get", "").value(), "value");
  return number_in(ask("execution", w.name, "metrics", "{}").value(), "total");
}

void check_stored(const watched& w, std::int64_t before, const server::http_response& r,
                  const std::string& target) {
  auto after = read_watched(w);
  if (w.what == watched::counter) {
    if (r.status == 200)
      fuzz_check(after == number_in(r.body, "value"), "a counter differs from its answer", target);
    else
      fuzz_check(after == before, "a refused request changed a counter", target);
  } else {
    fuzz_check(after == before + (r.status == 201 ? 1 : 0),
               "a task total moved otherwise than by a 201 submit", target);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& w = the_world();
  // One input in eight goes to the server with a token, so that auth is fuzzed too.
  auto& api = size % 8 == 7 ? *w.guarded : *w.open;
  memory_stream stream{{reinterpret_cast<const char*>(data), size}};
  beast::flat_buffer buffer;
  for (int i = 0; i < max_requests_per_input; ++i) {
    server::request_parser parser;
    server::limit_parser(parser, max_body_bytes);
    beast::error_code ec;
    beast::http::read(stream, buffer, parser, ec);
    auto read = server::read_result(ec, parser);
    if (read.what == server::request_read::outcome::closed) break;
    if (read.what == server::request_read::outcome::malformed) {
      check_response(server::error_response(server::bad_request(read.why)), "");
      break;
    }
    auto watch = watch_of(read.request.target);
    std::int64_t before = watch.what == watched::none ? 0 : read_watched(watch);
    auto response = answer(api, read.request);
    check_response(response, read.request.target);
    if (watch.what != watched::none) check_stored(watch, before, response, read.request.target);
    if (!read.keep_alive) break;
  }
  return 0;
}
