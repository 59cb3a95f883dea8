#include "kernel/stats.h"

#include "common/operator_error.h"
#include "kernel/pins.h"
#include "poolgate_maps.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <tuple>

namespace poolgate {

namespace {

// A per-CPU map value for `key`, one element per possible CPU; nullopt when
// the key is not there (a hash entry deleted since get_next_key saw it).
template <class Value, class Key>
std::optional<std::vector<Value>> find_percpu(int fd, const Key& key, const char* map) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw OperatorError("cannot count the possible CPUs");
  std::vector<Value> values(static_cast<size_t>(cpus));
  if (bpf_map_lookup_elem(fd, &key, values.data()) == 0) return values;
  if (errno == ENOENT) return std::nullopt;
  throw OperatorError(std::string("cannot read BPF map ") + map + ": " + std::strerror(errno));
}

template <class Value>
std::vector<Value> lookup_percpu(int fd, uint32_t key, const char* map) {
  std::optional<std::vector<Value>> values = find_percpu<Value>(fd, key, map);
  if (!values)
    throw OperatorError(std::string("cannot read BPF map ") + map + ": " + std::strerror(ENOENT));
  return *values;
}

// pg_pool_counters and pg_addr_counters have the same fields.
template <class Counters>
void add_cpus(TrafficCounters& sum, const std::vector<Counters>& per_cpu) {
  for (const Counters& c : per_cpu) {
    sum.tx_packets += c.tx_packets;
    sum.tx_bytes += c.tx_bytes;
    sum.connections += c.connections;
    sum.leak_drops += c.leak_drops;
    sum.rx_packets += c.rx_packets;
    sum.rx_bytes += c.rx_bytes;
    sum.inbound_syn_drops += c.inbound_syn_drops;
  }
}

std::string address_text(const pg_addr& key) {
  char text[INET6_ADDRSTRLEN] = "";
  const int family = key.family == PG_FAMILY_IPV4 ? AF_INET : AF_INET6;
  if (!inet_ntop(family, key.addr, text, sizeof text)) return "?";
  return text;
}

// Column names and getters, shared by the tables and the JSON so they agree.
using Field = std::pair<const char*, uint64_t TrafficCounters::*>;
constexpr std::array<Field, 7> kCounterFields = {{
    {"tx_packets", &TrafficCounters::tx_packets},
    {"tx_bytes", &TrafficCounters::tx_bytes},
    {"connections", &TrafficCounters::connections},
    {"leak_drops", &TrafficCounters::leak_drops},
    {"rx_packets", &TrafficCounters::rx_packets},
    {"rx_bytes", &TrafficCounters::rx_bytes},
    {"inbound_syn_drops", &TrafficCounters::inbound_syn_drops},
}};

std::vector<std::pair<const char*, uint64_t>> global_fields(const Stats& s) {
  return {{"unmarked_smtp_drops", s.unmarked_smtp_drops},
          {"inbound_syn_drops", s.inbound_syn_drops},
          {"unknown_mark_drops", s.unknown_mark_drops}};
}

// One table row: the label cells, then each counter.
std::vector<std::string> row(std::vector<std::string> labels, const TrafficCounters& c) {
  for (const auto& [_, member] : kCounterFields) labels.push_back(std::to_string(c.*member));
  return labels;
}

// Each column as wide as its header or widest cell; the first `labels`
// columns left-aligned, the counters right-aligned.
void write_table(std::ostringstream& out, std::vector<std::string> header,
                 const std::vector<std::vector<std::string>>& rows) {
  const size_t labels = header.size();
  for (const auto& [name, _] : kCounterFields) header.emplace_back(name);
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    widths[i] = header[i].size();
    for (const auto& r : rows) widths[i] = std::max(widths[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out << "  ";
      out << (i < labels ? std::left : std::right);
      out.width(static_cast<std::streamsize>(widths[i]));
      out << cells[i];
    }
    out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

nlohmann::ordered_json counters_json(nlohmann::ordered_json labels, const TrafficCounters& c) {
  for (const auto& [name, member] : kCounterFields) labels[name] = c.*member;
  return labels;
}

}  // namespace

StatsMaps::StatsMaps(const std::string& pin_path)
    : names_(require_pinned_map(pin_path, PG_MAP_POOL_NAMES)),
      pools_(require_pinned_map(pin_path, PG_MAP_POOL_STATS)),
      global_(require_pinned_map(pin_path, PG_MAP_GLOBAL)),
      addrs_(require_pinned_map(pin_path, PG_MAP_ADDRS)),
      addr_stats_(open_pinned_map(pin_path, PG_MAP_ADDR_STATS)) {}

Stats StatsMaps::read() const {
  Stats stats;
  std::vector<std::string> names(PG_MAX_POOLS);
  for (uint32_t slot = 0; slot < PG_MAX_POOLS; ++slot) {
    pg_pool_name name{};
    if (bpf_map_lookup_elem(names_.get(), &slot, &name) != 0 || name.name[0] == '\0') continue;
    names[slot].assign(name.name, strnlen(name.name, sizeof name.name));
    PoolStats pool;
    add_cpus(pool, lookup_percpu<pg_pool_counters>(pools_.get(), slot, PG_MAP_POOL_STATS));
    pool.name = names[slot];
    stats.pools.push_back(std::move(pool));
  }
  stats.addresses = read_addresses(names);
  for (const pg_global_counters& c :
       lookup_percpu<pg_global_counters>(global_.get(), 0, PG_MAP_GLOBAL)) {
    stats.unmarked_smtp_drops += c.unmarked_smtp_drops;
    stats.inbound_syn_drops += c.inbound_syn_drops;
    stats.unknown_mark_drops += c.unknown_mark_drops;
  }
  return stats;
}

std::vector<AddressStats> StatsMaps::read_addresses(const std::vector<std::string>& names) const {
  if (!addr_stats_.valid()) return {};
  struct Entry {
    uint32_t pool_id;
    pg_addr key;
    AddressStats stats;
  };
  std::vector<Entry> entries;
  pg_addr key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(addr_stats_.get(), prev, &next) == 0) {
    key = next;
    prev = &key;
    auto per_cpu = find_percpu<pg_addr_counters>(addr_stats_.get(), key, PG_MAP_ADDR_STATS);
    if (!per_cpu) continue;  // a concurrent sync removed the address
    Entry entry{PG_MAX_POOLS, key, {}};
    add_cpus(entry.stats, *per_cpu);
    entry.stats.address = address_text(key);
    // pg1_addrs says which pool; the sync writes both maps from one plan.
    pg_addr_entry owner{};
    if (bpf_map_lookup_elem(addrs_.get(), &key, &owner) == 0 && owner.pool_id < PG_MAX_POOLS) {
      entry.pool_id = owner.pool_id;
      entry.stats.pool = names[owner.pool_id];
    }
    entries.push_back(std::move(entry));
  }
  auto order = [](const Entry& e) {
    return std::tuple(e.pool_id, e.key.family, std::to_array(e.key.addr));
  };
  std::sort(entries.begin(), entries.end(),
            [&](const Entry& a, const Entry& b) { return order(a) < order(b); });
  std::vector<AddressStats> out;
  for (Entry& e : entries) out.push_back(std::move(e.stats));
  return out;
}

Stats read_stats(const std::string& pin_path) { return StatsMaps(pin_path).read(); }

std::string format_stats_table(const Stats& stats) {
  std::ostringstream out;
  std::vector<std::vector<std::string>> rows;
  for (const PoolStats& p : stats.pools) rows.push_back(row({p.name}, p));
  write_table(out, {"pool"}, rows);
  if (!stats.addresses.empty()) {
    rows.clear();
    for (const AddressStats& a : stats.addresses) rows.push_back(row({a.address, a.pool}, a));
    out << "\n";
    write_table(out, {"address", "pool"}, rows);
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
  for (const PoolStats& p : stats.pools) pools.push_back(counters_json({{"name", p.name}}, p));
  nlohmann::ordered_json addresses = nlohmann::ordered_json::array();
  for (const AddressStats& a : stats.addresses)
    addresses.push_back(counters_json({{"address", a.address}, {"pool", a.pool}}, a));
  nlohmann::ordered_json out = {{"pools", std::move(pools)}, {"addresses", std::move(addresses)}};
  for (const auto& [label, value] : global_fields(stats)) out[label] = value;
  return out;
}

}  // namespace poolgate
