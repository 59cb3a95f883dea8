#include "pools/address_plan.h"

namespace poolgate {

std::vector<PoolAddress> plan_addresses(const Config& config) {
  std::vector<PoolAddress> plan;
  uint32_t slot = 0;
  for (uint32_t pool_id = 0; pool_id < config.pools.size(); ++pool_id) {
    const PoolConfig& pool = config.pools[pool_id];
    for (uint32_t i = 0; i < pool.addresses.size(); ++i, ++slot) {
      PoolAddress entry;
      entry.pool_id = pool_id;
      entry.pool_name = pool.name;
      entry.index = i;
      entry.address = pool.addresses[i];
      entry.fwmark = pool.fwmark + i;
      entry.table = pool.table + i;
      entry.lookup_priority = config.routing.rule_priority + 2 * slot;
      entry.unreachable_priority = entry.lookup_priority + 1;
      plan.push_back(entry);
    }
  }
  return plan;
}

PriorityRange rule_priority_range(const Config& config) {
  size_t count = 0;
  for (const PoolConfig& pool : config.pools) count += pool.addresses.size();
  PriorityRange range;
  range.first = config.routing.rule_priority;
  range.last = count == 0 ? range.first : range.first + 2 * static_cast<uint32_t>(count) - 1;
  return range;
}

}  // namespace poolgate
