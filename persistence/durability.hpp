// How far a reply's writes are durable when it is released: the one choice of the environment
// that a program makes (runtime_options), in a header of its own so that choosing it does not
// pull in LMDB's API (environment.hpp).
#pragma once

namespace dort {

/// How far a reply's writes are durable when it is released.
enum class durability {
  strict,   ///< On disk: survives a crash of the machine (fdatasync per group commit).
  relaxed,  ///< In the OS page cache: survives a crash of the process, not of the machine.
};

}  // namespace dort
