#include "runtime/runtime.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "actors/object_actor.hpp"
#include "persistence/catalogue.hpp"
#include "runtime/runtime_core.hpp"

namespace dort {

// -- runtime_core -----------------------------------------------------------------------------

namespace {

environment_options environment_options_of(const runtime_options& options) {
  environment_options out;
  out.dir = options.data_dir;
  out.mode = options.mode;
  out.initial_map_bytes = options.initial_map_bytes;
  out.max_map_bytes = options.max_db_bytes;
  out.on_slow_operation = options.on_slow_operation;
  return out;
}

/// How often idle objects are looked for: a quarter of the idle timeout, so that an object leaves
/// memory at most a quarter late, but never more often than every millisecond.
std::chrono::milliseconds sweep_interval(std::chrono::milliseconds idle_timeout) {
  return std::max(idle_timeout / 4, std::chrono::milliseconds{1});
}

}  // namespace

runtime_core::system_config::system_config(const runtime_options& options) {
  std::size_t threads = options.scheduler_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  set("scheduler.max-threads", threads);
  // CAF's idle workers first poll with 50 µs sleeps (about 100 µs each on this kind of VM), and a
  // message from a plain thread only wakes a worker that has moved on to its condition-variable
  // sleep: blocking callers and the writer's commit reports waited out those polls. Skipping that
  // moderate phase halves a blocking round trip (~55 → ~24 µs here) and lifts the hot object's
  // throughput by about half.
  set("work-stealing.moderate-poll-attempts", std::size_t{0});
}

runtime_core::runtime_core(runtime_options opts)
    : options(std::move(opts)),
      env(environment_options_of(options)),
      alarms(alarm_dbs::open(env)),
      durable_sends(durable_send_dbs::open(env)),
      writer(env, options.commit_faults),
      config_(options),
      clock(options.clock ? options.clock : std::make_shared<system_clock>()),
      system(config_),
      sweeper(std::in_place, objects, options.idle_timeout, sweep_interval(options.idle_timeout)) {
  scheduler.emplace(
      env, alarms, *clock, [this](alarm_fire fire) { deliver_alarm(fire); }, options.alarm_window);
}

void runtime_core::start_alarms() {
  std::call_once(alarms_started_, [this] {
    scheduler->start();
    sender_waker = std::thread{[this] { wake_senders(); }};
  });
}

void runtime_core::wake_senders() {
  constexpr std::size_t page = 256;
  std::optional<object_id> after;
  while (!closing.load(std::memory_order_acquire)) {
    std::vector<object_id> senders;
    try {
      senders = senders_with_entries(env, durable_sends, after, page);
    } catch (const error&) {
      return;  // each sender delivers anyway once something activates it
    }
    for (const auto& id : senders) {
      std::optional<catalogue_entry> entry;
      {
        auto txn = env.begin_read();
        entry = find_object(txn, env.data_db(), id);
      }
      if (!entry) continue;
      try {
        caf::anon_send(resolve(id, entry->class_name, entry->name), wake_atom::value);
      } catch (const error&) {
        // Its class is not registered (or the runtime closes): it waits for a later start.
      }
    }
    if (senders.size() < page) return;
    after = senders.back();
  }
}

void runtime_core::deliver_alarm(const alarm_fire& fire) {
  // How long an alarm of an unregistered class waits before it is tried again.
  constexpr std::int64_t unknown_class_retry_ms = 60'000;
  if (closing.load(std::memory_order_acquire)) return;  // stays on disk; fires after a restart
  caf::actor actor;
  try {
    actor = resolve(fire.id, fire.class_name, fire.object_name);
  } catch (const error&) {
    if (closing.load(std::memory_order_acquire)) return;
    scheduler->delivered();
    scheduler->refresh(fire.id, fire.alarm_name, clock->now_ms() + unknown_class_retry_ms);
    return;
  }
  auto guard = std::make_shared<delivery_guard>([this, fire] { deliver_alarm(fire); });
  caf::anon_send(actor, alarm_atom::value, fire, std::move(guard));
}

caf::actor runtime_core::resolve(const object_id& id, const std::string& class_name,
                                 const std::string& name) {
  if (closing.load(std::memory_order_acquire))
    throw error{errc::shutting_down, "the runtime is shutting down"};
  return objects.find_or_spawn(id, [&] {
    auto factory = classes.find(class_name);
    if (!factory) throw error{errc::unknown_class, "no object class '" + class_name + "'"};
    object_actor_config config{
        id,
        class_name,
        name,
        std::move(*factory),
        &env,
        &writer,
        options.limits,
        options.idle_timeout,
        alarms,
        &*scheduler,
        clock.get(),
        options.alarm_retry,
        [this, id](const caf::actor_addr& addr) { objects.forget(id, addr); },
        &stats,
        options.on_event,
        std::make_shared<activity_stamp>(),
        [this](const object_address& to) { return resolve(to.id, to.class_name, to.name); },
        durable_sends,
        options.call_timeout,
    };
    auto activity = config.activity;
    return directory::live_object{system.spawn<object_actor>(std::move(config)),
                                  std::move(activity)};
  });
}

void runtime_core::stop_objects() {
  closing.store(true, std::memory_order_release);
  sweeper.reset();
  if (sender_waker.joinable()) sender_waker.join();
  scheduler->stop();
  // Asked again in rounds: an activation that raced with `closing` joins after the first round.
  constexpr std::chrono::milliseconds round{100};
  do {
    for (auto& actor : objects.all()) caf::anon_send(actor, shutdown_atom::value);
  } while (!objects.wait_until_empty(round));
}

// -- runtime ----------------------------------------------------------------------------------

runtime::runtime(runtime_options options)
    : core_(std::make_unique<runtime_core>(std::move(options))) {}

runtime::~runtime() {
  core_->stop_objects();
  core_->link->cut();  // stubs kept by the program fail from now on, never touch the core
}

void runtime::register_class(std::string class_name, object_factory factory,
                             std::vector<std::string> methods) {
  // Class names appear in URL paths and in catalogue records ("class NUL name").
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  if (class_name.empty() || class_name.size() > max_class_name_bytes ||
      !std::all_of(class_name.begin(), class_name.end(), allowed))
    throw error{errc::invalid_field,
                "a class name is 1.." + std::to_string(max_class_name_bytes) +
                    " characters of A-Z a-z 0-9 _ - .",
                "class"};
  if (!core_->classes.add(class_name, std::move(factory), std::move(methods)))
    throw error{errc::invalid_field, "class '" + class_name + "' is already registered", "class"};
}

bool runtime::has_class(std::string_view class_name) const {
  return core_->classes.find(class_name).has_value();
}

bool runtime::has_method(std::string_view class_name, std::string_view method) const {
  return core_->classes.accepts(class_name, method);
}

void runtime::start_alarms() {
  core_->start_alarms();
}

object_stub runtime::get(std::string_view class_name, std::string_view object_name) {
  core_->start_alarms();
  if (object_name.empty() || object_name.size() > max_object_name_bytes)
    throw error{errc::invalid_field,
                "an object name must be 1.." + std::to_string(max_object_name_bytes) + " bytes",
                "name"};
  if (!has_class(class_name))
    throw error{errc::unknown_class, "no object class '" + std::string{class_name} + "'"};
  return object_stub{core_->link, object_id::from_name(class_name, object_name),
                     std::string{class_name}, std::string{object_name}};
}

object_stub runtime::get(std::string_view class_name, const object_id& id) {
  core_->start_alarms();
  if (!has_class(class_name))
    throw error{errc::unknown_class, "no object class '" + std::string{class_name} + "'"};
  return object_stub{core_->link, id, std::string{class_name}, id.to_hex()};
}

void runtime::for_each_object(std::string_view class_name,
                              const std::function<bool(const std::string& name)>& fn,
                              std::size_t page_objects) const {
  std::optional<object_id> after;
  for (;;) {
    std::vector<catalogue_entry> page;
    {
      auto txn = core_->env.begin_read();
      page = read_catalogue(txn, core_->env.data_db(), after, page_objects);
    }
    for (const auto& entry : page)
      if (entry.class_name == class_name && !fn(entry.name)) return;
    if (page.size() < page_objects) return;
    after = page.back().id;
  }
}

runtime_stats runtime::stats() const {
  const auto& s = core_->stats;
  return runtime_stats{
      core_->writer.commits(),
      core_->writer.writes(),
      core_->writer.commit_ns(),
      s.active.load(std::memory_order_relaxed),
      s.activations.load(std::memory_order_relaxed),
      s.evictions.load(std::memory_order_relaxed),
      s.messages.load(std::memory_order_relaxed),
      core_->env.map_growths(),
      s.alarm_runs.load(std::memory_order_relaxed),
      s.alarm_failures.load(std::memory_order_relaxed),
      s.alarms_dropped.load(std::memory_order_relaxed),
      core_->scheduler->pending(),
      s.durable_sends.load(std::memory_order_relaxed),
      s.durable_applied.load(std::memory_order_relaxed),
      s.durable_duplicates.load(std::memory_order_relaxed),
      s.durable_retries.load(std::memory_order_relaxed),
  };
}

latency_histogram::snapshot runtime::commit_times() const {
  return core_->writer.commit_times();
}

latency_histogram::snapshot runtime::alarm_lateness() const {
  return core_->stats.alarm_lateness.read();
}

const runtime_options& runtime::options() const noexcept {
  return core_->options;
}

caf::actor_system& runtime::system() noexcept {
  return core_->system;
}

}  // namespace dort
