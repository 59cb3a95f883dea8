#include "reputation/sites.h"

#include "mail/domain_name.h"

#include <algorithm>

namespace poolgate {

bool mx_pattern_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".google.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

SiteRef site_of(const std::string& domain, const std::vector<std::string>& mx_hosts,
                const std::vector<SiteConfig>& sites) {
  std::vector<std::string> hosts;
  for (const std::string& host : mx_hosts)
    if (!host.empty() && host.front() != '[') hosts.push_back(normalize_domain(host));
  for (const SiteConfig& site : sites)
    for (const std::string& pattern : site.mx)
      for (const std::string& host : hosts)
        if (mx_pattern_matches(pattern, host)) return {site.name, &site};
  if (hosts.empty()) return {normalize_domain(domain), nullptr};
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  std::string key = "mx:";
  for (size_t i = 0; i < hosts.size(); ++i) key += (i ? "," : "") + hosts[i];
  return {key, nullptr};
}

SiteLimits limits_of(const SiteRef& site, const DeliveryConfig& delivery) {
  SiteLimits limits{delivery.connections_per_destination, delivery.messages_per_second};
  if (site.config && site.config->connections) limits.connections = *site.config->connections;
  if (site.config && site.config->messages_per_second)
    limits.messages_per_second = *site.config->messages_per_second;
  return limits;
}

}  // namespace poolgate
