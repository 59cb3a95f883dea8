// Which site a recipient domain is delivered as. A site is one receiver
// platform: Google Workspace serves a million domains from the same MX hosts,
// and counting each domain on its own would let one source address open 20
// connections per domain to the same servers, which is how a sender gets
// rate-limited. So, as KumoMTA's MX rollup does:
//
//   1. a [[delivery.site]] whose `mx` patterns match one of the domain's MX
//      hosts ("*.google.com" matches aspmx.l.google.com): that site, by name;
//   2. otherwise the set of MX host names itself ("mx:a.example,b.example",
//      sorted): domains that share their MX hosts share a site;
//   3. no MX host names (a domain literal): the domain.
#pragma once

#include "config/config.h"

#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct SiteRef {
  std::string key;                   // "google", "mx:mx1.example.net", "[198.51.100.7]"
  const SiteConfig* config = nullptr;  // the matching [[delivery.site]], if any
};

// "*.google.com" matches any host below google.com (not google.com itself);
// anything else matches that exact host. Both lower case, no final dot.
bool mx_pattern_matches(std::string_view pattern, std::string_view host);

SiteRef site_of(const std::string& domain, const std::vector<std::string>& mx_hosts,
                const std::vector<SiteConfig>& sites);

// Connection and rate limits of one (source address, site): the site's own,
// else the [delivery] defaults.
struct SiteLimits {
  uint32_t connections = 20;
  double messages_per_second = 0;  // 0 = no limit
};
SiteLimits limits_of(const SiteRef& site, const DeliveryConfig& delivery);

}  // namespace poolgate
