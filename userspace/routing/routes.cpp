#include "routing/routes.h"

#include "routing/nl_handles.h"

#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace poolgate {

namespace {

RouteType type_of(uint8_t rtn) {
  switch (rtn) {
    case RTN_UNICAST: return RouteType::Unicast;
    case RTN_UNREACHABLE: return RouteType::Unreachable;
    default: return RouteType::Other;
  }
}

RouteEntry from_kernel(rtnl_route* route) {
  RouteEntry entry;
  entry.family = rtnl_route_get_family(route);
  entry.table = rtnl_route_get_table(route);
  entry.type = type_of(rtnl_route_get_type(route));
  entry.dst = address_text(rtnl_route_get_dst(route), "default");
  entry.metric = rtnl_route_get_priority(route);
  entry.protocol = rtnl_route_get_protocol(route);
  entry.scope = rtnl_route_get_scope(route);
  entry.pref_src = address_text(rtnl_route_get_pref_src(route));
  // IPv6 reject routes point at `lo` internally; that is not a nexthop.
  if (entry.type != RouteType::Unicast) return entry;
  for (int i = 0; i < rtnl_route_get_nnexthops(route); ++i) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route, i);
    Nexthop hop;
    hop.gateway = address_text(rtnl_route_nh_get_gateway(nh));
    hop.ifindex = rtnl_route_nh_get_ifindex(nh);
    hop.weight = rtnl_route_nh_get_weight(nh);
    hop.onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
    entry.nexthops.push_back(hop);
  }
  return entry;
}

NlObjectPtr<rtnl_route> to_kernel(const RouteEntry& entry) {
  NlObjectPtr<rtnl_route> route(rtnl_route_alloc());
  if (!route) throw std::bad_alloc();
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(entry.family));
  rtnl_route_set_table(route.get(), entry.table);
  rtnl_route_set_type(route.get(), entry.type == RouteType::Unreachable ? RTN_UNREACHABLE
                                                                         : RTN_UNICAST);
  rtnl_route_set_dst(route.get(), parse_address(entry.dst, entry.family).get());
  rtnl_route_set_priority(route.get(), entry.metric);
  rtnl_route_set_protocol(route.get(), entry.protocol);
  rtnl_route_set_scope(route.get(), entry.scope);
  if (!entry.pref_src.empty())
    rtnl_route_set_pref_src(route.get(), parse_address(entry.pref_src, entry.family).get());
  for (const Nexthop& hop : entry.nexthops) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) throw std::bad_alloc();
    rtnl_route_nh_set_ifindex(nh, hop.ifindex);
    if (!hop.gateway.empty())
      rtnl_route_nh_set_gateway(nh, parse_address(hop.gateway, entry.family).get());
    rtnl_route_nh_set_weight(nh, hop.weight);
    if (hop.onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(route.get(), nh);  // the route owns it from here
  }
  return route;
}

enum class Request { Add, Replace, Delete };

void send(NetlinkSession& session, const RouteEntry& route, Request request) {
  static const char* const kVerbs[] = {"adding", "replacing", "deleting"};
  auto object = to_kernel(route);
  session.change(
      [&](nl_msg** msg) {
        switch (request) {
          // EXCL: a route at this place that is not ours must fail, not be joined.
          case Request::Add: return rtnl_route_build_add_request(object.get(), NLM_F_EXCL, msg);
          case Request::Replace:
            return rtnl_route_build_add_request(object.get(), NLM_F_REPLACE, msg);
          case Request::Delete: break;
        }
        return rtnl_route_build_del_request(object.get(), 0, msg);
      },
      std::string(kVerbs[static_cast<int>(request)]) + " route `" + describe(route) + "`");
}

}  // namespace

std::vector<RouteEntry> read_routes(NetlinkSession& session,
                                    const std::function<bool(const RouteEntry&)>& keep) {
  return session.dump<RouteEntry>(
      RTM_GETROUTE, [&](nl_object* object, std::vector<RouteEntry>& out) {
        auto* route = reinterpret_cast<rtnl_route*>(object);
        int family = rtnl_route_get_family(route);
        if (family != AF_INET && family != AF_INET6) return;  // multicast, MPLS
        RouteEntry entry = from_kernel(route);
        if (keep(entry)) out.push_back(std::move(entry));
      });
}

void add_route(NetlinkSession& session, const RouteEntry& route) {
  send(session, route, Request::Add);
}

void replace_route(NetlinkSession& session, const RouteEntry& route) {
  send(session, route, Request::Replace);
}

void delete_route(NetlinkSession& session, const RouteEntry& route) {
  send(session, route, Request::Delete);
}

}  // namespace poolgate
