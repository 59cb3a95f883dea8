// `poolgate stats`: the data plane's counters, read from the pins alone (no
// config needed), per pool and global, as a table or as JSON.
#pragma once

#include "kernel/unique_fd.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace poolgate {

struct PoolStats {
  std::string name;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t connections = 0;
  uint64_t leak_drops = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t inbound_syn_drops = 0;
};

struct Stats {
  std::vector<PoolStats> pools;  // pool id order, configured slots only
  uint64_t unmarked_smtp_drops = 0;
  uint64_t inbound_syn_drops = 0;
  uint64_t unknown_mark_drops = 0;
};

// The three maps read_stats() reads, opened once: the daemon opens them before
// it drops privileges (the pins are root's; open fds stay usable) and reads
// them for every /metrics scrape. A re-attach reuses the pins' maps, so the
// fds stay current.
class StatsMaps {
 public:
  // Throws OperatorError like read_stats().
  explicit StatsMaps(const std::string& pin_path);
  Stats read() const;

 private:
  UniqueFd names_, pools_, global_;
};

// Sums the per-CPU counters under pin_path. Throws OperatorError ("no poolgate
// data plane pinned at P; run `poolgate bpf attach`") when the pins are missing.
Stats read_stats(const std::string& pin_path);

// One row per pool, then the global drop counters.
std::string format_stats_table(const Stats& stats);

// {"pools":[{"name":..., "tx_packets":..., ...}], "unmarked_smtp_drops":N,
//  "inbound_syn_drops":N, "unknown_mark_drops":N}
nlohmann::ordered_json stats_to_json(const Stats& stats);

}  // namespace poolgate
