// The pure parts of the daemon's kernel keeping: what a drift report says,
// which netlink messages count as a change worth a comparison, and the
// privilege drop's refusals that happen before anything changes. The netlink
// watch and repair themselves run against a real kernel in
// tests/integration/test_daemon_kernel.py.
#include "common/operator_error.h"
#include "config/config.h"
#include "daemon/privileges.h"
#include "routing/drift.h"
#include "routing/drift_report.h"
#include "routing/entries.h"
#include "routing/route_watch.h"

#include <gtest/gtest.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace poolgate {
namespace {

RuleEntry lookup_rule(uint32_t priority, uint32_t mark, uint32_t table) {
  RuleEntry rule;
  rule.family = AF_INET;
  rule.priority = priority;
  rule.fwmark = mark;
  rule.fwmask = 0xfff;
  rule.table = table;
  rule.protocol = kPoolgateProtocol;
  return rule;
}

RouteEntry default_via(const char* gateway, uint32_t table, const char* src) {
  RouteEntry route;
  route.family = AF_INET;
  route.table = table;
  route.protocol = kPoolgateProtocol;
  route.pref_src = src;
  route.nexthops.push_back(Nexthop{gateway, 2, 0, false});
  return route;
}

TEST(DriftReport, NamesEachEntryAndWhatTheRepairDid) {
  Drift<RuleEntry> rules;
  rules.missing.push_back(lookup_rule(10002, 0x101, 101));
  rules.missing.push_back(lookup_rule(10000, 0x100, 100));
  Drift<RouteEntry> routes;
  routes.differing.emplace_back(default_via("198.51.100.253", 100, "198.51.100.10"),
                                default_via("198.51.100.254", 100, "198.51.100.10"));
  RouteEntry stray = default_via("198.51.100.254", 300, "198.51.100.12");
  routes.unexpected.push_back(stray);

  const std::vector<std::string> lines = drift_report(rules, routes, true);
  ASSERT_EQ(lines.size(), 4u);
  // Rules in priority order whatever order they came in, then routes by table.
  EXPECT_EQ(lines[0], "rule `" + describe(rules.missing[1]) + "` missing; restored");
  EXPECT_EQ(lines[1], "rule `" + describe(rules.missing[0]) + "` missing; restored");
  EXPECT_NE(lines[0].find("priority 10000 fwmark 0x100/0xfff lookup 100"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[2], "route `" + describe(routes.differing[0].second) +
                          "` differs from the plan `" + describe(routes.differing[0].first) +
                          "`; replaced");
  EXPECT_NE(lines[2].find("via 198.51.100.254"), std::string::npos);
  EXPECT_EQ(lines[3], "route `" + describe(stray) + "` not planned; removed");
}

TEST(DriftReport, UnrepairedLinesSayOnlyWhatIsWrong) {
  Drift<RuleEntry> rules;
  rules.missing.push_back(lookup_rule(10000, 0x100, 100));
  const std::vector<std::string> lines = drift_report(rules, {}, false);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "rule `" + describe(rules.missing[0]) + "` missing");
  EXPECT_TRUE(drift_report({}, {}, true).empty());
}

// One netlink message as the kernel would multicast it.
class Message {
 public:
  Message(uint16_t type, const void* body, size_t length) {
    buffer_.resize(NLMSG_SPACE(length) + 64);
    header()->nlmsg_type = type;
    header()->nlmsg_len = NLMSG_LENGTH(length);
    std::memcpy(NLMSG_DATA(header()), body, length);
  }
  void add_u32(uint16_t type, uint32_t value) {
    auto* attr = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(header()) +
                                           NLMSG_ALIGN(header()->nlmsg_len));
    attr->rta_type = type;
    attr->rta_len = RTA_LENGTH(sizeof value);
    std::memcpy(RTA_DATA(attr), &value, sizeof value);
    header()->nlmsg_len = NLMSG_ALIGN(header()->nlmsg_len) + RTA_ALIGN(attr->rta_len);
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }

 private:
  std::vector<char> buffer_;
};

Message route_message(uint16_t type, uint8_t table, uint8_t protocol, unsigned flags = 0) {
  rtmsg rtm{};
  rtm.rtm_family = AF_INET;
  rtm.rtm_table = table;
  rtm.rtm_protocol = protocol;
  rtm.rtm_flags = flags;
  return Message(type, &rtm, sizeof rtm);
}

TEST(RouteWatchFilter, RoutesCountInWatchedTablesOrWhenPoolgates) {
  const std::set<uint32_t> watched{100, 254, 1001};
  EXPECT_TRUE(relevant_change(route_message(RTM_NEWROUTE, 100, RTPROT_BOOT).header(), watched));
  EXPECT_TRUE(relevant_change(route_message(RTM_DELROUTE, 254, RTPROT_DHCP).header(), watched));
  EXPECT_FALSE(relevant_change(route_message(RTM_NEWROUTE, 255, RTPROT_KERNEL).header(), watched));
  // Ours in a table the config no longer names: apply must remove it.
  EXPECT_TRUE(
      relevant_change(route_message(RTM_DELROUTE, 77, kPoolgateProtocol).header(), watched));
  // Cached exceptions are not configuration.
  EXPECT_FALSE(relevant_change(
      route_message(RTM_NEWROUTE, 254, RTPROT_BOOT, RTM_F_CLONED).header(), watched));
}

TEST(RouteWatchFilter, TablesAbove255ComeFromTheAttribute) {
  const std::set<uint32_t> watched{1001};
  Message in_watched = route_message(RTM_NEWROUTE, RT_TABLE_COMPAT, RTPROT_BOOT);
  in_watched.add_u32(RTA_PRIORITY, 5);
  in_watched.add_u32(RTA_TABLE, 1001);
  EXPECT_TRUE(relevant_change(in_watched.header(), watched));
  Message elsewhere = route_message(RTM_NEWROUTE, RT_TABLE_COMPAT, RTPROT_BOOT);
  elsewhere.add_u32(RTA_TABLE, 1002);
  EXPECT_FALSE(relevant_change(elsewhere.header(), watched));
}

TEST(RouteWatchFilter, RulesAndAddressesAlwaysCountOtherMessagesNever) {
  fib_rule_hdr rule{};
  rule.family = AF_INET;
  EXPECT_TRUE(relevant_change(Message(RTM_DELRULE, &rule, sizeof rule).header(), {}));
  EXPECT_TRUE(relevant_change(Message(RTM_NEWRULE, &rule, sizeof rule).header(), {}));
  ifaddrmsg address{};
  EXPECT_TRUE(relevant_change(Message(RTM_NEWADDR, &address, sizeof address).header(), {}));
  ifinfomsg link{};
  EXPECT_FALSE(relevant_change(Message(RTM_NEWLINK, &link, sizeof link).header(), {}));
  // Truncated: shorter than its type's header.
  Message truncated = route_message(RTM_NEWROUTE, 100, RTPROT_BOOT);
  truncated.header()->nlmsg_len = NLMSG_LENGTH(2);
  EXPECT_FALSE(relevant_change(truncated.header(), {100}));
}

TEST(DropPrivileges, NoUserChangesNothing) {
  Config config;
  const uid_t before = ::geteuid();
  EXPECT_NO_THROW(drop_privileges(config));
  EXPECT_EQ(::geteuid(), before);
}

TEST(DropPrivileges, UnknownUserIsAnOperatorErrorBeforeAnyChange) {
  Config config;
  config.daemon.user = "pg-no-such-user-7f3a";
  config.relay.spool = "/nonexistent-spool";
  const uid_t before = ::geteuid();
  try {
    drop_privileges(config);
    FAIL() << "no error for a user that does not exist";
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find("pg-no-such-user-7f3a"), std::string::npos) << e.what();
  }
  EXPECT_EQ(::geteuid(), before);
}

}  // namespace
}  // namespace poolgate
