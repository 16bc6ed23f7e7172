#include "execution/task_services.hpp"

#include <algorithm>
#include <thread>

namespace dort {

task_services::task_services(dort::clock& c, task_services_options o)
    : clock(c),
      options(o),
      workers(o.worker_threads ? o.worker_threads
                               : std::max(1u, std::thread::hardware_concurrency())),
      timers(c) {
  if (options.builtin_handlers) add_builtin_handlers(*this);
}

}  // namespace dort
