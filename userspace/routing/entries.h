// The routing objects poolgate manages, as plain values: an `ip rule` and an
// `ip route` reduced to the fields poolgate sets or compares. The plan builds
// them, rules.h/routes.h read them from and write them to the kernel, drift.h
// compares them, and describe() prints them the way `ip` would take them, so
// every message names an entry in syntax the operator can paste.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace poolgate {

// The rule and route protocol number (RTPROT_*, the kernel's "who installed
// this" tag) of everything poolgate creates. poolgate reads, changes and deletes
// only entries carrying it, so other tools' rules and routes are never touched.
// `ip` prints it as "proto 233"; with /etc/iproute2/rt_protos.d/poolgate.conf
// holding the line "233 poolgate" it prints "proto poolgate".
inline constexpr uint8_t kPoolgateProtocol = 233;
inline constexpr const char* kPoolgateProtocolName = "poolgate";

// Highest route metric: the pool tables' unreachable default sits here, behind
// every copied default route, so an emptied table still ends in "unreachable".
inline constexpr uint32_t kLastMetric = 0xffffffff;

enum class RuleAction : uint8_t { Lookup, Unreachable, Other };

struct RuleEntry {
  int family = 0;  // AF_INET or AF_INET6
  uint32_t priority = 0;
  uint32_t fwmark = 0;
  uint32_t fwmask = 0;  // 0: the rule does not match on marks
  RuleAction action = RuleAction::Lookup;
  uint32_t table = 0;  // for Lookup
  uint8_t protocol = 0;
  // Selectors poolgate never sets; read so that foreign rules print faithfully
  // and so a hand-edited rule of ours never compares equal to the planned one.
  std::string from, to, iif, oif;  // "" when absent

  bool operator==(const RuleEntry&) const = default;
};

struct Nexthop {
  std::string gateway;  // "" for a device route
  int ifindex = 0;
  uint8_t weight = 0;   // rtnh_hops as the kernel has it (`ip` shows weight + 1)
  bool onlink = false;

  bool operator==(const Nexthop&) const = default;
};

// Route types we tell apart (RTN_* values are mapped in routes.cpp).
enum class RouteType : uint8_t { Unicast, Unreachable, Other };

struct RouteEntry {
  int family = 0;
  uint32_t table = 0;
  RouteType type = RouteType::Unicast;
  std::string dst = "default";  // "default" or "ADDRESS/LEN"
  uint32_t metric = 0;
  uint8_t protocol = 0;
  uint8_t scope = 0;            // RT_SCOPE_*; universe (0) for gateway routes
  std::string pref_src;         // "" when absent
  std::vector<Nexthop> nexthops;  // empty for unreachable routes

  bool operator==(const RouteEntry&) const = default;
};

// Where an entry sits: two entries at the same place are one entry that differs,
// not one missing and one unexpected. The kernel keys rules by priority and
// routes by (table, destination, metric), per family.
inline auto place(const RuleEntry& rule) { return std::tuple(rule.family, rule.priority); }
inline auto place(const RouteEntry& route) {
  return std::tuple(route.family, route.table, route.dst, route.metric);
}

// Whether poolgate created the rule or route (the only kind it may change).
template <class Entry>
bool created_by_poolgate(const Entry& entry) {
  return entry.protocol == kPoolgateProtocol;
}

// `ip rule`/`ip route` arguments, e.g. "priority 10000 fwmark 0x100/0xfff lookup
// 100" or "default via 198.51.100.1 dev eth0 table 100 src 198.51.100.10 metric 0";
// IPv6 entries start with "-6 " (as in `ip -6 rule ...`).
std::string describe(const RuleEntry& rule);
std::string describe(const RouteEntry& route);

// "IPv4" / "IPv6".
std::string family_name(int family);

}  // namespace poolgate
