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

// A network in client_networks: address + prefix length.
struct Network {
  boost::asio::ip::address address;
  unsigned prefix = 0;
  bool contains(const boost::asio::ip::address& candidate) const;
  std::string to_string() const;
};

// An address and port: a relay listener, a DNS server.
struct Endpoint {
  boost::asio::ip::address address;
  uint16_t port = 0;
  std::string to_string() const;  // "198.51.100.53:53", "[2001:db8::53]:53"
};
using ListenEndpoint = Endpoint;

enum class BareNewline { Reject, Normalize };

// [relay]: the inbound ESMTP service and the spool.
struct RelayConfig {
  std::string hostname = "localhost";
  std::vector<ListenEndpoint> listen;  // default 127.0.0.1:2525 and [::1]:2525
  std::vector<Network> client_networks;  // default loopback only
  std::vector<std::string> internal_domains;
  uint32_t max_message_size = 36700160;
  uint32_t max_recipients = 500;
  uint32_t max_connections = 1000;
  uint32_t max_connections_per_client = 0;  // 0 = max_connections
  std::string spool = "/var/spool/poolgate";
  std::string tls_certificate;  // empty = no STARTTLS
  std::string tls_key;
  BareNewline bare_newline = BareNewline::Reject;
  uint32_t command_timeout_s = 300;  // RFC 5321 4.5.3.2.7: at least 5 minutes
  uint32_t data_timeout_s = 180;     // RFC 5321 4.5.3.2.5/6: 3 minutes per data block
};

// [dns]: the resolver delivery uses for MX/A/AAAA (and the classifier for TXT,
// PTR), and the cache in front of it.
struct DnsConfig {
  std::vector<Endpoint> servers;  // empty = the nameservers of /etc/resolv.conf
  uint32_t timeout_ms = 3000;     // per attempt
  uint32_t attempts = 2;          // per server
  uint32_t cache_size = 10000;    // entries; 0 = no cache (lookups still coalesce)
  uint32_t max_ttl_s = 86400;     // longer TTLs are cut to this
  uint32_t negative_ttl_s = 300;  // NXDOMAIN/NODATA without a SOA to take it from
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
  RelayConfig relay;
  DnsConfig dns;
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
