// What poolgate's policy routing should look like, computed from the config and
// the mirror table's routes alone (no kernel access, so it is unit-testable):
//
//   for each pool address A (mark M, table T, see pools/address_plan.h):
//     rule  priority P   fwmark M/mask lookup T        -- marked traffic uses T
//     rule  priority P+1 fwmark M/mask unreachable     -- fail closed: never main
//     table T: each default route of A's family in the mirror table, copied
//              (gateway, device, metric, multipath nexthops, onlink) with src A
//     table T: unreachable default metric 4294967295  -- an emptied T still ends
//                                                        in "unreachable"
#pragma once

#include "config/config.h"
#include "routing/entries.h"

#include <boost/asio/ip/address.hpp>

#include <set>
#include <string>
#include <vector>

namespace poolgate {

struct RoutingPlan {
  std::vector<RuleEntry> rules;
  std::vector<RouteEntry> routes;
  // Things the operator should know but that do not stop apply, e.g. a family
  // without a default route in the mirror table.
  std::vector<std::string> warnings;
};

// `mirror_routes` may hold any routes; only the unicast default routes of
// config.routing.mirror_table_id are copied. `usable_sources` are the addresses
// the kernel accepts as a preferred source (assigned, not tentative): a pool
// address outside it gets rules and the unreachable default but no copies,
// which the kernel would reject, and a warning.
RoutingPlan plan_routing(const Config& config, const std::vector<RouteEntry>& mirror_routes,
                         const std::set<boost::asio::ip::address>& usable_sources);

// The unicast default routes of `table` in `family`, as the plan copies them
// (host_check warns when there are none).
std::vector<RouteEntry> default_routes(const std::vector<RouteEntry>& routes, uint32_t table,
                                       int family);

}  // namespace poolgate
