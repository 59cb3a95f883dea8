#include "kernel/map_sync.h"

#include "common/operator_error.h"
#include "pools/address_plan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace poolgate {

namespace {

void update(int fd, const void* key, const void* value, const char* map) {
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0) {
    throw OperatorError(std::string("cannot write BPF map ") + map + ": " + std::strerror(errno));
  }
}

// Deletes every key of a hash map for which keep(key) is false.
template <class Key, class Keep>
void delete_stale(int fd, Keep keep) {
  std::vector<Key> stale;
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (!keep(next)) stale.push_back(next);
    key = next;
    prev = &key;
  }
  for (const Key& k : stale) bpf_map_delete_elem(fd, &k);
}

bool same_addr(const pg_addr& a, const pg_addr& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Writes a zero value for every CPU under `key` of a per-CPU map. With
// BPF_NOEXIST an existing entry keeps its counts.
template <class Counters, class Key>
void zero_counters(int fd, const Key& key, const char* map, uint64_t flags = BPF_ANY) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw OperatorError("cannot count the possible CPUs");
  std::vector<Counters> zeros(static_cast<size_t>(cpus));
  if (bpf_map_update_elem(fd, &key, zeros.data(), flags) != 0 &&
      !(flags == BPF_NOEXIST && errno == EEXIST))
    throw OperatorError(std::string("cannot write BPF map ") + map + ": " + std::strerror(errno));
}

// Returns the slots whose name changed (their counters are zeroed).
std::array<bool, PG_MAX_POOLS> sync_pool_names(const MapFds& maps, const Config& config) {
  std::array<bool, PG_MAX_POOLS> renamed{};
  for (uint32_t slot = 0; slot < PG_MAX_POOLS; ++slot) {
    pg_pool_name wanted{}, current{};
    if (slot < config.pools.size()) {
      const std::string& name = config.pools[slot].name;
      std::memcpy(wanted.name, name.data(), name.size());
    }
    if (bpf_map_lookup_elem(maps.pool_names, &slot, &current) == 0 &&
        std::memcmp(&wanted, &current, sizeof wanted) == 0)
      continue;
    zero_counters<pg_pool_counters>(maps.pool_stats, slot, PG_MAP_POOL_STATS);
    update(maps.pool_names, &slot, &wanted, PG_MAP_POOL_NAMES);
    renamed[slot] = true;
  }
  return renamed;
}

// Before pg1_addrs gets the address's new pool: a counter set belongs to one
// (address, pool name) pair, so traffic sent for one pool is never shown
// under another.
void sync_addr_counters(const MapFds& maps, const pg_addr& address, uint32_t pool_id,
                        const std::array<bool, PG_MAX_POOLS>& renamed) {
  pg_addr_entry previous{};
  const bool same_pool = bpf_map_lookup_elem(maps.addrs, &address, &previous) == 0 &&
                         previous.pool_id == pool_id && !renamed[pool_id];
  zero_counters<pg_addr_counters>(maps.addr_stats, address, PG_MAP_ADDR_STATS,
                                  same_pool ? BPF_NOEXIST : BPF_ANY);
}

std::string hex(uint32_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// pg1_marks is keyed by mark & mask: a mark with bits outside the mask would
// share its key with another address, and that address's traffic would be
// dropped as a leak. check-config rejects such a config; never load one.
void check_marks(const Config& config, const std::vector<PoolAddress>& plan) {
  const uint32_t mask = config.routing.fwmark_mask;
  for (const PoolAddress& entry : plan) {
    if (entry.fwmark == 0 || (entry.fwmark & ~mask) != 0)
      throw OperatorError("fwmark " + hex(entry.fwmark) + " of pool " + entry.pool_name +
                          " address " + entry.address.to_string() +
                          " is not inside routing.fwmark_mask " + hex(mask) +
                          "; run `poolgate check-config`");
  }
}

void check_limits(const Config& config, size_t addresses) {
  if (config.pools.size() > PG_MAX_POOLS)
    throw OperatorError("too many pools: " + std::to_string(config.pools.size()) +
                        " (the data plane holds " + std::to_string(PG_MAX_POOLS) + ")");
  if (addresses > PG_MAX_ADDRESSES)
    throw OperatorError("too many pool addresses: " + std::to_string(addresses) +
                        " (the data plane holds " + std::to_string(PG_MAX_ADDRESSES) + ")");
  for (const PoolConfig& pool : config.pools) {
    if (pool.name.size() >= PG_POOL_NAME_LEN)
      throw OperatorError("pool name \"" + pool.name + "\" is longer than " +
                          std::to_string(PG_POOL_NAME_LEN - 1) + " characters");
  }
}

}  // namespace

pg_addr to_pg_addr(const boost::asio::ip::address& address) {
  pg_addr out{};
  if (address.is_v4()) {
    out.family = PG_FAMILY_IPV4;
    auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.addr);
  } else {
    out.family = PG_FAMILY_IPV6;
    auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.addr);
  }
  return out;
}

void sync_maps(const MapFds& maps, const Config& config) {
  const std::vector<PoolAddress> plan = plan_addresses(config);
  check_limits(config, plan.size());
  check_marks(config, plan);
  const std::array<bool, PG_MAX_POOLS> renamed = sync_pool_names(maps, config);

  const uint32_t mask = config.routing.fwmark_mask;
  std::vector<uint32_t> marks;
  std::vector<pg_addr> addrs;
  for (const PoolAddress& entry : plan) {
    const uint32_t key = entry.fwmark & mask;
    const pg_mark_entry mark{entry.pool_id, to_pg_addr(entry.address)};
    update(maps.marks, &key, &mark, PG_MAP_MARKS);
    sync_addr_counters(maps, mark.source, entry.pool_id, renamed);
    const pg_addr_entry owner{entry.pool_id};
    update(maps.addrs, &mark.source, &owner, PG_MAP_ADDRS);
    marks.push_back(key);
    addrs.push_back(mark.source);
  }

  pg_settings settings{};
  settings.fwmark_mask = mask;
  if (config.kernel.strict_smtp) settings.flags |= PG_SETTING_STRICT_SMTP;
  if (config.kernel.block_inbound_syn) settings.flags |= PG_SETTING_BLOCK_INBOUND_SYN;
  const uint32_t zero = 0;
  update(maps.settings, &zero, &settings, PG_MAP_SETTINGS);

  delete_stale<uint32_t>(maps.marks, [&](uint32_t key) {
    return std::find(marks.begin(), marks.end(), key) != marks.end();
  });
  auto configured = [&](const pg_addr& key) {
    return std::any_of(addrs.begin(), addrs.end(),
                       [&](const pg_addr& a) { return same_addr(a, key); });
  };
  delete_stale<pg_addr>(maps.addrs, configured);
  delete_stale<pg_addr>(maps.addr_stats, configured);
}

}  // namespace poolgate
