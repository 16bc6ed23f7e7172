// Task ids generated when the client gives none: random UUIDs of version 4 (RFC 9562), from one
// random engine per thread.
#pragma once

#include <random>
#include <string>

namespace dort {

/// Returns this thread's random engine, seeded once (std::random_device is slow on VMs).
std::mt19937_64& task_random_engine();

/// Returns a new random UUID v4 in its 36-character text form.
std::string new_task_uuid();

}  // namespace dort
