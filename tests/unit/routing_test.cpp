// routes apply / show / flush against a real kernel, each test in its own
// network namespace (see routing_netns.h): what gets installed, idempotence,
// flush restoring the host, fail-closed behaviour, following the mirror table,
// and leaving other tools' rules and routes alone.
#include "common/operator_error.h"
#include "common/text_lines.h"
#include "routing/policy_routes.h"
#include "routing_netns.h"

#include <gtest/gtest.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <regex>

using namespace poolgate;
using namespace poolgate::testing;

namespace {

class Routing : public PrivateHost {
 protected:
  std::string apply() { return apply(config_); }
  std::string apply(const Config& config) {
    return as_text(routes_apply(config).lines());
  }
  // Runs apply with CAP_NET_ADMIN dropped from the effective set (only there,
  // so it can be raised again); returns the OperatorError's message.
  std::string apply_without_cap_net_admin() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2] = {};
    EXPECT_EQ(::syscall(SYS_capget, &header, caps), 0);
    const __u32 saved = caps[0].effective;
    caps[0].effective &= ~(1u << CAP_NET_ADMIN);
    EXPECT_EQ(::syscall(SYS_capset, &header, caps), 0);
    std::string message = "(no error)";
    try {
      routes_apply(config_);
    } catch (const OperatorError& e) {
      message = e.what();
    }
    caps[0].effective = saved;
    EXPECT_EQ(::syscall(SYS_capset, &header, caps), 0);
    return message;
  }
  int show(std::string* text = nullptr) {
    const RoutesShowReport report = routes_show(config_);
    if (text) *text = as_text(report.lines());
    return report.exit_code();
  }
  std::string flush() {
    return as_text(routes_flush(config_).lines());
  }
};

// `ip route get` for marked traffic: the kernel's own answer to "where would
// this go, from which source?".
CommandResult route_get(const std::string& family, const std::string& target,
                        const std::string& mark) {
  return run("ip " + family + " route get " + target + " mark " + mark);
}

// An unreachable rule answers ENETUNREACH ("Network is unreachable"), an
// unreachable route EHOSTUNREACH ("No route to host"): both fail closed.
void expect_unreachable(const CommandResult& result) {
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_TRUE(result.output.find("Network is unreachable") != std::string::npos ||
              result.output.find("No route to host") != std::string::npos)
      << result.output;
}

void expect_source(const CommandResult& result, const std::string& source) {
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("src " + source + " "), std::string::npos) << result.output;
}

}  // namespace

TEST_F(Routing, ApplyInstallsRulesAndPoolTablesForBothFamilies) {
  std::string out = apply();
  EXPECT_NE(out.find("added 20, removed 0, unchanged 0"), std::string::npos) << out;

  std::string rules4 = sh("ip -4 rule show");
  EXPECT_NE(rules4.find("10000:\tfrom all fwmark 0x100/0xfff lookup 100 proto 233"),
            std::string::npos) << rules4;
  EXPECT_NE(rules4.find("10001:\tfrom all fwmark 0x100/0xfff unreachable proto 233"),
            std::string::npos) << rules4;
  EXPECT_NE(rules4.find("10006:\tfrom all fwmark 0x200/0xfff lookup 200 proto 233"),
            std::string::npos) << rules4;
  EXPECT_EQ(rules4.find("10004:"), std::string::npos) << "IPv6 slot in the IPv4 rules:\n"
                                                      << rules4;
  std::string rules6 = sh("ip -6 rule show");
  EXPECT_NE(rules6.find("10004:\tfrom all fwmark 0x102/0xfff lookup 102 proto 233"),
            std::string::npos) << rules6;
  EXPECT_NE(rules6.find("10009:\tfrom all fwmark 0x201/0xfff unreachable proto 233"),
            std::string::npos) << rules6;

  EXPECT_EQ(sh("ip -4 route show table 100"),
            "default via 198.51.100.1 dev pg0 proto 233 src 198.51.100.10 \n"
            "unreachable default proto 233 metric 4294967295 \n");
  EXPECT_EQ(sh("ip -4 route show table 200"),
            "default via 198.51.100.1 dev pg0 proto 233 src 203.0.113.66 \n"
            "unreachable default proto 233 metric 4294967295 \n");
  std::string table102 = sh("ip -6 route show table 102");
  EXPECT_NE(table102.find("default via 2001:db8:100::1 dev pg0 proto 233 src 2001:db8:100::10 "
                          "metric 1024"),
            std::string::npos) << table102;
  EXPECT_NE(table102.find("unreachable default dev lo proto 233 metric 4294967295"),
            std::string::npos) << table102;
}

TEST_F(Routing, ApplyTwiceChangesNothing) {
  apply();
  std::string once = routing_state();
  std::string out = apply();
  EXPECT_NE(out.find("added 0, removed 0, unchanged 20"), std::string::npos) << out;
  EXPECT_EQ(routing_state(), once);
}

TEST_F(Routing, FlushRestoresTheHostAsItWasBeforeApply) {
  std::string before = routing_state();
  apply();
  ASSERT_NE(routing_state(), before);
  std::string out = flush();
  EXPECT_NE(out.find("removed 10 rules and 10 routes"), std::string::npos) << out;
  EXPECT_EQ(routing_state(), before);
}

TEST_F(Routing, MarkedTrafficLeavesFromThePoolAddress) {
  apply();
  expect_source(route_get("-4", "203.0.113.200", "0x100"), "198.51.100.10");
  expect_source(route_get("-4", "203.0.113.200", "0x101"), "198.51.100.11");
  expect_source(route_get("-4", "203.0.113.200", "0x200"), "203.0.113.66");
  expect_source(route_get("-6", "2001:db8:ffff::25", "0x102"), "2001:db8:100::10");
  expect_source(route_get("-6", "2001:db8:ffff::25", "0x201"), "2001:db8:203::66");
  // Bits outside fwmark_mask belong to others and do not change the choice.
  expect_source(route_get("-4", "203.0.113.200", "0x4100"), "198.51.100.10");
  // Unmarked traffic still uses main.
  expect_source(run("ip -4 route get 203.0.113.200"), "198.51.100.2");
}

TEST_F(Routing, EmptiedPoolTableFailsClosedAndShowReportsIt) {
  apply();
  EXPECT_EQ(show(), 0);
  sh("ip -4 route flush table 100");  // all of it, the unreachable default too
  sh("ip -6 route flush table 102");  // `ip -6 route flush` keeps the unreachable default
  expect_unreachable(route_get("-4", "203.0.113.200", "0x100"));
  expect_unreachable(route_get("-6", "2001:db8:ffff::25", "0x102"));
  // The other addresses are untouched.
  expect_source(route_get("-4", "203.0.113.200", "0x101"), "198.51.100.11");

  std::string text;
  EXPECT_EQ(show(&text), kExitDrift);
  EXPECT_NE(text.find("  missing     default via 198.51.100.1 dev pg0 table 100 src "
                      "198.51.100.10 metric 0"),
            std::string::npos) << text;
  EXPECT_NE(text.find("drift: 3 missing, 0 unexpected, 0 differing"), std::string::npos) << text;

  std::string out = apply();
  EXPECT_NE(out.find("added 3, removed 0, unchanged 17"), std::string::npos) << out;
  expect_source(route_get("-4", "203.0.113.200", "0x100"), "198.51.100.10");
  EXPECT_EQ(show(&text), 0) << text;
  EXPECT_NE(text.find("no drift: 10 rules and 10 routes as configured"), std::string::npos) << text;
}

TEST_F(Routing, DeletedCopiedRouteHitsTheUnreachableDefault) {
  apply();
  sh("ip -4 route del default via 198.51.100.1 table 100");
  expect_unreachable(route_get("-4", "203.0.113.200", "0x100"));
  EXPECT_EQ(show(), kExitDrift);
}

TEST_F(Routing, DeletedLookupRuleHitsTheUnreachableRule) {
  apply();
  sh("ip -4 rule del priority 10000");
  sh("ip -6 rule del priority 10004");
  expect_unreachable(route_get("-4", "203.0.113.200", "0x100"));
  expect_unreachable(route_get("-6", "2001:db8:ffff::25", "0x102"));
  std::string text;
  EXPECT_EQ(show(&text), kExitDrift);
  EXPECT_NE(text.find("  missing     priority 10000 fwmark 0x100/0xfff lookup 100"),
            std::string::npos) << text;
  EXPECT_NE(text.find("  missing     -6 priority 10004 fwmark 0x102/0xfff lookup 102"),
            std::string::npos) << text;
  apply();
  expect_source(route_get("-4", "203.0.113.200", "0x100"), "198.51.100.10");
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, MirrorDefaultRouteChangeIsCopiedOnApply) {
  apply();
  sh(std::string("ip -4 route replace default via ") + kOtherGatewayV4 + " dev pg0");
  sh(std::string("ip -6 route replace default via ") + kOtherGatewayV6 + " dev pg0");
  std::string text;
  EXPECT_EQ(show(&text), kExitDrift);
  EXPECT_NE(text.find("  differs     want default via 198.51.100.3 dev pg0 table 100"),
            std::string::npos) << text;

  std::string out = apply();
  EXPECT_NE(out.find("added 5, removed 5, unchanged 15 (5 of them replaced in place)"),
            std::string::npos) << out;
  EXPECT_EQ(sh("ip -4 route show table 101"),
            "default via 198.51.100.3 dev pg0 proto 233 src 198.51.100.11 \n"
            "unreachable default proto 233 metric 4294967295 \n");
  EXPECT_NE(sh("ip -6 route show table 201").find("default via 2001:db8:100::3 dev pg0 proto 233 "
                                                  "src 2001:db8:203::66"),
            std::string::npos);
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, MultipathAndOnlinkDefaultRoutesAreCopied) {
  sh("ip -4 route replace default nexthop via 198.51.100.1 dev pg0 weight 1 "
     "nexthop via 198.51.100.3 dev pg0 weight 3");
  // A gateway no route covers: only usable with onlink.
  sh("ip -6 route del default");
  sh("ip -6 route add default via 2001:db8:ffff::1 dev pg0 onlink");
  apply();
  std::string table100 = sh("ip -4 route show table 100");
  EXPECT_NE(table100.find("default proto 233 src 198.51.100.10 \n"
                          "\tnexthop via 198.51.100.1 dev pg0 weight 1 \n"
                          "\tnexthop via 198.51.100.3 dev pg0 weight 3 \n"),
            std::string::npos) << table100;
  std::string table102 = sh("ip -6 route show table 102");
  EXPECT_NE(table102.find("default via 2001:db8:ffff::1 dev pg0 proto 233 src 2001:db8:100::10 "
                          "metric 1024 onlink"),
            std::string::npos) << table102;
  expect_source(route_get("-6", "2001:db8:ffff::25", "0x102"), "2001:db8:100::10");

  std::string once = routing_state();
  EXPECT_NE(apply().find("added 0, removed 0"), std::string::npos);
  EXPECT_EQ(routing_state(), once);
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, MirrorWithoutIpv6DefaultWarnsAndStillFailsClosed) {
  sh("ip -6 route del default");
  std::string out = apply();
  EXPECT_NE(out.find("warning: table main (254) has no IPv6 default route"), std::string::npos)
      << out;
  EXPECT_EQ(sh("ip -6 route show table 102"),
            "unreachable default dev lo proto 233 metric 4294967295 pref medium\n");
  EXPECT_NE(sh("ip -6 rule show").find("fwmark 0x102/0xfff lookup 102"), std::string::npos);
  expect_unreachable(route_get("-6", "2001:db8:ffff::25", "0x102"));
  expect_source(route_get("-4", "203.0.113.200", "0x100"), "198.51.100.10");
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, OthersRulesAndRoutesSurviveApplyAndFlush) {
  sh("ip -4 rule add priority 10003 lookup main");
  sh("ip -4 route add 198.51.100.128/25 dev pg0 table 100");
  sh("ip -6 route add 2001:db8:5::/64 dev pg0 table 201 proto static");
  std::string before = routing_state();
  apply();
  std::string rules = sh("ip -4 rule show");
  EXPECT_NE(rules.find("10003:\tfrom all lookup main"), std::string::npos) << rules;
  EXPECT_NE(rules.find("10003:\tfrom all fwmark 0x101/0xfff unreachable"), std::string::npos);
  std::string text;
  EXPECT_EQ(show(&text), 0) << text;
  EXPECT_NE(text.find("  foreign     198.51.100.128/25 dev pg0 table 100 proto boot scope link"),
            std::string::npos) << text;
  flush();
  EXPECT_EQ(routing_state(), before);
}

TEST_F(Routing, OthersRouteWherePoolRouteBelongsStopsApplyNamingBoth) {
  sh("ip -4 route add default via 198.51.100.1 dev pg0 table 200");
  std::string before = routing_state();
  try {
    apply();
    FAIL() << "apply succeeded";
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "adding route `default via 198.51.100.1 dev pg0 table 200 src 203.0.113.66 "
                  "metric 0`: table 200 already holds `default via 198.51.100.1 dev pg0 table "
                  "200 proto boot metric 0`"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(routing_state(), before) << "apply changed the host before refusing";
}

TEST_F(Routing, StaleEntriesOfAShrunkConfigAreRemoved) {
  apply();
  config_ = parse_test_config(replace_once(
      kConfigText, "[\"203.0.113.66\", \"2001:db8:203::66\"]", "[\"203.0.113.66\"]"));
  std::string out = apply();
  EXPECT_NE(out.find("removed rule `-6 priority 10008 fwmark 0x201/0xfff lookup 201`"),
            std::string::npos) << out;
  EXPECT_NE(out.find("added 0, removed 4, unchanged 16"), std::string::npos) << out;
  EXPECT_EQ(sh("ip -6 route show table 201"), "");
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, ChangedMaskReplacesTheRules) {
  apply();
  config_ = parse_test_config(replace_once(kConfigText, "0x0fff", "0x3fff"));
  std::string out = apply();
  EXPECT_NE(out.find("replaced rule `priority 10000 fwmark 0x100/0xfff lookup 100` with "
                     "`priority 10000 fwmark 0x100/0x3fff lookup 100`"),
            std::string::npos) << out;
  EXPECT_NE(out.find("added 10, removed 10, unchanged 10"), std::string::npos) << out;
  std::string rules = sh("ip -4 rule show");
  EXPECT_EQ(rules.find("/0xfff "), std::string::npos) << rules;
  EXPECT_EQ(show(), 0);
}

TEST_F(Routing, ApplyLoosensStrictReversePathFiltering) {
  write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
  write_file("/proc/sys/net/ipv4/conf/pg0/rp_filter", "1");
  std::string out = apply();
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/conf/pg0/rp_filter"), "2\n");
  EXPECT_NE(out.find("rp_filter: pg0 was strict"), std::string::npos) << out;
  // Already loose: left alone, nothing printed.
  EXPECT_EQ(apply().find("rp_filter"), std::string::npos);
  // all=1 makes pg0=0 strict too (the kernel uses the larger value).
  write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "1");
  write_file("/proc/sys/net/ipv4/conf/pg0/rp_filter", "0");
  out = apply();
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/conf/pg0/rp_filter"), "2\n");
  EXPECT_NE(out.find("rp_filter: pg0 was strict (pg0=0, all=1)"), std::string::npos) << out;
}

TEST_F(Routing, MissingCapNetAdminIsNamedWithTheRoute) {
  std::string message = apply_without_cap_net_admin();
  EXPECT_TRUE(std::regex_search(
      message, std::regex("^adding route `default via 198\\.51\\.100\\.1 dev pg0 table 100 src "
                          "198\\.51\\.100\\.10 metric 0`: Operation not permitted; .*CAP_NET_ADMIN")))
      << message;
  EXPECT_EQ(run("ip -4 route show table 100").output.find("proto 233"), std::string::npos);
}

TEST_F(Routing, RefusedRuleIsNamedInIpRuleSyntax) {
  apply();
  sh("ip -4 rule del priority 10000");
  std::string message = apply_without_cap_net_admin();
  EXPECT_TRUE(std::regex_search(
      message, std::regex("^adding rule `priority 10000 fwmark 0x100/0xfff lookup 100`: "
                          "Operation not permitted; .*CAP_NET_ADMIN")))
      << message;
}
