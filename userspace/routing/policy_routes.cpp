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

// One line per entry, sorted by where it sits: per family (as `ip -4` and
// `ip -6` list them), rules in priority order, routes grouped by table.
template <class Entry>
void print_drift(std::ostream& out, const char* heading, const Drift<Entry>& drift) {
  std::vector<std::pair<Entry, std::string>> lines;
  for (const Entry& e : drift.unchanged) lines.emplace_back(e, "  ok          " + describe(e));
  for (const Entry& e : drift.missing) lines.emplace_back(e, "  missing     " + describe(e));
  for (const Entry& e : drift.unexpected) lines.emplace_back(e, "  unexpected  " + describe(e));
  for (const auto& [want, have] : drift.differing)
    lines.emplace_back(want, "  differs     want " + describe(want) + "\n" +
                                 "              have " + describe(have));
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return place(a.first) < place(b.first); });
  out << heading << "\n";
  for (const auto& line : lines) out << line.second << "\n";
}

void print_warnings(std::ostream& out, const RoutingPlan& plan) {
  for (const std::string& warning : plan.warnings) out << "warning: " << warning << "\n";
}

}  // namespace

int routes_apply(const Config& config, std::ostream& out) {
  NetlinkSession session;
  const Snapshot snapshot = read_snapshot(session, config);
  print_warnings(out, snapshot.plan);
  const Drift<RuleEntry> rules = compare(snapshot.plan.rules, snapshot.rules);
  const Drift<RouteEntry> routes = compare(snapshot.plan.routes, snapshot.routes);
  std::vector<RouteEntry> to_install = routes.missing;
  for (const auto& pair : routes.differing) to_install.push_back(pair.first);
  refuse_foreign_at_planned_places(snapshot, to_install);

  // The order keeps marked traffic failing closed at every step: tables are
  // complete (copies and unreachable default) before rules send traffic to
  // them, a changed rule's successor is in place before it goes, and stale
  // rules go before the tables they pointed at are emptied.
  int added = 0, removed = 0, replaced = 0;
  for (const RouteEntry& route : routes.missing) {
    add_route(session, route);
    out << "added route `" << describe(route) << "`\n";
    ++added;
  }
  for (const auto& [want, have] : routes.differing) {
    replace_route(session, want);
    out << "replaced route `" << describe(have) << "` with `" << describe(want) << "`\n";
    ++replaced;
  }
  for (const RuleEntry& rule : rules.missing) {
    add_rule(session, rule);
    out << "added rule `" << describe(rule) << "`\n";
    ++added;
  }
  for (const auto& [want, have] : rules.differing) {
    add_rule(session, want);
    delete_rule(session, have);
    out << "replaced rule `" << describe(have) << "` with `" << describe(want) << "`\n";
    ++replaced;
  }
  for (const RuleEntry& rule : rules.unexpected) {
    delete_rule(session, rule);
    out << "removed rule `" << describe(rule) << "`\n";
    ++removed;
  }
  for (const RouteEntry& route : routes.unexpected) {
    delete_route(session, route);
    out << "removed route `" << describe(route) << "`\n";
    ++removed;
  }
  loosen_strict_rp_filter(config.kernel.interfaces, out);
  // A replacement is one entry out and one in.
  out << fmt::format("added {}, removed {}, unchanged {}", added + replaced, removed + replaced,
                     rules.unchanged.size() + routes.unchanged.size());
  if (replaced) out << fmt::format(" ({} of them replaced in place)", replaced);
  out << "\n";
  return 0;
}

int routes_show(const Config& config, std::ostream& out) {
  NetlinkSession session;
  const Snapshot snapshot = read_snapshot(session, config);
  const Drift<RuleEntry> rules = compare(snapshot.plan.rules, snapshot.rules);
  const Drift<RouteEntry> routes = compare(snapshot.plan.routes, snapshot.routes);
  out << fmt::format("poolgate's rules and routes (proto {} \"{}\"), as configured in {} and "
                     "as installed:\n",
                     kPoolgateProtocol, kPoolgateProtocolName,
                     config.path.empty() ? "the config" : config.path);
  print_drift(out, "rules:", rules);
  print_drift(out, "routes:", routes);
  if (!snapshot.foreign_routes.empty()) {
    out << "other routes in the pool tables (not poolgate's, left alone):\n";
    for (const RouteEntry& route : snapshot.foreign_routes)
      out << "  foreign     " << describe(route) << "\n";
  }
  print_warnings(out, snapshot.plan);
  const size_t missing = rules.missing.size() + routes.missing.size();
  const size_t unexpected = rules.unexpected.size() + routes.unexpected.size();
  const size_t differing = rules.differing.size() + routes.differing.size();
  if (missing + unexpected + differing == 0) {
    out << fmt::format("no drift: {} rules and {} routes as configured\n", rules.unchanged.size(),
                       routes.unchanged.size());
    return 0;
  }
  out << fmt::format("drift: {} missing, {} unexpected, {} differing; `poolgate routes apply` "
                     "repairs it\n",
                     missing, unexpected, differing);
  return kExitDrift;
}

RoutingComparison routes_compare(const Config& config) {
  NetlinkSession session;
  const Snapshot snapshot = read_snapshot(session, config);
  return {compare(snapshot.plan.rules, snapshot.rules),
          compare(snapshot.plan.routes, snapshot.routes)};
}

int routes_flush(const Config& /*config: flush removes all of poolgate's, configured or not*/,
                 std::ostream& out) {
  NetlinkSession session;
  std::vector<RuleEntry> rules = read_rules(session);
  std::erase_if(rules, [](const RuleEntry& rule) { return !created_by_poolgate(rule); });
  const std::vector<RouteEntry> routes = read_routes(session, created_by_poolgate<RouteEntry>);
  // Rules first: marked traffic must not meet a pool table half emptied.
  for (const RuleEntry& rule : rules) {
    delete_rule(session, rule);
    out << "removed rule `" << describe(rule) << "`\n";
  }
  for (const RouteEntry& route : routes) {
    delete_route(session, route);
    out << "removed route `" << describe(route) << "`\n";
  }
  out << fmt::format("removed {} rules and {} routes\n", rules.size(), routes.size());
  return 0;
}

}  // namespace poolgate
