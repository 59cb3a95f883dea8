// check_host (what `poolgate check-config` reports about this host), each test
// in its own network namespace (see routing_netns.h).
#include "routing/host_check.h"
#include "routing/policy_routes.h"
#include "routing_netns.h"

#include <gtest/gtest.h>


using namespace poolgate;
using namespace poolgate::testing;

namespace {

class HostCheck : public PrivateHost {
 protected:
  std::string all(const std::vector<Diagnostic>& found) {
    std::string text;
    for (const Diagnostic& d : found) text += d.to_string() + "\n";
    return text;
  }
};

}  // namespace

TEST_F(HostCheck, PreparedHostHasNoFindings) {
  auto found = check_host(config_);
  EXPECT_TRUE(found.empty()) << all(found);
}

TEST_F(HostCheck, PoolgatesOwnRulesAndRoutesAreNoCollision) {
  routes_apply(config_);
  auto found = check_host(config_);
  EXPECT_TRUE(found.empty()) << all(found);
}

TEST_F(HostCheck, ForeignRuleInThePriorityBlockIsAnError) {
  sh("ip -4 rule add priority 10003 lookup main");
  sh("ip -6 rule add priority 10009 from 2001:db8::/32 lookup main");
  sh("ip -4 rule add priority 10010 lookup main");  // just after the block: fine
  auto found = check_host(config_);
  ASSERT_EQ(found.size(), 2u) << all(found);
  const Diagnostic& d = found[0];
  EXPECT_EQ(d.severity, Diagnostic::Severity::Error);
  EXPECT_EQ(d.key, "routing.rule_priority");
  EXPECT_EQ(d.file, "test.toml");
  EXPECT_EQ(d.line, config_.line_of("routing.rule_priority"));
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.message,
            "priority 10003 is taken by IPv4 rule `priority 10003 lookup main`, which poolgate did "
            "not create; poolgate needs priorities 10000..10009 to itself: choose another "
            "rule_priority or remove that rule");
  EXPECT_NE(found[1].message.find("`-6 priority 10009 from 2001:db8::/32 lookup main`"),
            std::string::npos) << found[1].message;
}

TEST_F(HostCheck, ForeignRouteInAPoolTableIsAnError) {
  sh("ip -4 route add 198.51.100.128/25 dev pg0 table 101");
  sh("ip -6 route add 2001:db8:5::/64 dev pg0 table 201 proto static");
  sh("ip -6 route add 2001:db8:6::/64 dev pg0 table 201 proto static");
  auto found = check_host(config_);
  ASSERT_EQ(found.size(), 2u) << all(found);
  EXPECT_EQ(found[0].severity, Diagnostic::Severity::Error);
  EXPECT_EQ(found[0].key, "pool[0].table");
  EXPECT_EQ(found[0].line, config_.line_of("pool[0].table"));
  EXPECT_EQ(found[0].message,
            "table 101 (for 198.51.100.11) already holds routes poolgate did not create: "
            "`198.51.100.128/25 dev pg0 table 101 proto boot scope link metric 0`; choose another "
            "table or empty it");
  EXPECT_EQ(found[1].key, "pool[1].table");
  EXPECT_NE(found[1].message.find("and 1 more"), std::string::npos) << found[1].message;
}

TEST_F(HostCheck, AddressNotAssignedLocallyIsAWarning) {
  Config config = parse_test_config(replace_once(kConfigText, "\"203.0.113.66\"", "\"203.0.113.67\""));
  auto found = check_host(config);
  ASSERT_EQ(found.size(), 1u) << all(found);
  EXPECT_EQ(found[0].severity, Diagnostic::Severity::Warning);
  EXPECT_EQ(found[0].key, "pool[1].addresses[0]");
  EXPECT_EQ(found[0].line, config.line_of("pool[1].addresses[0]"));
  EXPECT_EQ(found[0].message,
            "address 203.0.113.67 is not assigned to any local interface; traffic marked for it "
            "will be unroutable");
  EXPECT_EQ(found[0].to_string(),
            "test.toml:19: warning: pool[1].addresses[0]: address 203.0.113.67 is not assigned to "
            "any local interface; traffic marked for it will be unroutable");
}

TEST_F(HostCheck, TentativeIpv6AddressIsAWarning) {
  // On an interface that is down, a new IPv6 address stays tentative:
  // duplicate address detection has not run.
  sh("ip -6 addr del 2001:db8:203::66/128 dev pg0");
  sh("ip link add pg1 type veth peer name pg1peer");
  sh("ip -6 addr add 2001:db8:203::66/128 dev pg1");
  ASSERT_NE(sh("ip -6 addr show dev pg1").find("tentative"), std::string::npos);
  auto found = check_host(config_);
  ASSERT_EQ(found.size(), 1u) << all(found);
  EXPECT_EQ(found[0].key, "pool[1].addresses[1]");
  EXPECT_NE(found[0].message.find("is assigned but tentative"), std::string::npos);
}

TEST_F(HostCheck, MirrorTableWithoutDefaultRouteIsAWarning) {
  sh("ip -6 route del default");
  auto found = check_host(config_);
  ASSERT_EQ(found.size(), 1u) << all(found);
  EXPECT_EQ(found[0].severity, Diagnostic::Severity::Warning);
  EXPECT_EQ(found[0].key, "routing.mirror_table");
  EXPECT_NE(found[0].message.find("table main has no IPv6 default route"), std::string::npos)
      << found[0].message;
}

TEST_F(HostCheck, ForeignRuleAndRouteSurviveApplyAndFlushAndAreReported) {
  sh("ip -4 rule add priority 10001 lookup main");
  sh("ip -4 route add 198.51.100.128/25 dev pg0 table 100");
  routes_apply(config_);
  routes_flush(config_);
  EXPECT_NE(sh("ip -4 rule show").find("10001:\tfrom all lookup main"), std::string::npos);
  EXPECT_NE(sh("ip -4 route show table 100").find("198.51.100.128/25 dev pg0"),
            std::string::npos);
  auto found = check_host(config_);
  ASSERT_EQ(found.size(), 2u) << all(found);
  EXPECT_EQ(found[0].key, "routing.rule_priority");
  EXPECT_EQ(found[1].key, "pool[0].table");
}

TEST_F(HostCheck, MissingInterfaceIsAWarning) {
  // pg0 exists in the private host; nosuch0 does not.
  const Diagnostic only = [&] {
    auto found = check_host(
        parse_test_config(replace_once(kConfigText, "[\"pg0\"]", "[\"pg0\", \"nosuch0\"]")));
    EXPECT_EQ(found.size(), 1u) << all(found);
    return found.empty() ? Diagnostic{} : found.front();
  }();
  EXPECT_TRUE(only.severity == Diagnostic::Severity::Warning && only.key == "kernel.interfaces")
      << only.to_string();
  EXPECT_EQ(only.message,
            "interface nosuch0 does not exist on this host; `poolgate run` and `bpf attach` will "
            "fail until it does");
}
