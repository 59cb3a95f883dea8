#include "routing/host_check.h"

#include "pools/address_plan.h"
#include "routing/entries.h"
#include "routing/local_addresses.h"
#include "routing/netlink_session.h"
#include "routing/route_plan.h"
#include "routing/routes.h"
#include "routing/rules.h"

#include <fmt/format.h>

#include <net/if.h>
#include <sys/socket.h>

#include <map>
#include <set>

namespace poolgate {

namespace {

class Findings {
 public:
  explicit Findings(const Config& config) : config_(config) {}
  void add(Diagnostic::Severity severity, const std::string& key, const std::string& message) {
    found_.push_back({severity, config_.path, config_.line_of(key), key, message});
  }
  std::vector<Diagnostic> take() { return std::move(found_); }

 private:
  const Config& config_;
  std::vector<Diagnostic> found_;
};

// poolgate's rules go in at fixed priorities; a foreign rule among them would
// be evaluated between poolgate's lookup and unreachable rules (or before them)
// and could send marked traffic elsewhere.
void check_rule_priorities(const Config& config, NetlinkSession& session, Findings& findings) {
  const PriorityRange range = rule_priority_range(config);
  if (plan_addresses(config).empty()) return;
  for (const RuleEntry& rule : read_rules(session)) {
    if (created_by_poolgate(rule) || rule.priority < range.first ||
        rule.priority > range.last)
      continue;
    findings.add(Diagnostic::Severity::Error, "routing.rule_priority",
                 fmt::format("priority {} is taken by {} rule `{}`, which poolgate did not "
                             "create; poolgate needs priorities {}..{} to itself: choose another "
                             "rule_priority or remove that rule",
                             rule.priority, family_name(rule.family), describe(rule), range.first,
                             range.last));
  }
}

// A pool table must hold only what poolgate puts there: anything else would be
// used by marked traffic (wrong source, wrong uplink) and survives flush.
void check_pool_tables(const Config& config, const std::vector<RouteEntry>& routes,
                       Findings& findings) {
  std::map<uint32_t, PoolAddress> owner;  // pool table -> its address
  for (const PoolAddress& entry : plan_addresses(config)) owner[entry.table] = entry;
  std::map<uint32_t, std::vector<RouteEntry>> foreign;
  for (const RouteEntry& route : routes)
    if (!created_by_poolgate(route) && owner.count(route.table))
      foreign[route.table].push_back(route);
  for (const auto& [table, routes] : foreign) {
    const PoolAddress& entry = owner[table];
    std::string more = routes.size() > 1 ? fmt::format(" and {} more", routes.size() - 1) : "";
    findings.add(Diagnostic::Severity::Error, fmt::format("pool[{}].table", entry.pool_id),
                 fmt::format("table {} (for {}) already holds routes poolgate did not create: "
                             "`{}`{}; choose another table or empty it",
                             table, entry.address.to_string(), describe(routes.front()), more));
  }
}

void check_addresses(const Config& config, const LocalAddresses& local, Findings& findings) {
  for (const PoolAddress& entry : plan_addresses(config)) {
    const std::string key = fmt::format("pool[{}].addresses[{}]", entry.pool_id, entry.index);
    const std::string address = entry.address.to_string();
    if (local.tentative.count(entry.address))
      findings.add(Diagnostic::Severity::Warning, key,
                   fmt::format("address {} is assigned but tentative (duplicate address "
                               "detection pending or failed); traffic marked for it will be "
                               "unroutable until it is usable",
                               address));
    else if (!local.usable.count(entry.address))
      findings.add(Diagnostic::Severity::Warning, key,
                   fmt::format("address {} is not assigned to any local interface; traffic "
                               "marked for it will be unroutable",
                               address));
  }
}

void check_mirror_defaults(const Config& config, const std::vector<RouteEntry>& routes,
                           Findings& findings) {
  std::set<int> families;
  for (const PoolAddress& entry : plan_addresses(config))
    families.insert(entry.address.is_v6() ? AF_INET6 : AF_INET);
  const uint32_t mirror = config.routing.mirror_table_id;
  for (int family : families)
    if (default_routes(routes, mirror, family).empty())
      findings.add(Diagnostic::Severity::Warning, "routing.mirror_table",
                   fmt::format("table {} has no {} default route to copy into the pool tables; "
                               "{} mail from pool addresses will be unroutable",
                               config.routing.mirror_table, family_name(family),
                               family_name(family)));
}

// The daemon and `bpf attach` attach to these by name and fail when one is
// missing; a warning, not an error: a config may be prepared before its
// interface exists (or for another host).
void check_interfaces(const Config& config, Findings& findings) {
  for (const std::string& name : config.kernel.interfaces)
    if (!name.empty() && ::if_nametoindex(name.c_str()) == 0)
      findings.add(Diagnostic::Severity::Warning, "kernel.interfaces",
                   fmt::format("interface {} does not exist on this host; `poolgate run` and "
                               "`bpf attach` will fail until it does",
                               name));
}

}  // namespace

std::vector<Diagnostic> check_host(const Config& config) {
  NetlinkSession session;
  Findings findings(config);
  check_interfaces(config, findings);
  check_rule_priorities(config, session, findings);
  // One read of the tables both checks look at: the pool tables and the mirror.
  std::set<uint32_t> tables{config.routing.mirror_table_id};
  for (const PoolAddress& entry : plan_addresses(config)) tables.insert(entry.table);
  const std::vector<RouteEntry> routes =
      read_routes(session, [&](const RouteEntry& r) { return tables.count(r.table) > 0; });
  check_pool_tables(config, routes, findings);
  check_mirror_defaults(config, routes, findings);
  check_addresses(config, read_local_addresses(session), findings);
  return findings.take();
}

}  // namespace poolgate
