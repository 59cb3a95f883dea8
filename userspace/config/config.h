// The parsed poolgate configuration (TOML). Loading checks syntax, types and
// unknown keys and records the source line of every key so that every later
// check can report `FILE:LINE: key: what is wrong`. Semantic checks live in
// config/validate.h, host checks (netlink) in routing/host_check.h.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poolgate {

inline constexpr const char* kDefaultConfigPath = "/etc/poolgate/poolgate.toml";

struct RoutingConfig {
  uint32_t fwmark_mask = 0x0fff;  // see config/poolgate.toml for why
  uint32_t rule_priority = 10000;
  std::string mirror_table = "main";  // as written
  uint32_t mirror_table_id = 254;     // resolved through rt_tables
};

enum class XdpMode { Auto, Native, Generic };

struct KernelConfig {
  std::vector<std::string> interfaces{"eth0"};
  std::string pin_path = "/sys/fs/bpf/poolgate";
  bool strict_smtp = true;
  bool block_inbound_syn = true;
  XdpMode xdp_mode = XdpMode::Auto;
};

struct PoolConfig {
  std::string name;
  uint32_t fwmark = 0;  // address i gets fwmark + i
  uint32_t table = 0;   // address i gets routing table table + i
  std::string ehlo;
  std::vector<boost::asio::ip::address> addresses;
};

struct Config {
  std::string path;  // the file it came from, for diagnostics
  RoutingConfig routing;
  KernelConfig kernel;
  std::vector<PoolConfig> pools;
  // Source line of every key, by dotted path: "routing.fwmark_mask",
  // "pool[1].addresses[0]". 0 when unknown.
  std::map<std::string, int> lines;

  int line_of(const std::string& key) const;
  const PoolConfig* find_pool(const std::string& name) const;
};

// One finding about a config file, printed as `FILE:LINE: key: message`.
struct Diagnostic {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string file;
  int line = 0;
  std::string key;
  std::string message;

  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;          // set when there were no errors
  std::vector<Diagnostic> diagnostics;   // errors and warnings
};

// Parses and type-checks the file, then runs validate() on it.
LoadResult load_config(const std::string& path);
// Same, from text (tests); `path` is only used in diagnostics.
LoadResult parse_config(const std::string& text, const std::string& path);

// Resolves a routing table name ("main", a name from /etc/iproute2/rt_tables or
// rt_tables.d/*.conf, or a number).
std::optional<uint32_t> resolve_table_name(const std::string& name);

}  // namespace poolgate
