#include "kernel/stats.h"

#include "common/operator_error.h"
#include "kernel/pins.h"
#include "poolgate_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <sstream>

namespace poolgate {

namespace {

// A per-CPU map value for `key`, one element per possible CPU.
template <class Value>
std::vector<Value> lookup_percpu(int fd, uint32_t key, const char* map) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw OperatorError("cannot count the possible CPUs");
  std::vector<Value> values(static_cast<size_t>(cpus));
  if (bpf_map_lookup_elem(fd, &key, values.data()) != 0)
    throw OperatorError(std::string("cannot read BPF map ") + map + ": " + std::strerror(errno));
  return values;
}

PoolStats sum_pool(const std::vector<pg_pool_counters>& per_cpu) {
  PoolStats s;
  for (const pg_pool_counters& c : per_cpu) {
    s.tx_packets += c.tx_packets;
    s.tx_bytes += c.tx_bytes;
    s.connections += c.connections;
    s.leak_drops += c.leak_drops;
    s.rx_packets += c.rx_packets;
    s.rx_bytes += c.rx_bytes;
    s.inbound_syn_drops += c.inbound_syn_drops;
  }
  return s;
}

// Column names and getters, shared by the table and the JSON so they agree.
using Field = std::pair<const char*, uint64_t PoolStats::*>;
constexpr std::array<Field, 7> kPoolFields = {{
    {"tx_packets", &PoolStats::tx_packets},
    {"tx_bytes", &PoolStats::tx_bytes},
    {"connections", &PoolStats::connections},
    {"leak_drops", &PoolStats::leak_drops},
    {"rx_packets", &PoolStats::rx_packets},
    {"rx_bytes", &PoolStats::rx_bytes},
    {"inbound_syn_drops", &PoolStats::inbound_syn_drops},
}};

std::vector<std::pair<const char*, uint64_t>> global_fields(const Stats& s) {
  return {{"unmarked_smtp_drops", s.unmarked_smtp_drops},
          {"inbound_syn_drops", s.inbound_syn_drops},
          {"unknown_mark_drops", s.unknown_mark_drops}};
}

}  // namespace

StatsMaps::StatsMaps(const std::string& pin_path)
    : names_(require_pinned_map(pin_path, PG_MAP_POOL_NAMES)),
      pools_(require_pinned_map(pin_path, PG_MAP_POOL_STATS)),
      global_(require_pinned_map(pin_path, PG_MAP_GLOBAL)) {}

Stats StatsMaps::read() const {
  Stats stats;
  for (uint32_t slot = 0; slot < PG_MAX_POOLS; ++slot) {
    pg_pool_name name{};
    if (bpf_map_lookup_elem(names_.get(), &slot, &name) != 0 || name.name[0] == '\0') continue;
    PoolStats pool = sum_pool(lookup_percpu<pg_pool_counters>(pools_.get(), slot, PG_MAP_POOL_STATS));
    pool.name.assign(name.name, strnlen(name.name, sizeof name.name));
    stats.pools.push_back(std::move(pool));
  }
  for (const pg_global_counters& c : lookup_percpu<pg_global_counters>(global_.get(), 0, PG_MAP_GLOBAL)) {
    stats.unmarked_smtp_drops += c.unmarked_smtp_drops;
    stats.inbound_syn_drops += c.inbound_syn_drops;
    stats.unknown_mark_drops += c.unknown_mark_drops;
  }
  return stats;
}

Stats read_stats(const std::string& pin_path) { return StatsMaps(pin_path).read(); }

std::string format_stats_table(const Stats& stats) {
  // Width of each column: its header or its widest value.
  size_t name_width = 4;
  for (const PoolStats& p : stats.pools) name_width = std::max(name_width, p.name.size());
  std::array<size_t, kPoolFields.size()> widths{};
  for (size_t i = 0; i < kPoolFields.size(); ++i) {
    widths[i] = std::strlen(kPoolFields[i].first);
    for (const PoolStats& p : stats.pools)
      widths[i] = std::max(widths[i], std::to_string(p.*kPoolFields[i].second).size());
  }

  std::ostringstream out;
  out << std::left;
  out.width(static_cast<std::streamsize>(name_width));
  out << "pool";
  for (size_t i = 0; i < kPoolFields.size(); ++i) {
    out << "  " << std::right;
    out.width(static_cast<std::streamsize>(widths[i]));
    out << kPoolFields[i].first;
  }
  out << "\n";
  for (const PoolStats& p : stats.pools) {
    out << std::left;
    out.width(static_cast<std::streamsize>(name_width));
    out << p.name << std::right;
    for (size_t i = 0; i < kPoolFields.size(); ++i) {
      out << "  ";
      out.width(static_cast<std::streamsize>(widths[i]));
      out << p.*kPoolFields[i].second;
    }
    out << "\n";
  }
  out << "\n";
  for (const auto& [label, value] : global_fields(stats)) {
    out << std::left;
    out.width(20);
    out << label << "  " << value << "\n";
  }
  return out.str();
}

nlohmann::ordered_json stats_to_json(const Stats& stats) {
  nlohmann::ordered_json pools = nlohmann::ordered_json::array();
  for (const PoolStats& p : stats.pools) {
    nlohmann::ordered_json pool = {{"name", p.name}};
    for (const auto& [label, member] : kPoolFields) pool[label] = p.*member;
    pools.push_back(std::move(pool));
  }
  nlohmann::ordered_json out = {{"pools", std::move(pools)}};
  for (const auto& [label, value] : global_fields(stats)) out[label] = value;
  return out;
}

}  // namespace poolgate
