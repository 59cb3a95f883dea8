#include "routing/route_plan.h"

#include "pools/address_plan.h"

#include <fmt/format.h>

#include <sys/socket.h>

#include <map>

namespace poolgate {

namespace {

int family_of(const boost::asio::ip::address& address) {
  return address.is_v6() ? AF_INET6 : AF_INET;
}

std::string mirror_name(const Config& config) {
  const RoutingConfig& routing = config.routing;
  if (routing.mirror_table == std::to_string(routing.mirror_table_id))
    return fmt::format("table {}", routing.mirror_table_id);
  return fmt::format("table {} ({})", routing.mirror_table, routing.mirror_table_id);
}

// The mirror's default routes of one family, each metric once: the kernel keys
// a pool table's routes by metric, so two mirror routes at one metric (IPv4
// `ip route append`) cannot both be copied, and the last metric is the pool
// table's own unreachable default.
std::vector<RouteEntry> copyable_defaults(const Config& config,
                                          const std::vector<RouteEntry>& mirror_routes,
                                          int family, std::vector<std::string>& warnings) {
  std::vector<RouteEntry> copyable;
  std::map<uint32_t, bool> seen;
  for (const RouteEntry& route :
       default_routes(mirror_routes, config.routing.mirror_table_id, family)) {
    if (route.metric == kLastMetric || seen[route.metric]) {
      warnings.push_back(fmt::format("{} route `{}` is not copied to the pool tables: its metric "
                                     "is taken by {}",
                                     mirror_name(config), describe(route),
                                     route.metric == kLastMetric
                                         ? "their unreachable default"
                                         : "another default route of the same table"));
      continue;
    }
    seen[route.metric] = true;
    copyable.push_back(route);
  }
  return copyable;
}

void plan_rules(const Config& config, const PoolAddress& entry, RoutingPlan& plan) {
  RuleEntry lookup;
  lookup.family = family_of(entry.address);
  lookup.priority = entry.lookup_priority;
  lookup.fwmark = entry.fwmark;
  lookup.fwmask = config.routing.fwmark_mask;
  lookup.action = RuleAction::Lookup;
  lookup.table = entry.table;
  lookup.protocol = kPoolgateProtocol;
  plan.rules.push_back(lookup);

  RuleEntry unreachable = lookup;
  unreachable.priority = entry.unreachable_priority;
  unreachable.action = RuleAction::Unreachable;
  unreachable.table = 0;
  plan.rules.push_back(unreachable);
}

void plan_table(const PoolAddress& entry, const std::vector<RouteEntry>& defaults,
                bool source_usable, RoutingPlan& plan) {
  if (source_usable) {
    for (RouteEntry copy : defaults) {
      copy.table = entry.table;
      copy.protocol = kPoolgateProtocol;
      copy.pref_src = entry.address.to_string();
      plan.routes.push_back(copy);
    }
  }
  RouteEntry unreachable;
  unreachable.family = family_of(entry.address);
  unreachable.table = entry.table;
  unreachable.type = RouteType::Unreachable;
  unreachable.metric = kLastMetric;
  unreachable.protocol = kPoolgateProtocol;
  plan.routes.push_back(unreachable);
}

}  // namespace

std::vector<RouteEntry> default_routes(const std::vector<RouteEntry>& routes, uint32_t table,
                                       int family) {
  std::vector<RouteEntry> found;
  for (const RouteEntry& route : routes)
    if (route.table == table && route.family == family && route.dst == "default" &&
        route.type == RouteType::Unicast && !route.nexthops.empty())
      found.push_back(route);
  return found;
}

RoutingPlan plan_routing(const Config& config, const std::vector<RouteEntry>& mirror_routes,
                         const std::set<boost::asio::ip::address>& usable_sources) {
  RoutingPlan plan;
  const std::vector<PoolAddress> addresses = plan_addresses(config);
  std::map<int, std::vector<RouteEntry>> defaults;  // by family, for families in use
  for (const PoolAddress& entry : addresses) {
    int family = family_of(entry.address);
    if (defaults.count(family)) continue;
    defaults[family] = copyable_defaults(config, mirror_routes, family, plan.warnings);
    if (defaults[family].empty())
      plan.warnings.push_back(fmt::format(
          "{} has no {} default route: the {} pool tables get only their unreachable default, "
          "so {} mail from pool addresses fails until it has one (then run `poolgate routes "
          "apply` again)",
          mirror_name(config), family_name(family), family_name(family), family_name(family)));
  }
  for (const PoolAddress& entry : addresses) {
    const bool usable = usable_sources.count(entry.address) > 0;
    if (!usable && !defaults[family_of(entry.address)].empty())
      plan.warnings.push_back(fmt::format(
          "address {} (pool {}) is not assigned to any local interface: table {} gets only its "
          "unreachable default until it is (then run `poolgate routes apply` again)",
          entry.address.to_string(), entry.pool_name, entry.table));
    plan_rules(config, entry, plan);
    plan_table(entry, defaults[family_of(entry.address)], usable, plan);
  }
  return plan;
}

}  // namespace poolgate
