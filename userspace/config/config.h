// The parsed poolgate configuration (TOML). Loading checks syntax, types and
// unknown keys and records the source line of every key so that every later
// check can report `FILE:LINE: key: what is wrong`. Semantic checks live in
// config/validate.h, host checks (netlink) in routing/host_check.h.
#pragma once

#include "mail/pool_names.h"
#include "mail/verdicts.h"  // LimitAction
#include "smtp/data_reader.h"  // BareNewline

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

// [relay]: the inbound ESMTP service and the spool.
struct RelayConfig {
  std::string hostname = "localhost";
  std::vector<ListenEndpoint> listen;  // default 127.0.0.1:2525 and [::1]:2525
  std::vector<Network> client_networks;  // default loopback only
  std::vector<std::string> internal_domains;
  uint32_t max_message_size = 36700160;
  uint32_t max_recipients = 500;
  uint32_t max_connections = 1000;
  // One client (an internal server gone wild) cannot take every slot; 0 = max_connections.
  uint32_t max_connections_per_client = 100;
  std::string spool = "/var/spool/poolgate";
  // New client mail is refused (452 4.3.1) when it would leave less than this
  // free on the spool's file system (Postfix: queue_minfree); 0 = only when it
  // would not fit at all.
  uint32_t spool_min_free_mb = 128;
  std::string tls_certificate;  // empty = no STARTTLS
  std::string tls_key;
  BareNewline bare_newline = BareNewline::Reject;
  uint32_t command_timeout_s = 300;  // RFC 5321 4.5.3.2.7: at least 5 minutes
  // The whole DATA phase, 354 to the final dot: 36 MB at 1 Mbit/s takes ~5 minutes.
  uint32_t data_timeout_s = 600;
  // DATA past this many bytes goes to the spool while it arrives; the first
  // ones stay in memory for the classifier (relay/message_buffer.h).
  uint32_t stream_threshold_bytes = 1024 * 1024;
  // DATA bytes all sessions together may hold in memory (relay/data_budget.h);
  // past it 452 4.3.1.
  uint32_t max_data_in_flight_bytes = 512 * 1024 * 1024;
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
  // Share of new connections per address (weighted round robin within each
  // address family); parallel to addresses, default 1 each; 0 = drained (keeps
  // its routes and rules, gets no new connections).
  std::vector<uint32_t> weights;
};

// STARTTLS towards next hops (delivery/client_options.h TlsPolicy).
enum class TlsMode { Opportunistic, Required, Off };

// [[delivery.destination]]: overrides for one recipient domain.
struct DestinationConfig {
  std::string domain;  // lower case, no trailing dot
  std::optional<TlsMode> tls;
  std::optional<uint32_t> connections;
  std::optional<double> messages_per_second;
};

// [[delivery.site]]: a receiver's mail platform, named by the host names of
// its MX servers (Google, Microsoft 365...). Every recipient domain whose MX
// hosts match is delivered as one site: connection and rate limits apply per
// (source address, site), and a block reply rests a source address for the
// whole site, not for one domain of it.
struct SiteConfig {
  std::string name;              // lower-case letters, digits, '-', '.', '_'
  std::vector<std::string> mx;   // "mx.example.net" or "*.google.com" (any depth below)
  std::optional<uint32_t> connections;         // per source address; default connections_per_destination
  std::optional<double> messages_per_second;   // per source address; default messages_per_second
};

// [delivery]: the outbound side. Times are seconds.
struct DeliveryConfig {
  // Waits between attempts: after the first failed attempt the first entry,
  // and so on; the last one repeats (5m, 10m, 20m, 40m, then hourly).
  std::vector<uint32_t> retry_intervals_s{300, 600, 1200, 2400, 3600};
  uint32_t max_lifetime_s = 5 * 86400;  // RFC 5321 4.5.4.1: give up and bounce after this
  uint32_t delay_warning_s = 4 * 3600;  // "delayed" DSN once (NOTIFY=DELAY or default); 0 = never
  uint32_t connections_per_destination = 20;  // per (pool, domain)
  double messages_per_second = 0;             // per (pool, domain); 0 = no limit
  uint32_t max_messages_per_connection = 100;  // then QUIT and reconnect
  // A connection with nothing left to send waits this long for new mail to
  // the same destination before QUIT (Postfix's connection cache: 2 s).
  uint32_t connection_idle_ms = 2000;
  uint32_t max_concurrent_connections = 500;   // in total
  TlsMode tls = TlsMode::Opportunistic;
  bool bind_source = false;       // also bind() to the pool address
  uint16_t port = 25;             // where next hops listen (tests, labs)
  uint32_t connect_timeout_s = 30;
  uint32_t command_timeout_s = 300;  // each reply (RFC 5321 4.5.3.2: >= 5 min)
  uint32_t data_timeout_s = 600;     // reply to the final dot (4.5.3.2.6)
  uint32_t dsn_max_returned_bytes = 50000;  // RET=FULL beyond this returns headers only
  std::vector<DestinationConfig> destinations;
  std::vector<SiteConfig> sites;  // first match wins (reputation/sites.h)
  // The override for exactly this recipient domain (any case, final dot
  // ignored; no parent-domain matching), or null.
  const DestinationConfig* find_destination(const std::string& domain) const;
};

// [classify]: until classification exists, the pool for ordinary mail.
struct ClassifyConfig {
  std::string default_pool{kNormalPool};
  bool add_header = false;           // X-Poolgate-Classification: trace header on each message
  bool auto_replies_are_ndr = true;  // RFC 3834 Auto-Submitted: auto-replied counts as backscatter
  bool check_from_domain = true;     // the From: header's domain too, not only the envelope sender's
  bool check_aaaa = false;           // an AAAA record also counts as "has an address" (the rule says A)
  uint32_t dns_unknown_after_s = 1800;  // sender domain still unresolvable after this: high-risk
};

// [limits]: the outbound spam policy, per sender (authenticated user, else the
// envelope sender address). 0 = no limit.
struct LimitsConfig {
  uint32_t external_recipients_per_hour = 500;  // recipients outside relay.internal_domains
  uint32_t internal_recipients_per_hour = 1000;
  uint32_t recipients_per_day = 1000;
  uint32_t messages_per_minute = 30;
  uint32_t recipients_per_message = 500;
  LimitAction action = LimitAction::HighRisk;
  // NDR surge detection: NDRs per sender domain and in total over a window,
  // against a moving baseline.
  uint32_t surge_window_s = 300;
  double surge_factor = 5.0;       // this many times the baseline rate...
  uint32_t surge_min_count = 20;   // ...and at least this many NDRs in the window
};

// [spam]: the scanner asked for every accepted message.
enum class ScannerKind { None, Spamd, Rspamd, Header };
enum class ScannerFailure { TempFail, Normal, HighRisk };
struct SpamConfig {
  ScannerKind scanner = ScannerKind::None;
  Endpoint address{boost::asio::ip::make_address("127.0.0.1"), 783};  // spamd 783, rspamd 11333
  uint32_t timeout_ms = 10000;
  ScannerFailure on_scanner_failure = ScannerFailure::TempFail;
  uint32_t max_scan_bytes = 512 * 1024;  // larger messages are scanned up to this (like spamc -s)
};

// [admin]: the HTTP API (Prometheus /metrics, JSON views) for operators and
// for the CLI while the daemon runs. Loopback by default: it has no
// authentication, so whoever can reach it can read the queue.
struct AdminConfig {
  std::optional<Endpoint> listen =
      Endpoint{boost::asio::ip::make_address("127.0.0.1"), 8025};  // nullopt: "" = off
};

// [daemon]: what `poolgate run` does around the mail path.
struct DaemonConfig {
  // After kernel setup and binding the listeners, switch to this user (and its
  // group), keeping only CAP_NET_ADMIN (SO_MARK, route repair). "" = stay.
  std::string user;
  // `routes apply` + `bpf attach` at start, then keep them: a netlink watch
  // restores deleted rules/routes and follows the mirror table's default
  // route. `poolgate run --no-kernel-setup` turns it off for hosts where a
  // separate privileged step owns routes and BPF.
  bool kernel_setup = true;
  // Besides netlink events, compare the installed routing with the plan this
  // often (seconds; 0 = events only).
  uint32_t route_check_s = 30;
};

// [reputation]: how next hops' replies are read (reputation/reply_rules.h).
struct ReputationConfig {
  // Operators' reply-class rules files, consulted in order before the shipped
  // defaults (config/reply-classes.toml); absolute paths.
  std::vector<std::string> reply_rules;
  // A reputation-block reply rests the source address at that site this long,
  // doubling on each repeat within a day, up to block_suspend_max_s.
  uint32_t block_suspend_s = 3600;
  uint32_t block_suspend_max_s = 86400;
  // A pair backing off after a rate-limit reply grows back one step after each
  // such quiet period without another.
  uint32_t rate_limit_quiet_s = 300;
};

struct Config {
  std::string path;  // the file it came from, for diagnostics
  RoutingConfig routing;
  KernelConfig kernel;
  std::vector<PoolConfig> pools;
  RelayConfig relay;
  DnsConfig dns;
  DeliveryConfig delivery;
  ClassifyConfig classify;
  LimitsConfig limits;
  SpamConfig spam;
  AdminConfig admin;
  DaemonConfig daemon;
  ReputationConfig reputation;
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
  // The file as read when it parsed but had errors (defaults where a key was
  // wrong): check-config still checks it against the host, so one run reports
  // everything. Never to be used to run anything.
  std::optional<Config> with_errors;
};

// Parses and type-checks the file, then runs validate() on it (also after type
// errors, so every error is reported at once).
LoadResult load_config(const std::string& path);
// Same, from text (tests); `path` is only used in diagnostics.
LoadResult parse_config(const std::string& text, const std::string& path);

// Resolves a routing table name ("main", a name from /etc/iproute2/rt_tables or
// rt_tables.d/*.conf, or a number).
std::optional<uint32_t> resolve_table_name(const std::string& name);

}  // namespace poolgate
