#include "execution/task_handler.hpp"

#include "execution/worker_pool.hpp"

namespace dort {

void task_handlers::add(std::string name, task_handler handler, input_check check) {
  entries_.insert_or_assign(std::move(name), entry{std::move(handler), std::move(check)});
}

void task_handlers::add_blocking(std::string name, blocking_task_handler handler,
                                 worker_pool& pool, input_check check) {
  auto run = [handler = std::move(handler), &pool](std::shared_ptr<task_attempt> attempt) {
    pool.post([handler, attempt] {
      try {
        attempt->complete(handler(*attempt));
      } catch (const workflow_abort& e) {
        attempt->abort_workflow(e.what());
      } catch (const permanent_error& e) {
        attempt->fail(e.what(), true);
      } catch (const std::exception& e) {
        attempt->fail(e.what());
      } catch (...) {
        attempt->fail("the handler threw");
      }
    });
  };
  add(std::move(name), std::move(run), std::move(check));
}

void task_handlers::add_prepare(std::string name, prepare_hook hook) {
  prepares_.insert_or_assign(std::move(name), std::move(hook));
}

const prepare_hook* task_handlers::find_prepare(std::string_view name) const {
  auto it = prepares_.find(name);
  return it == prepares_.end() ? nullptr : &it->second;
}

const task_handlers::entry* task_handlers::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace dort
