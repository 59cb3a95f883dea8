#include "mx/mx_hosts.h"

#include "mx/domain_name.h"

#include <algorithm>
#include <set>

namespace poolgate {

std::vector<MxHost> order_mx_hosts(const std::vector<MxRecord>& records, std::mt19937& rng,
                                   std::vector<std::string>& notes) {
  std::vector<MxHost> hosts;
  for (const MxRecord& record : records) {
    const std::string name = normalize_domain(record.exchange);
    if (name.empty()) {
      notes.push_back("MX " + std::to_string(record.preference) + " \".\" skipped (null MX target)");
    } else if (is_address_exchange(record.exchange)) {
      notes.push_back("MX " + std::to_string(record.preference) + " " + record.exchange +
                      " skipped (an address, not a host name)");
    } else {
      hosts.push_back({name, record.preference, false});
    }
  }
  // Stable: the shuffle below is the only thing that reorders equal preferences.
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  for (auto group = hosts.begin(); group != hosts.end();) {
    auto end = std::find_if(group, hosts.end(),
                            [&](const MxHost& host) { return host.preference != group->preference; });
    std::shuffle(group, end, rng);
    group = end;
  }
  std::vector<MxHost> ordered;
  std::set<std::string> seen;
  for (MxHost& host : hosts) {
    if (!seen.insert(host.name).second) continue;  // its better-preference entry comes first
    if (ordered.size() == kMaxMxHosts) {
      notes.push_back("MX " + host.name + " and later ones not tried (more than " +
                      std::to_string(kMaxMxHosts) + " mail exchangers)");
      break;
    }
    ordered.push_back(std::move(host));
  }
  return ordered;
}

}  // namespace poolgate
