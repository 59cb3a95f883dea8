// Whether the spool can take writes now, for the relay (452 4.3.1 at MAIL
// FROM instead of after a whole DATA), /healthz and the metrics.
#pragma once

#include <cstdint>
#include <string>

namespace poolgate {

struct SpoolHealth {
  // New client mail can be committed (the file system keeps its minimum free).
  bool accepting = true;
  // The database takes writes at all. False after RocksDB refused one (an I/O
  // error): nothing is written until Resume() succeeds, retried every second.
  bool writable = true;
  std::string reason;  // why not; empty when both hold
  uint64_t free_bytes = 0;      // at the last check
  uint64_t min_free_bytes = 0;  // the minimum new mail must leave free
  uint64_t refused_for_space = 0;  // client messages refused for space since start
};

}  // namespace poolgate
