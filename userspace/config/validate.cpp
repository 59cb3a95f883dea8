#include "config/validate.h"

#include "config/admin_section.h"
#include "config/classify_section.h"
#include "config/limits_section.h"
#include "config/reporter.h"
#include "config/reputation_section.h"
#include "config/spam_section.h"
#include "config/validate_delivery.h"
#include "mail/domain_name.h"

#include "poolgate_maps.h"

#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>

namespace poolgate {
namespace {

std::string pool_key(size_t index, const char* field) {
  return fmt::format("pool[{}].{}", index, field);
}

void check_routing(Config& config, Reporter& report) {
  const RoutingConfig& routing = config.routing;
  if (routing.fwmark_mask == 0)
    report.error("routing.fwmark_mask", "must not be 0: poolgate needs at least one mark bit");
  // The kernel's default rules sit at 32766 (main) and 32767 (default); poolgate's
  // block must end before them or marked traffic would reach main first.
  uint32_t count = 0;
  for (const PoolConfig& pool : config.pools) count += pool.addresses.size();
  if (routing.rule_priority == 0 || routing.rule_priority + 2 * count > 32766)
    report.error("routing.rule_priority",
                 fmt::format("the block {}..{} must lie within 1..32765, before the main "
                             "table's rule at 32766",
                             routing.rule_priority, routing.rule_priority + 2 * count - 1));
  if (auto id = resolve_table_name(routing.mirror_table))
    config.routing.mirror_table_id = *id;
  else
    report.error("routing.mirror_table",
                 "'" + routing.mirror_table +
                     "' is neither a number nor a table name in /etc/iproute2/rt_tables");
}

void check_kernel(const Config& config, Reporter& report) {
  if (config.kernel.interfaces.empty())
    report.error("kernel.interfaces", "must name at least one uplink interface");
  if (config.kernel.interfaces.size() > PG_MAX_IFACES)
    report.error("kernel.interfaces", fmt::format("at most {} interfaces", PG_MAX_IFACES));
  for (const std::string& name : config.kernel.interfaces)
    if (name.empty() || name.size() >= 16 || name.find_first_of("/ ") != std::string::npos)
      report.error("kernel.interfaces", "'" + name + "' is not a valid interface name");
  if (config.kernel.pin_path.empty() || config.kernel.pin_path[0] != '/')
    report.error("kernel.pin_path", "must be an absolute path on bpffs, e.g. /sys/fs/bpf/poolgate");
}

void check_pool_fields(const Config& config, Reporter& report) {
  static const std::regex name_pattern("[a-z0-9][a-z0-9_-]*");
  static const std::regex hostname_pattern(
      "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  std::set<std::string> names;
  for (size_t i = 0; i < config.pools.size(); ++i) {
    const PoolConfig& pool = config.pools[i];
    if (!std::regex_match(pool.name, name_pattern) || pool.name.size() >= PG_POOL_NAME_LEN)
      report.error(pool_key(i, "name"),
                   fmt::format("'{}' must be lower-case letters, digits, '-' or '_', at most {} "
                               "characters", pool.name, PG_POOL_NAME_LEN - 1));
    if (!names.insert(pool.name).second)
      report.error(pool_key(i, "name"), "pool '" + pool.name + "' is defined twice");
    if (!pool.ehlo.empty() && !std::regex_match(pool.ehlo, hostname_pattern))
      report.error(pool_key(i, "ehlo"), "'" + pool.ehlo + "' is not a host name");
    if (pool.addresses.empty())
      report.error(pool_key(i, "addresses"), "a pool needs at least one source address");
  }
  for (std::string_view required : {kNormalPool, kHighRiskPool})
    if (!names.count(std::string(required)))
      report.error("pool", fmt::format("no pool named \"{}\"; poolgate needs both \"{}\" and "
                                       "\"{}\"", required, kNormalPool, kHighRiskPool));
  if (config.pools.size() > PG_MAX_POOLS)
    report.error("pool", fmt::format("at most {} pools", PG_MAX_POOLS));
}

// weights are parallel to addresses. A weight of 0 drains an address (it keeps
// its mark, table and rules); a family with every address drained is legal, an
// operator may do it on purpose, but mail to next hops of that family then waits.
void check_pool_weights(const Config& config, Reporter& report) {
  for (size_t i = 0; i < config.pools.size(); ++i) {
    const PoolConfig& pool = config.pools[i];
    if (pool.weights.size() != pool.addresses.size()) {
      report.error(pool_key(i, "weights"),
                   fmt::format("{} weights for {} addresses (addresses at line {}); give one "
                               "weight per address, in the same order",
                               pool.weights.size(), pool.addresses.size(),
                               report.line(pool_key(i, "addresses"))));
      continue;
    }
    bool has[2] = {false, false}, sends[2] = {false, false};  // [0] IPv4, [1] IPv6
    for (size_t a = 0; a < pool.addresses.size(); ++a) {
      int family = pool.addresses[a].is_v4() ? 0 : 1;
      has[family] = true;
      sends[family] |= pool.weights[a] > 0;
    }
    if (!sends[0] && !sends[1] && !pool.addresses.empty()) {
      report.warning(pool_key(i, "weights"),
                     fmt::format("pool '{}' has no address with weight > 0: all its mail will be "
                                 "deferred", pool.name));
      continue;
    }
    for (int family : {0, 1})
      if (has[family] && !sends[family])
        report.warning(pool_key(i, "weights"),
                       fmt::format("pool '{0}' has no {1} address with weight > 0: {1} "
                                   "destinations will be deferred",
                                   pool.name, family == 0 ? "IPv4" : "IPv6"));
  }
}

void check_addresses(const Config& config, Reporter& report) {
  std::map<boost::asio::ip::address, std::string> owner;  // address -> pool name
  size_t total = 0;
  for (size_t i = 0; i < config.pools.size(); ++i) {
    const PoolConfig& pool = config.pools[i];
    for (size_t a = 0; a < pool.addresses.size(); ++a, ++total) {
      const auto& address = pool.addresses[a];
      std::string key = fmt::format("pool[{}].addresses[{}]", i, a);
      if (address.is_unspecified() || address.is_loopback() || address.is_multicast())
        report.error(key, address.to_string() + " cannot be a source address for mail");
      auto [it, inserted] = owner.emplace(address, pool.name);
      if (!inserted)
        report.error(key, fmt::format("{} is already an address of pool '{}'",
                                      address.to_string(), it->second));
    }
  }
  if (total > PG_MAX_ADDRESSES)
    report.error("pool", fmt::format("at most {} pool addresses in all", PG_MAX_ADDRESSES));
}

// Address i of a pool owns mark fwmark+i and table table+i: both ranges must be
// inside what poolgate owns and disjoint between pools.
void check_marks_and_tables(const Config& config, Reporter& report) {
  const uint32_t mask = config.routing.fwmark_mask;
  std::map<uint32_t, std::string> mark_owner, table_owner;
  for (size_t i = 0; i < config.pools.size(); ++i) {
    const PoolConfig& pool = config.pools[i];
    for (uint32_t a = 0; a < pool.addresses.size(); ++a) {
      uint32_t mark = pool.fwmark + a;
      uint32_t table = pool.table + a;
      if ((mark & ~mask) != 0 || (mark & mask) == 0)
        report.error(pool_key(i, "fwmark"),
                     fmt::format("mark {:#x} (address {}) is outside fwmark_mask {:#x}", mark, a,
                                 mask));
      else if (auto [it, ok] = mark_owner.emplace(mark, pool.name); !ok)
        report.error(pool_key(i, "fwmark"),
                     fmt::format("mark {:#x} overlaps pool '{}'", mark, it->second));
      if (table == 0 || (table >= 253 && table <= 255) || table == config.routing.mirror_table_id)
        report.error(pool_key(i, "table"),
                     fmt::format("table {} is reserved (0, default, main, local or the mirror "
                                 "table)", table));
      else if (auto [it, ok] = table_owner.emplace(table, pool.name); !ok)
        report.error(pool_key(i, "table"),
                     fmt::format("table {} overlaps pool '{}'", table, it->second));
    }
  }
}

// A name receivers cannot use: no dot (the default "localhost", a bare host
// name), or under the .localhost / .localdomain placeholders. RFC 5321 4.1.4
// wants the fully-qualified name in EHLO, and receivers read it in Received:.
bool unqualified_host_name(const std::string& name) {
  std::string lower = normalize_domain(name);
  auto dot = lower.rfind('.');
  if (dot == std::string::npos) return true;
  std::string_view last = std::string_view(lower).substr(dot + 1);
  return last == "localhost" || last == "localdomain";
}

// The head a session keeps in memory is all the classifier reads: it must
// hold the headers, and everything a network scanner is given, so streaming
// changes nothing of what the scanner sees. One message at the threshold plus
// the spool chunks it streams through (two of 256 KiB, and a read) must fit the
// budget, or no large message could ever be accepted.
void check_data_memory(const Config& config, Reporter& report) {
  const RelayConfig& relay = config.relay;
  constexpr uint32_t kMinThreshold = 64 * 1024;
  constexpr uint64_t kStreamingRoom = 1024 * 1024;
  if (relay.stream_threshold_bytes < kMinThreshold)
    report.error("relay.stream_threshold_bytes", "must be at least 65536 bytes");
  bool network_scanner = config.spam.scanner == ScannerKind::Spamd ||
                         config.spam.scanner == ScannerKind::Rspamd;
  if (network_scanner && relay.stream_threshold_bytes < config.spam.max_scan_bytes)
    report.error("relay.stream_threshold_bytes",
                 "must be at least spam.max_scan_bytes (" +
                     std::to_string(config.spam.max_scan_bytes) +
                     "): the scanner reads only what the relay keeps in memory");
  if (uint64_t{relay.max_data_in_flight_bytes} < relay.stream_threshold_bytes + kStreamingRoom)
    report.error("relay.max_data_in_flight_bytes",
                 "must be at least stream_threshold_bytes + 1048576 (" +
                     std::to_string(relay.stream_threshold_bytes + kStreamingRoom) +
                     "): one large message needs its head and the chunks it streams through");
}

void check_relay(const Config& config, Reporter& report) {
  const RelayConfig& relay = config.relay;
  static const std::regex hostname_pattern(
      "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  if (!std::regex_match(relay.hostname, hostname_pattern))
    report.error("relay.hostname", "'" + relay.hostname + "' is not a host name");
  else if (unqualified_host_name(relay.hostname))
    report.warning("relay.hostname",
                   "'" + relay.hostname + "' is not a fully-qualified domain name, and receivers "
                   "see it: in the greeting, the EHLO reply, Received: headers, DSNs and the EHLO "
                   "of pools without their own ehlo; set this host's public name, e.g. "
                   "relay.example.net");
  for (const std::string& domain : relay.internal_domains)
    if (!std::regex_match(domain, hostname_pattern))
      report.error("relay.internal_domains", "'" + domain + "' is not a domain name");
  if (relay.listen.empty()) report.error("relay.listen", "needs at least one ADDRESS:PORT");
  if (relay.max_message_size < 1024)
    report.error("relay.max_message_size", "must be at least 1024 bytes");
  // RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients.
  if (relay.max_recipients < 100)
    report.error("relay.max_recipients", "must be at least 100 (RFC 5321 section 4.5.3.1.8)");
  if (relay.max_connections == 0)
    report.error("relay.max_connections", "must be at least 1");
  if (relay.spool.empty() || relay.spool[0] != '/')
    report.error("relay.spool", "must be an absolute directory path");
  if (relay.tls_certificate.empty() != relay.tls_key.empty())
    report.error(relay.tls_key.empty() ? "relay.tls_key" : "relay.tls_certificate",
                 "tls_certificate and tls_key go together (both empty = no STARTTLS)");
  // RFC 5321 4.5.3.2.7: the server timeout should be at least 5 minutes.
  if (relay.command_timeout_s < 10 || relay.data_timeout_s < 10)
    report.error("relay.command_timeout_s", "timeouts must be at least 10 seconds");
  check_data_memory(config, report);
}

// Bounds that keep a lookup's worst case (timeout_ms x attempts x servers) and
// the cache's behaviour sane; the defaults are in DnsConfig.
void check_dns(const Config& config, Reporter& report) {
  const DnsConfig& dns = config.dns;
  if (dns.timeout_ms < 100 || dns.timeout_ms > 60000)
    report.error("dns.timeout_ms", "must be between 100 and 60000 milliseconds");
  if (dns.attempts < 1 || dns.attempts > 10)
    report.error("dns.attempts", "must be between 1 and 10");
  if (dns.servers.size() > 8)
    report.error("dns.servers", "at most 8 servers");
  if (dns.max_ttl_s < 1)
    report.error("dns.max_ttl_s", "must be at least 1 second");
  if (dns.negative_ttl_s > dns.max_ttl_s)
    report.error("dns.negative_ttl_s",
                 fmt::format("must not exceed max_ttl_s ({})", dns.max_ttl_s));
}

}  // namespace

void validate(Config& config, std::vector<Diagnostic>& diagnostics) {
  Reporter report(config, diagnostics);
  check_routing(config, report);
  check_kernel(config, report);
  check_pool_fields(config, report);
  check_addresses(config, report);
  check_marks_and_tables(config, report);
  check_relay(config, report);
  check_dns(config, report);
  check_pool_weights(config, report);
  check_delivery(config, report);
  check_classify(config, report);
  check_sender_limits(config, report);
  check_spam(config, report);
  check_admin(config, report);
  check_daemon(config, report);
  check_reputation(config, report);
}

}  // namespace poolgate
