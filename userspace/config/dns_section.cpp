// [dns]: which servers to ask and how long to wait, and the cache's bounds.
// Optional: every key has a default (DnsConfig), servers default to
// /etc/resolv.conf.
#include "config/dns_section.h"

#include "config/endpoint.h"
#include "config/toml_reader.h"

namespace poolgate {

void read_dns(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  DnsConfig& dns = config.dns;
  TomlTableReader reader(table, "dns", config, diags);
  std::vector<std::string> servers;
  reader.read("servers", servers);
  reader.read("timeout_ms", dns.timeout_ms);
  reader.read("attempts", dns.attempts);
  reader.read("cache_size", dns.cache_size);
  reader.read("max_ttl_s", dns.max_ttl_s);
  reader.read("negative_ttl_s", dns.negative_ttl_s);
  reader.reject_unknown_keys();

  for (const std::string& text : servers) {
    if (auto endpoint = parse_endpoint(text, 53)) {
      dns.servers.push_back(*endpoint);
    } else {
      diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of("dns.servers"),
                       "dns.servers",
                       "'" + text +
                           "' is not ADDRESS or ADDRESS:PORT (IPv6 with a port as "
                           "[ADDRESS]:PORT)"});
    }
  }
}

}  // namespace poolgate
