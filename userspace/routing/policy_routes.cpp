#include "routing/policy_routes.h"

#include "common/operator_error.h"
#include "pools/address_plan.h"
#include "routing/drift.h"
#include "routing/local_addresses.h"
#include "routing/netlink_session.h"
#include "routing/route_plan.h"
#include "routing/routes.h"
#include "routing/rp_filter.h"
#include "routing/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace poolgate {

namespace {

// What the config wants next to what is installed.
struct Snapshot {
  RoutingPlan plan;
  std::vector<RuleEntry> rules;             // poolgate's, installed
  std::vector<RouteEntry> routes;           // poolgate's, installed, any table
  std::vector<RouteEntry> foreign_routes;   // others' routes in the pool tables
};

Snapshot read_snapshot(NetlinkSession& session, const Config& config) {
  std::set<uint32_t> pool_tables;
  for (const PoolAddress& entry : plan_addresses(config)) pool_tables.insert(entry.table);
  const uint32_t mirror = config.routing.mirror_table_id;

  Snapshot snapshot;
  std::vector<RouteEntry> mirror_routes;
  for (RouteEntry& route : read_routes(session, [&](const RouteEntry& r) {
         return created_by_poolgate(r) || r.table == mirror || pool_tables.count(r.table);
       })) {
    if (created_by_poolgate(route))
      snapshot.routes.push_back(std::move(route));
    else if (route.table == mirror)
      mirror_routes.push_back(std::move(route));
    else
      snapshot.foreign_routes.push_back(std::move(route));
  }
  for (RuleEntry& rule : read_rules(session))
    if (created_by_poolgate(rule)) snapshot.rules.push_back(std::move(rule));
  snapshot.plan = plan_routing(config, mirror_routes, read_local_addresses(session).usable);
  return snapshot;
}

// A route at the place of a planned one that poolgate did not create: adding
// ours would fail, and replacing would overwrite theirs. Stop before changing
// anything and say which one is in the way.
void refuse_foreign_at_planned_places(const Snapshot& snapshot,
                                      const std::vector<RouteEntry>& to_install) {
  for (const RouteEntry& route : to_install)
    for (const RouteEntry& other : snapshot.foreign_routes)
      if (place(other) == place(route))
        throw OperatorError(fmt::format(
            "adding route `{}`: table {} already holds `{}` at that place, which poolgate did "
            "not create; remove it or choose another pool table (`poolgate check-config` "
            "lists such collisions)",
            describe(route), route.table, describe(other)));
}

RoutingChange change(RoutingChange::Action action, const char* kind, std::string entry,
                     std::string replaced = {}) {
  return {action, kind, std::move(entry), std::move(replaced)};
}

}  // namespace

RoutesApplyReport routes_apply(const Config& config) {
  NetlinkSession session;
  const Snapshot snapshot = read_snapshot(session, config);
  RoutesApplyReport report;
  report.warnings = snapshot.plan.warnings;
  const Drift<RuleEntry> rules = compare(snapshot.plan.rules, snapshot.rules);
  const Drift<RouteEntry> routes = compare(snapshot.plan.routes, snapshot.routes);
  std::vector<RouteEntry> to_install = routes.missing;
  for (const auto& pair : routes.differing) to_install.push_back(pair.first);
  refuse_foreign_at_planned_places(snapshot, to_install);

  // The order keeps marked traffic failing closed at every step: tables are
  // complete (copies and unreachable default) before rules send traffic to
  // them, a changed rule's successor is in place before it goes, and stale
  // rules go before the tables they pointed at are emptied.
  using Action = RoutingChange::Action;
  std::vector<RoutingChange>& done = report.changes;
  for (const RouteEntry& route : routes.missing) {
    add_route(session, route);
    done.push_back(change(Action::Added, "route", describe(route)));
  }
  for (const auto& [want, have] : routes.differing) {
    replace_route(session, want);
    done.push_back(change(Action::Replaced, "route", describe(want), describe(have)));
  }
  for (const RuleEntry& rule : rules.missing) {
    add_rule(session, rule);
    done.push_back(change(Action::Added, "rule", describe(rule)));
  }
  for (const auto& [want, have] : rules.differing) {
    add_rule(session, want);
    delete_rule(session, have);
    done.push_back(change(Action::Replaced, "rule", describe(want), describe(have)));
  }
  for (const RuleEntry& rule : rules.unexpected) {
    delete_rule(session, rule);
    done.push_back(change(Action::Removed, "rule", describe(rule)));
  }
  for (const RouteEntry& route : routes.unexpected) {
    delete_route(session, route);
    done.push_back(change(Action::Removed, "route", describe(route)));
  }
  report.rp_filter = loosen_strict_rp_filter(config.kernel.interfaces);
  report.unchanged = rules.unchanged.size() + routes.unchanged.size();
  return report;
}

RoutesShowReport routes_show(const Config& config) {
  NetlinkSession session;
  Snapshot snapshot = read_snapshot(session, config);
  return {config.path,
          compare(snapshot.plan.rules, snapshot.rules),
          compare(snapshot.plan.routes, snapshot.routes),
          std::move(snapshot.foreign_routes),
          std::move(snapshot.plan.warnings)};
}

RoutingComparison routes_compare(const Config& config) {
  NetlinkSession session;
  const Snapshot snapshot = read_snapshot(session, config);
  return {compare(snapshot.plan.rules, snapshot.rules),
          compare(snapshot.plan.routes, snapshot.routes)};
}

RoutesFlushReport routes_flush(
    const Config& /*config: flush removes all of poolgate's, configured or not*/) {
  NetlinkSession session;
  RoutesFlushReport report;
  for (RuleEntry& rule : read_rules(session))
    if (created_by_poolgate(rule)) report.removed_rules.push_back(std::move(rule));
  report.removed_routes = read_routes(session, created_by_poolgate<RouteEntry>);
  // Rules first: marked traffic must not meet a pool table half emptied.
  for (const RuleEntry& rule : report.removed_rules) delete_rule(session, rule);
  for (const RouteEntry& route : report.removed_routes) delete_route(session, route);
  return report;
}

}  // namespace poolgate
