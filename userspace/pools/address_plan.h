// Expands the configured pools into one entry per pool address, with the fwmark,
// routing table and rule priorities that address owns. Routing, BPF maps and the
// delivery engine all read this one plan, so the numbering lives in one place.
#pragma once

#include "config/config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace poolgate {

struct PoolAddress {
  uint32_t pool_id = 0;     // index of the pool in Config::pools (BPF pool id)
  std::string pool_name;
  uint32_t index = 0;       // index of the address inside its pool
  boost::asio::ip::address address;
  uint32_t fwmark = 0;      // pool.fwmark + index
  uint32_t table = 0;       // pool.table + index
  // Rule priorities: `fwmark M/mask lookup T` at lookup_priority, then
  // `fwmark M/mask unreachable` at unreachable_priority, so that marked traffic
  // never falls through to later rules (main table) if table T is emptied.
  uint32_t lookup_priority = 0;
  uint32_t unreachable_priority = 0;
};

// Every pool address in config order; rule priorities form the contiguous block
// [rule_priority, rule_priority + 2 * count).
std::vector<PoolAddress> plan_addresses(const Config& config);

// The block of rule priorities the plan uses: [first, last].
struct PriorityRange {
  uint32_t first = 0;
  uint32_t last = 0;
};
PriorityRange rule_priority_range(const Config& config);

}  // namespace poolgate
