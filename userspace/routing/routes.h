// `ip route` entries in and out of the kernel (IPv4 and IPv6, any table).
#pragma once

#include "routing/entries.h"
#include "routing/netlink_session.h"

#include <functional>
#include <vector>

namespace poolgate {

// The IPv4 and IPv6 routes (all tables) that `keep` accepts. Nexthop flags are
// reduced to onlink, the one poolgate copies: the rest (dead, linkdown) is
// kernel state, not configuration.
std::vector<RouteEntry> read_routes(NetlinkSession& session,
                                    const std::function<bool(const RouteEntry&)>& keep);

// Adds the route; fails (naming it) when a route already sits at its place.
void add_route(NetlinkSession& session, const RouteEntry& route);

// Puts the route in place of the one at its place (same table, destination and
// metric) in one step, so a pool table is never briefly without its route.
void replace_route(NetlinkSession& session, const RouteEntry& route);

// Deletes the route matching `route` (as read by read_routes).
void delete_route(NetlinkSession& session, const RouteEntry& route);

}  // namespace poolgate
