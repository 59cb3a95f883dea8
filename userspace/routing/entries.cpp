#include "routing/entries.h"

#include <fmt/format.h>

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

namespace poolgate {

namespace {

std::string device_name(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex), name)) return name;
  return fmt::format("if{}", ifindex);  // what `ip` prints for a vanished device
}

// Ours is implied (poolgate only manages its own); other protocols are worth
// showing, because they say who owns a colliding entry.
std::string protocol_suffix(uint8_t protocol) {
  switch (protocol) {
    case 0:
    case kPoolgateProtocol: return "";
    case RTPROT_KERNEL: return " proto kernel";
    case RTPROT_BOOT: return " proto boot";
    case RTPROT_STATIC: return " proto static";
    case RTPROT_RA: return " proto ra";
    case RTPROT_DHCP: return " proto dhcp";
    default: return fmt::format(" proto {}", protocol);
  }
}

std::string table_name(uint32_t table) {
  switch (table) {
    case RT_TABLE_MAIN: return "main";
    case RT_TABLE_LOCAL: return "local";
    case RT_TABLE_DEFAULT: return "default";
    default: return std::to_string(table);
  }
}

std::string family_prefix(int family) { return family == AF_INET6 ? "-6 " : ""; }

std::string describe_nexthop(const Nexthop& nh) {
  std::string text;
  if (!nh.gateway.empty()) text += " via " + nh.gateway;
  if (nh.ifindex) text += " dev " + device_name(nh.ifindex);
  return text;
}

}  // namespace

std::string family_name(int family) { return family == AF_INET6 ? "IPv6" : "IPv4"; }

std::string describe(const RuleEntry& rule) {
  std::string text = family_prefix(rule.family) + fmt::format("priority {}", rule.priority);
  if (!rule.from.empty()) text += " from " + rule.from;
  if (!rule.to.empty()) text += " to " + rule.to;
  if (rule.fwmask) text += fmt::format(" fwmark {:#x}/{:#x}", rule.fwmark, rule.fwmask);
  if (!rule.iif.empty()) text += " iif " + rule.iif;
  if (!rule.oif.empty()) text += " oif " + rule.oif;
  switch (rule.action) {
    case RuleAction::Lookup: text += " lookup " + table_name(rule.table); break;
    case RuleAction::Unreachable: text += " unreachable"; break;
    case RuleAction::Other: text += " (other action)"; break;
  }
  return text + protocol_suffix(rule.protocol);
}

std::string describe(const RouteEntry& route) {
  std::string text = family_prefix(route.family);
  if (route.type == RouteType::Unreachable) text += "unreachable ";
  if (route.type == RouteType::Other) text += "(other type) ";
  text += route.dst;
  // One nexthop reads as `via G dev D`; several as `nexthop via G dev D weight W`.
  const bool multipath = route.nexthops.size() > 1;
  if (!multipath && !route.nexthops.empty()) text += describe_nexthop(route.nexthops[0]);
  text += " table " + table_name(route.table);
  text += protocol_suffix(route.protocol);
  if (route.type == RouteType::Unicast && route.scope != RT_SCOPE_UNIVERSE)
    text += route.scope == RT_SCOPE_LINK ? " scope link" : fmt::format(" scope {}", route.scope);
  if (!route.pref_src.empty()) text += " src " + route.pref_src;
  text += fmt::format(" metric {}", route.metric);
  if (!multipath && !route.nexthops.empty() && route.nexthops[0].onlink) text += " onlink";
  if (multipath) {
    for (const Nexthop& nh : route.nexthops) {
      text += " nexthop" + describe_nexthop(nh) + fmt::format(" weight {}", nh.weight + 1);
      if (nh.onlink) text += " onlink";
    }
  }
  return text;
}

}  // namespace poolgate
