// The built-in task handlers of API.md that need no network. None holds a thread while it
// waits: `sleep` uses the timer thread, `wait` completes through the execution's alarm.
#include <string>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "execution/iso_duration.hpp"
#include "execution/task_services.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

constexpr std::int64_t max_sleep_ms = 86'400'000;

/// Reads a handler's input, which must be an object; errors name fields as "input.x".
json_object_reader input_object(std::string_view input) {
  if (input == "null") input = "{}";
  return json_object_reader{input, "input"};
}

// -- fail: {"times", "permanent", "message"} --------------------------------------------------

struct fail_input {
  std::int64_t times = 1;
  bool permanent = false;
  /// "abort": "workflow": the failure ends the workflow of the task's step.
  bool abort_workflow = false;
  std::string message = "failed on purpose";
};

fail_input read_fail(std::string_view input) {
  auto in = input_object(input);
  in.allow_only({"times", "permanent", "message", "abort"});
  fail_input f;
  if (auto abort = in.string("abort")) {
    if (*abort != "workflow")
      throw error{errc::invalid_field, "'input.abort' can only be \"workflow\"", "input.abort"};
    f.abort_workflow = true;
  }
  if (auto t = in.int64("times")) f.times = in.in_range("times", *t, 0, 1'000'000);
  f.permanent = in.boolean("permanent").value_or(false);
  if (auto m = in.string("message")) f.message = *m;
  return f;
}

// -- sleep: {"ms", "progressMs"} --------------------------------------------------------------

struct sleep_input {
  std::int64_t ms;
  std::int64_t progress_ms = 0;
};

sleep_input read_sleep(std::string_view input) {
  auto in = input_object(input);
  in.allow_only({"ms", "progressMs"});
  sleep_input s{in.in_range("ms", in.required_int64("ms"), 0, max_sleep_ms)};
  if (auto p = in.int64("progressMs")) s.progress_ms = in.in_range("progressMs", *p, 1, max_sleep_ms);
  return s;
}

/// Reports `{"elapsedMs"}` every `every_ms` until the attempt ends or `end_ms` comes.
void tick_progress(task_services& services, std::shared_ptr<task_attempt> attempt,
                   std::int64_t start_ms, std::int64_t every_ms, std::int64_t end_ms) {
  auto next = services.clock.now_ms() + every_ms;
  if (next >= end_ms) return;
  services.timers.schedule(next, [&services, attempt, start_ms, every_ms, end_ms] {
    if (attempt->ended()) return;
    json_writer p;
    p.begin_object().key("elapsedMs").value(services.clock.now_ms() - start_ms).end_object();
    attempt->progress(p.str());
    tick_progress(services, attempt, start_ms, every_ms, end_ms);
  });
}

// -- wait: {"duration": "PT2S"} or {"ms": 2000} -----------------------------------------------

std::int64_t read_wait_ms(std::string_view input) {
  auto in = input_object(input);
  in.allow_only({"duration", "ms"});
  if (in.has("duration") && in.has("ms"))
    throw error{errc::invalid_field, "give 'input.duration' or 'input.ms', not both",
                "input.duration"};
  if (auto d = in.raw("duration")) {
    auto text = in.string("duration");
    auto ms = parse_iso_duration_ms(*text);
    if (!ms)
      throw error{errc::invalid_field,
                  "'input.duration' must be an ISO 8601 duration PnDTnHnMnS of at most a year",
                  "input.duration"};
    return *ms;
  }
  if (auto ms = in.int64("ms")) return in.in_range("ms", *ms, 0, max_iso_duration_ms);
  throw error{errc::missing_field, "'input.duration' or 'input.ms' is required", "input.duration"};
}

}  // namespace

void add_builtin_handlers(task_services& services) {
  auto& h = services.handlers;

  h.add("echo", [](std::shared_ptr<task_attempt> a) { a->complete(a->input()); });

  h.add(
      "fail",
      [](std::shared_ptr<task_attempt> a) {
        auto f = read_fail(a->input());
        if (a->attempt() <= f.times) {
          if (f.abort_workflow)
            a->abort_workflow(f.message);
          else
            a->fail(f.message, f.permanent);
          return;
        }
        json_writer out;
        out.begin_object().key("attempts").value(a->attempt()).end_object();
        a->complete(out.str());
      },
      [](std::string_view input) { read_fail(input); });

  h.add(
      "sleep",
      [&services](std::shared_ptr<task_attempt> a) {
        auto s = read_sleep(a->input());
        auto start = services.clock.now_ms();
        if (s.progress_ms > 0) tick_progress(services, a, start, s.progress_ms, start + s.ms);
        services.timers.schedule(start + s.ms, [a, ms = s.ms] {
          json_writer out;
          out.begin_object().key("sleptMs").value(ms).end_object();
          a->complete(out.str());
        });
      },
      [](std::string_view input) { read_sleep(input); });

  h.add(
      "wait",
      [&services](std::shared_ptr<task_attempt> a) {
        auto ms = read_wait_ms(a->input());
        json_writer out;
        out.begin_object().key("waitedMs").value(ms).end_object();
        a->complete_at(services.clock.now_ms() + ms, out.str());
      },
      [](std::string_view input) { read_wait_ms(input); });
}

}  // namespace dort
