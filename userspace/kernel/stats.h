// `poolgate stats`: the data plane's counters, read from the pins alone (no
// config needed), per pool, per pool address and global, as a table or as JSON.
#pragma once

#include "kernel/unique_fd.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace poolgate {

// One pool's or one address's counters (pg_pool_counters, pg_addr_counters),
// summed over the CPUs.
struct TrafficCounters {
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t connections = 0;
  uint64_t leak_drops = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t inbound_syn_drops = 0;
};

struct PoolStats : TrafficCounters {
  std::string name;
};

struct AddressStats : TrafficCounters {
  std::string address;  // as `ip addr` writes it
  std::string pool;     // its pool's name
};

struct Stats {
  std::vector<PoolStats> pools;  // pool id order, configured slots only
  // Pool id order, then IPv4 before IPv6, then by address. Empty when the pins
  // come from a poolgate before pg1_addr_stats (the next `bpf attach` adds it).
  std::vector<AddressStats> addresses;
  uint64_t unmarked_smtp_drops = 0;
  uint64_t inbound_syn_drops = 0;
  uint64_t unknown_mark_drops = 0;
};

// The maps read_stats() reads, opened once: the daemon opens them before
// it drops privileges (the pins are root's; open fds stay usable) and reads
// them for every /metrics scrape. A re-attach reuses the pins' maps, so the
// fds stay current.
class StatsMaps {
 public:
  // Throws OperatorError like read_stats().
  explicit StatsMaps(const std::string& pin_path);
  Stats read() const;

 private:
  std::vector<AddressStats> read_addresses(const std::vector<std::string>& pool_names) const;

  UniqueFd names_, pools_, global_, addrs_;
  UniqueFd addr_stats_;  // invalid when not pinned (see Stats::addresses)
};

// Sums the per-CPU counters under pin_path. Throws OperatorError ("no poolgate
// data plane pinned at P; run `poolgate bpf attach`") when the pins are missing.
Stats read_stats(const std::string& pin_path);

// One row per pool, one per address, then the global drop counters.
std::string format_stats_table(const Stats& stats);

// {"pools":[{"name":..., "tx_packets":..., ...}],
//  "addresses":[{"address":..., "pool":..., "tx_packets":..., ...}],
//  "unmarked_smtp_drops":N, "inbound_syn_drops":N, "unknown_mark_drops":N}
nlohmann::ordered_json stats_to_json(const Stats& stats);

}  // namespace poolgate
