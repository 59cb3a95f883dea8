// The kernel-free parts of routing: the plan computed from config and mirror
// routes, the drift comparison, `ip`-syntax descriptions, and rp_filter on a
// fake /proc tree.
#include "routing/drift.h"
#include "routing/entries.h"
#include "routing/route_plan.h"
#include "routing/rp_filter.h"
#include "routing_netns.h"

#include <gtest/gtest.h>

#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

using namespace poolgate;
using namespace poolgate::testing;
using boost::asio::ip::make_address;

namespace {

constexpr int kNoSuchIfindex = 9999;  // describe() prints it as "if9999"

RouteEntry mirror_default(int family, const std::string& gateway, uint32_t metric = 0) {
  RouteEntry route;
  route.family = family;
  route.table = RT_TABLE_MAIN;
  route.metric = metric;
  route.protocol = RTPROT_BOOT;
  route.pref_src = family == AF_INET ? "198.51.100.2" : "2001:db8:100::2";
  route.nexthops = {{gateway, kNoSuchIfindex, 0, false}};
  return route;
}

std::set<boost::asio::ip::address> all_pool_addresses() {
  std::set<boost::asio::ip::address> addresses;
  for (const char* a : {"198.51.100.10", "198.51.100.11", "2001:db8:100::10", "203.0.113.66",
                        "2001:db8:203::66"})
    addresses.insert(make_address(a));
  return addresses;
}

std::vector<std::string> described(const auto& entries) {
  std::vector<std::string> text;
  for (const auto& entry : entries) text.push_back(describe(entry));
  return text;
}

std::vector<RouteEntry> table(const RoutingPlan& plan, uint32_t id) {
  std::vector<RouteEntry> routes;
  for (const RouteEntry& route : plan.routes)
    if (route.table == id) routes.push_back(route);
  return routes;
}

}  // namespace

TEST(RoutingPlan, TwoRulesPerAddressInPriorityOrder) {
  Config config = parse_test_config();
  RoutingPlan plan = plan_routing(config, {mirror_default(AF_INET, "198.51.100.1"),
                                           mirror_default(AF_INET6, "2001:db8:100::1", 1024)},
                                  all_pool_addresses());
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_EQ(described(plan.rules), (std::vector<std::string>{
                                       "priority 10000 fwmark 0x100/0xfff lookup 100",
                                       "priority 10001 fwmark 0x100/0xfff unreachable",
                                       "priority 10002 fwmark 0x101/0xfff lookup 101",
                                       "priority 10003 fwmark 0x101/0xfff unreachable",
                                       "-6 priority 10004 fwmark 0x102/0xfff lookup 102",
                                       "-6 priority 10005 fwmark 0x102/0xfff unreachable",
                                       "priority 10006 fwmark 0x200/0xfff lookup 200",
                                       "priority 10007 fwmark 0x200/0xfff unreachable",
                                       "-6 priority 10008 fwmark 0x201/0xfff lookup 201",
                                       "-6 priority 10009 fwmark 0x201/0xfff unreachable",
                                   }));
  for (const RuleEntry& rule : plan.rules) EXPECT_EQ(rule.protocol, kPoolgateProtocol);
}

TEST(RoutingPlan, PoolTablesCopyTheMirrorDefaultsWithThePoolSource) {
  Config config = parse_test_config();
  RouteEntry host_route = mirror_default(AF_INET, "");
  host_route.dst = "198.51.100.1";  // not a default route: not copied
  RouteEntry blackhole = mirror_default(AF_INET, "", 50);
  blackhole.type = RouteType::Other;
  blackhole.nexthops.clear();
  RouteEntry other_table = mirror_default(AF_INET, "198.51.100.9");
  other_table.table = 7;
  RouteEntry multipath = mirror_default(AF_INET, "198.51.100.1", 100);
  multipath.nexthops = {{"198.51.100.1", kNoSuchIfindex, 0, false},
                        {"198.51.100.3", kNoSuchIfindex, 2, true}};
  RoutingPlan plan = plan_routing(
      config,
      {host_route, blackhole, other_table, mirror_default(AF_INET, "198.51.100.1"), multipath,
       mirror_default(AF_INET6, "2001:db8:100::1", 1024)},
      all_pool_addresses());
  EXPECT_EQ(described(table(plan, 200)),
            (std::vector<std::string>{
                "default via 198.51.100.1 dev if9999 table 200 src 203.0.113.66 metric 0",
                "default table 200 src 203.0.113.66 metric 100 nexthop via 198.51.100.1 dev "
                "if9999 weight 1 nexthop via 198.51.100.3 dev if9999 weight 3 onlink",
                "unreachable default table 200 metric 4294967295",
            }));
  EXPECT_EQ(described(table(plan, 201)),
            (std::vector<std::string>{
                "-6 default via 2001:db8:100::1 dev if9999 table 201 src 2001:db8:203::66 metric "
                "1024",
                "-6 unreachable default table 201 metric 4294967295",
            }));
  for (const RouteEntry& route : plan.routes) EXPECT_EQ(route.protocol, kPoolgateProtocol);
  EXPECT_EQ(plan.routes.size(), 3u * 3 + 2u * 2);
}

TEST(RoutingPlan, FamilyWithoutMirrorDefaultGetsUnreachableOnlyAndOneWarning) {
  Config config = parse_test_config();
  RoutingPlan plan =
      plan_routing(config, {mirror_default(AF_INET, "198.51.100.1")}, all_pool_addresses());
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0].rfind("table main (254) has no IPv6 default route", 0), 0u)
      << plan.warnings[0];
  EXPECT_EQ(described(table(plan, 102)),
            (std::vector<std::string>{"-6 unreachable default table 102 metric 4294967295"}));
  EXPECT_EQ(plan.rules.size(), 10u);
}

TEST(RoutingPlan, UnusableSourceGetsNoCopiesAndAWarning) {
  Config config = parse_test_config();
  auto usable = all_pool_addresses();
  usable.erase(make_address("203.0.113.66"));
  RoutingPlan plan = plan_routing(config,
                                  {mirror_default(AF_INET, "198.51.100.1"),
                                   mirror_default(AF_INET6, "2001:db8:100::1", 1024)},
                                  usable);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_NE(plan.warnings[0].find("address 203.0.113.66 (pool high-risk) is not assigned"),
            std::string::npos);
  EXPECT_EQ(described(table(plan, 200)),
            (std::vector<std::string>{"unreachable default table 200 metric 4294967295"}));
}

TEST(RoutingPlan, MirrorRoutesThatCannotBeCopiedAreNamed) {
  Config config = parse_test_config();
  RoutingPlan plan = plan_routing(config,
                                  {mirror_default(AF_INET, "198.51.100.1", 10),
                                   mirror_default(AF_INET, "198.51.100.3", 10),
                                   mirror_default(AF_INET, "198.51.100.4", kLastMetric),
                                   mirror_default(AF_INET6, "2001:db8:100::1", 1024)},
                                  all_pool_addresses());
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_NE(plan.warnings[0].find("`default via 198.51.100.3 dev if9999 table main proto boot "
                                  "src 198.51.100.2 metric 10` is not copied"),
            std::string::npos) << plan.warnings[0];
  EXPECT_NE(plan.warnings[1].find("their unreachable default"), std::string::npos);
  EXPECT_EQ(table(plan, 100).size(), 2u);
}

TEST(RoutingDrift, SortsEntriesIntoUnchangedMissingUnexpectedAndDiffering) {
  RuleEntry a{AF_INET, 10000, 0x100, 0xfff, RuleAction::Lookup, 100, kPoolgateProtocol};
  RuleEntry b{AF_INET, 10001, 0x100, 0xfff, RuleAction::Unreachable, 0, kPoolgateProtocol};
  RuleEntry c{AF_INET6, 10001, 0x100, 0xfff, RuleAction::Unreachable, 0, kPoolgateProtocol};
  RuleEntry b_old = b;
  b_old.fwmask = 0xff;
  RuleEntry stale{AF_INET, 10010, 0x300, 0xfff, RuleAction::Lookup, 300, kPoolgateProtocol};
  Drift<RuleEntry> drift = compare<RuleEntry>({a, b, c}, {stale, b_old, a, a});
  EXPECT_EQ(drift.unchanged, std::vector<RuleEntry>{a});
  EXPECT_EQ(drift.missing, std::vector<RuleEntry>{c});
  ASSERT_EQ(drift.differing.size(), 1u);
  EXPECT_EQ(drift.differing[0].first, b);
  EXPECT_EQ(drift.differing[0].second, b_old);
  EXPECT_EQ(drift.unexpected, (std::vector<RuleEntry>{stale, a}));  // the duplicate goes
  EXPECT_TRUE(drift.any());
  EXPECT_FALSE(compare<RuleEntry>({a, b}, {b, a}).any());
}

TEST(RoutingDescribe, RulesReadAsIpRuleArguments) {
  RuleEntry rule{AF_INET, 10000, 0x100, 0xff00, RuleAction::Lookup, 100, kPoolgateProtocol};
  EXPECT_EQ(describe(rule), "priority 10000 fwmark 0x100/0xff00 lookup 100");
  rule.family = AF_INET6;
  rule.action = RuleAction::Unreachable;
  EXPECT_EQ(describe(rule), "-6 priority 10000 fwmark 0x100/0xff00 unreachable");
  RuleEntry foreign{AF_INET, 10003, 0, 0, RuleAction::Lookup, RT_TABLE_MAIN, RTPROT_BOOT};
  foreign.from = "198.51.100.0/24";
  foreign.iif = "eth1";
  EXPECT_EQ(describe(foreign), "priority 10003 from 198.51.100.0/24 iif eth1 lookup main proto boot");
}

TEST(RoutingRpFilter, StrictInterfacesBecomeLooseOthersAreLeftAlone) {
  namespace fs = std::filesystem;
  const fs::path conf = fs::temp_directory_path() / ("pg-rpf-" + std::to_string(::getpid()));
  fs::remove_all(conf);
  auto set = [&](const std::string& name, const std::string& value) {
    fs::create_directories(conf / name);
    write_file((conf / name / "rp_filter").string(), value + "\n");
  };
  auto get = [&](const std::string& name) { return read_file((conf / name / "rp_filter").string()); };
  set("all", "0");
  set("strict0", "1");
  set("loose0", "2");
  set("off0", "0");
  std::vector<RpFilterChange> changed =
      loosen_strict_rp_filter({"strict0", "loose0", "off0", "absent0"}, conf);
  ASSERT_EQ(changed.size(), 1u);
  const std::string out = changed[0].text();
  EXPECT_EQ(get("strict0"), "2\n");
  EXPECT_EQ(get("loose0"), "2\n");
  EXPECT_EQ(get("off0"), "0\n");
  EXPECT_NE(out.find("rp_filter: strict0 was strict (strict0=1, all=0)"), std::string::npos)
      << out;

  // all=1 makes every interface at 0 strict (the kernel uses the maximum).
  set("all", "1");
  EXPECT_EQ(loosen_strict_rp_filter({"off0"}, conf).size(), 1u);
  EXPECT_EQ(get("off0"), "2\n");
  fs::remove_all(conf);
}
