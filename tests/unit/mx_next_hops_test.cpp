// resolve_next_hops against a scripted DNS: RFC 5321 5.1 ordering, implicit
// MX, RFC 7505 null MX, and which failures bounce (PermFail) and which are
// retried (TempFail).
#include "mx/next_hops.h"
#include "mx/mx_hosts.h"

#include "dns_test_support.h"
#include "mx_test_support.h"

#include <gtest/gtest.h>

#include <set>

using namespace poolgate;
using poolgate::Status;
using poolgate::testing::FakeDns;
using poolgate::testing::run_until_done;
namespace asio = boost::asio;

namespace {

class NextHopsTest : public ::testing::Test {
 protected:
  NextHopPlan resolve(const std::string& domain, Families families = {}, uint32_t seed = 1) {
    std::mt19937 rng(seed);
    std::set<asio::ip::address> local = local_;
    auto is_local = [local](const asio::ip::address& address) { return local.count(address) > 0; };
    return run_until_done(io_, resolve_next_hops(dns_, domain, families, is_local, rng));
  }

  // "host preference address" per hop, for compact expectations.
  static std::vector<std::string> hops(const NextHopPlan& plan) {
    std::vector<std::string> out;
    for (const NextHop& hop : plan.hops)
      out.push_back(hop.host + " " + std::to_string(hop.preference) + " " + hop.address.to_string());
    return out;
  }

  static void expect_reply(const NextHopPlan& plan, PlanStatus status, int code,
                           const std::string& enhanced) {
    EXPECT_EQ(plan.status, status) << plan.reply.str() << " | " << plan.detail;
    EXPECT_EQ(plan.reply.code, code) << plan.reply.str();
    EXPECT_EQ(plan.reply.enhanced, enhanced) << plan.reply.str();
    EXPECT_TRUE(plan.hops.empty());
  }

  asio::io_context io_;
  FakeDns dns_;
  std::set<asio::ip::address> local_;
};

using Hops = std::vector<std::string>;

}  // namespace

TEST_F(NextHopsTest, MxHostsInPreferenceOrder) {
  dns_.set_mx("example.org", {{20, "mx2.example.org"}, {10, "mx1.example.org"}, {30, "mx3.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"192.0.2.1"});
  dns_.a["mx2.example.org"] = FakeDns::addresses({"192.0.2.2"});
  dns_.a["mx3.example.org"] = FakeDns::addresses({"192.0.2.3"});
  NextHopPlan plan = resolve("example.org");
  ASSERT_EQ(plan.status, PlanStatus::Ok) << plan.detail;
  EXPECT_EQ(hops(plan), (Hops{"mx1.example.org 10 192.0.2.1", "mx2.example.org 20 192.0.2.2",
                              "mx3.example.org 30 192.0.2.3"}));
  for (const NextHop& hop : plan.hops) EXPECT_FALSE(hop.implicit);
  EXPECT_NE(plan.detail.find("MX example.org: ok"), std::string::npos) << plan.detail;
}

TEST_F(NextHopsTest, EqualPreferencesAreShuffledUnequalNeverReordered) {
  dns_.set_mx("example.org", {{10, "a.example.org"}, {10, "b.example.org"}, {5, "first.example.org"},
                              {20, "last.example.org"}});
  dns_.a["first.example.org"] = FakeDns::addresses({"192.0.2.1"});
  dns_.a["a.example.org"] = FakeDns::addresses({"192.0.2.10"});
  dns_.a["b.example.org"] = FakeDns::addresses({"192.0.2.11"});
  dns_.a["last.example.org"] = FakeDns::addresses({"192.0.2.99"});
  std::set<std::string> middle_orders;
  for (uint32_t seed = 0; seed < 40; ++seed) {
    NextHopPlan plan = resolve("example.org", {}, seed);
    ASSERT_EQ(plan.hops.size(), 4u) << plan.detail;
    EXPECT_EQ(plan.hops.front().host, "first.example.org");
    EXPECT_EQ(plan.hops.back().host, "last.example.org");
    middle_orders.insert(plan.hops[1].host + "," + plan.hops[2].host);
  }
  EXPECT_EQ(middle_orders, (std::set<std::string>{"a.example.org,b.example.org",
                                                   "b.example.org,a.example.org"}));
}

TEST_F(NextHopsTest, SameSeedSamePlan) {
  dns_.set_mx("example.org", {{10, "a.example.org"}, {10, "b.example.org"}, {10, "c.example.org"}});
  dns_.a["a.example.org"] = FakeDns::addresses({"192.0.2.1"});
  dns_.a["b.example.org"] = FakeDns::addresses({"192.0.2.2"});
  dns_.a["c.example.org"] = FakeDns::addresses({"192.0.2.3"});
  EXPECT_EQ(hops(resolve("example.org", {}, 7)), hops(resolve("example.org", {}, 7)));
}

TEST_F(NextHopsTest, Ipv6BeforeIpv4WithinEachHost) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"192.0.2.1"});
  dns_.aaaa["mx1.example.org"] = FakeDns::addresses({"2001:db8::1"});
  dns_.a["mx2.example.org"] = FakeDns::addresses({"192.0.2.2"});
  dns_.aaaa["mx2.example.org"] = FakeDns::addresses({"2001:db8::2"});
  NextHopPlan plan = resolve("example.org");
  ASSERT_EQ(plan.status, PlanStatus::Ok) << plan.detail;
  EXPECT_EQ(hops(plan), (Hops{"mx1.example.org 10 2001:db8::1", "mx1.example.org 10 192.0.2.1",
                              "mx2.example.org 20 2001:db8::2", "mx2.example.org 20 192.0.2.2"}));
}

TEST_F(NextHopsTest, FamiliesThePoolLacksAreNotLookedUp) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"192.0.2.1"});
  dns_.aaaa["mx1.example.org"] = FakeDns::addresses({"2001:db8::1"});

  NextHopPlan v4_only = resolve("example.org", {.v4 = true, .v6 = false});
  EXPECT_EQ(hops(v4_only), (Hops{"mx1.example.org 10 192.0.2.1"}));
  EXPECT_EQ(dns_.calls["AAAA mx1.example.org"], 0);

  NextHopPlan v6_only = resolve("example.org", {.v4 = false, .v6 = true});
  EXPECT_EQ(hops(v6_only), (Hops{"mx1.example.org 10 2001:db8::1"}));
  EXPECT_EQ(dns_.calls["A mx1.example.org"], 1);  // only from the v4-only run
}

TEST_F(NextHopsTest, OnlyAFamilyThePoolLacksIsATempFailNamingIt) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::status(Status::NoData);
  dns_.aaaa["mx1.example.org"] = FakeDns::addresses({"2001:db8::1"});
  NextHopPlan plan = resolve("example.org", {.v4 = true, .v6 = false});
  expect_reply(plan, PlanStatus::TempFail, 451, "4.4.4");
  EXPECT_NE(plan.detail.find("IPv6"), std::string::npos) << plan.detail;
  EXPECT_NE(plan.reply.str().find("IPv6"), std::string::npos) << plan.reply.str();

  dns_.mx.clear();
  dns_.set_mx("v4.example.org", {{10, "mx4.example.org"}});
  dns_.a["mx4.example.org"] = FakeDns::addresses({"192.0.2.4"});
  NextHopPlan v4 = resolve("v4.example.org", {.v4 = false, .v6 = true});
  expect_reply(v4, PlanStatus::TempFail, 451, "4.4.4");
  EXPECT_NE(v4.detail.find("IPv4"), std::string::npos) << v4.detail;
}

TEST_F(NextHopsTest, ImplicitMxUsesTheDomainsOwnAddresses) {
  dns_.set_mx_status("example.org", Status::NoData);
  dns_.a["example.org"] = FakeDns::addresses({"192.0.2.80"});
  dns_.aaaa["example.org"] = FakeDns::addresses({"2001:db8::80"});
  NextHopPlan plan = resolve("example.org");
  ASSERT_EQ(plan.status, PlanStatus::Ok) << plan.detail;
  EXPECT_EQ(hops(plan), (Hops{"example.org 0 2001:db8::80", "example.org 0 192.0.2.80"}));
  for (const NextHop& hop : plan.hops) EXPECT_TRUE(hop.implicit);
}

TEST_F(NextHopsTest, ImplicitMxWithoutAddressIsPermFail) {
  dns_.set_mx_status("example.org", Status::NoData);
  dns_.a["example.org"] = FakeDns::status(Status::NoData);
  // AAAA: not scripted, so NXDOMAIN
  NextHopPlan plan = resolve("example.org");
  expect_reply(plan, PlanStatus::PermFail, 550, "5.1.2");
  EXPECT_NE(plan.reply.str().find("no MX and no address"), std::string::npos) << plan.reply.str();
}

TEST_F(NextHopsTest, ImplicitMxTempFailIsTempFail) {
  dns_.set_mx_status("example.org", Status::NoData);
  dns_.a["example.org"] = FakeDns::status(Status::TempFail);
  dns_.aaaa["example.org"] = FakeDns::status(Status::NoData);
  expect_reply(resolve("example.org"), PlanStatus::TempFail, 451, "4.4.3");
}

TEST_F(NextHopsTest, NullMxBouncesWithoutAnyAddressLookup) {
  dns_.set_null_mx("example.org");
  dns_.a["example.org"] = FakeDns::addresses({"192.0.2.80"});  // must not be used
  NextHopPlan plan = resolve("example.org");
  expect_reply(plan, PlanStatus::PermFail, 556, "5.1.10");
  EXPECT_EQ(plan.reply.lines, (std::vector<std::string>{"Recipient address has null MX"}));
  EXPECT_EQ(dns_.address_lookups(), 0);
}

TEST_F(NextHopsTest, UnflaggedSingleDotIsStillANullMx) {
  dns_.set_mx("example.org", {{0, "."}});
  dns_.a["example.org"] = FakeDns::addresses({"192.0.2.80"});
  expect_reply(resolve("example.org"), PlanStatus::PermFail, 556, "5.1.10");
  EXPECT_EQ(dns_.address_lookups(), 0);
}

TEST_F(NextHopsTest, NxDomainBouncesWithoutAddressLookups) {
  NextHopPlan plan = resolve("gone.example.org");  // nothing scripted: NXDOMAIN
  expect_reply(plan, PlanStatus::PermFail, 550, "5.1.2");
  EXPECT_EQ(dns_.address_lookups(), 0);
  EXPECT_NE(plan.detail.find("MX gone.example.org: nxdomain"), std::string::npos) << plan.detail;
}

TEST_F(NextHopsTest, MxTempFailOrMalformedIsNeverPermFail) {
  for (Status status : {Status::TempFail, Status::Malformed}) {
    dns_.mx.clear();
    dns_.set_mx_status("example.org", status);
    dns_.a["example.org"] = FakeDns::status(Status::NxDomain);
    expect_reply(resolve("example.org"), PlanStatus::TempFail, 451, "4.4.3");
  }
  EXPECT_EQ(dns_.address_lookups(), 0);  // no implicit-MX fallback on a failed MX lookup
}

TEST_F(NextHopsTest, AllAddressLookupsTempFailIsTempFail) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::status(Status::TempFail);
  dns_.aaaa["mx1.example.org"] = FakeDns::status(Status::TempFail);
  dns_.a["mx2.example.org"] = FakeDns::status(Status::Malformed);
  dns_.aaaa["mx2.example.org"] = FakeDns::status(Status::TempFail);
  NextHopPlan plan = resolve("example.org");
  expect_reply(plan, PlanStatus::TempFail, 451, "4.4.3");
  EXPECT_NE(plan.detail.find("A mx1.example.org: tempfail (timeout)"), std::string::npos)
      << plan.detail;
}

TEST_F(NextHopsTest, OneTempFailAmongDefiniteNoAddressIsStillTempFail) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::status(Status::TempFail);
  dns_.aaaa["mx1.example.org"] = FakeDns::status(Status::NoData);
  // mx2: NXDOMAIN for both
  expect_reply(resolve("example.org"), PlanStatus::TempFail, 451, "4.4.3");
}

TEST_F(NextHopsTest, OneMxTempFailsTheOtherAnswers) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::status(Status::TempFail);
  dns_.aaaa["mx1.example.org"] = FakeDns::status(Status::TempFail);
  dns_.a["mx2.example.org"] = FakeDns::addresses({"192.0.2.2"});
  NextHopPlan plan = resolve("example.org");
  ASSERT_EQ(plan.status, PlanStatus::Ok) << plan.detail;
  EXPECT_EQ(hops(plan), (Hops{"mx2.example.org 20 192.0.2.2"}));
}

TEST_F(NextHopsTest, NoAddressForAnyMxIsUnableToRoute) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::status(Status::NoData);
  dns_.aaaa["mx1.example.org"] = FakeDns::status(Status::NoData);
  // mx2: NXDOMAIN
  expect_reply(resolve("example.org"), PlanStatus::PermFail, 550, "5.4.4");
}

TEST_F(NextHopsTest, LoopbackAndLocalAddressesAreSkipped) {
  local_ = {asio::ip::make_address("198.51.100.7")};
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] =
      FakeDns::addresses({"127.0.0.1", "0.0.0.0", "224.0.0.1", "198.51.100.7", "192.0.2.1"});
  dns_.aaaa["mx1.example.org"] =
      FakeDns::addresses({"::1", "::", "::ffff:127.0.0.1", "ff02::1", "fe80::1"});
  dns_.a["mx2.example.org"] = FakeDns::addresses({"127.0.0.53"});
  NextHopPlan plan = resolve("example.org");
  ASSERT_EQ(plan.status, PlanStatus::Ok) << plan.detail;
  EXPECT_EQ(hops(plan), (Hops{"mx1.example.org 10 192.0.2.1"}));
  EXPECT_NE(plan.detail.find("127.0.0.1 (this host, skipped)"), std::string::npos) << plan.detail;
}

TEST_F(NextHopsTest, EverythingLocalLoopsBackToMyself) {
  local_ = {asio::ip::make_address("198.51.100.7"), asio::ip::make_address("2001:db8::7")};
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"198.51.100.7"});
  dns_.aaaa["mx1.example.org"] = FakeDns::addresses({"2001:db8::7"});
  dns_.a["mx2.example.org"] = FakeDns::addresses({"127.0.0.1"});
  NextHopPlan plan = resolve("Example.ORG.");
  expect_reply(plan, PlanStatus::PermFail, 554, "5.4.6");
  EXPECT_EQ(plan.reply.lines, (std::vector<std::string>{"mail for example.org loops back to myself"}));
}

TEST_F(NextHopsTest, DomainIsLowerCasedAndTrailingDotStripped) {
  dns_.set_mx("example.org", {{10, "MX1.Example.ORG."}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"192.0.2.1"});
  NextHopPlan plan = resolve("ExAmPle.Org.");
  EXPECT_EQ(hops(plan), (Hops{"mx1.example.org 10 192.0.2.1"}));
  EXPECT_EQ(dns_.calls["MX example.org"], 1);
  EXPECT_EQ(dns_.total_lookups(), 3);  // MX, AAAA, A: nothing under the original spelling
}

TEST_F(NextHopsTest, AddressesAndHostsAreDeduplicated) {
  dns_.set_mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}, {30, "mx1.example.org"}});
  dns_.a["mx1.example.org"] = FakeDns::addresses({"192.0.2.1", "192.0.2.1"});
  dns_.a["mx2.example.org"] = FakeDns::addresses({"192.0.2.1", "192.0.2.2"});
  NextHopPlan plan = resolve("example.org");
  EXPECT_EQ(hops(plan), (Hops{"mx1.example.org 10 192.0.2.1", "mx2.example.org 20 192.0.2.2"}));
  EXPECT_EQ(dns_.calls["A mx1.example.org"], 1);
}

TEST_F(NextHopsTest, AddressAndDotExchangesAreSkipped) {
  dns_.set_mx("example.org",
              {{5, "192.0.2.9"}, {6, "[192.0.2.10]"}, {7, "2001:db8::9"}, {8, "."}, {10, "mx.example.org"}});
  dns_.a["mx.example.org"] = FakeDns::addresses({"192.0.2.1"});
  NextHopPlan plan = resolve("example.org");
  EXPECT_EQ(hops(plan), (Hops{"mx.example.org 10 192.0.2.1"}));
  EXPECT_EQ(dns_.total_lookups(), 3);  // MX, AAAA mx, A mx

  dns_.set_mx("literals.example.org", {{10, "192.0.2.9"}, {20, "."}});
  NextHopPlan none = resolve("literals.example.org");
  expect_reply(none, PlanStatus::PermFail, 550, "5.4.4");
  EXPECT_NE(none.detail.find("192.0.2.9 skipped"), std::string::npos) << none.detail;
}

TEST_F(NextHopsTest, MxHostsAndAddressesAreCapped) {
  std::vector<std::pair<uint16_t, std::string>> records;
  for (int i = 0; i < 15; ++i) {
    const std::string host = "mx" + std::to_string(i) + ".example.org";
    records.push_back({static_cast<uint16_t>(i), host});
    dns_.a[host] = FakeDns::addresses({"192.0.2." + std::to_string(i + 1)});
  }
  dns_.set_mx("example.org", records);
  NextHopPlan plan = resolve("example.org", {.v4 = true, .v6 = false});
  ASSERT_EQ(plan.hops.size(), kMaxMxHosts);
  EXPECT_EQ(plan.hops.back().host, "mx9.example.org");
  EXPECT_EQ(dns_.calls["A mx10.example.org"], 0);

  std::vector<std::string> many;
  for (int i = 1; i <= 8; ++i) many.push_back("198.51.100." + std::to_string(i));
  dns_.set_mx("big.example.org", {{10, "big-mx.example.org"}});
  dns_.a["big-mx.example.org"] = FakeDns::addresses(many);
  std::set<std::string> reached;
  for (uint32_t seed = 0; seed < 30; ++seed) {
    NextHopPlan big = resolve("big.example.org", {.v4 = true, .v6 = false}, seed);
    ASSERT_EQ(big.hops.size(), kMaxAddressesPerFamily);
    for (const NextHop& hop : big.hops) reached.insert(hop.address.to_string());
  }
  EXPECT_EQ(reached.size(), many.size());  // shuffled before the cut: all reachable over attempts
}

TEST_F(NextHopsTest, PlanStopsAtMaxHopsWithoutResolvingTheRest) {
  std::vector<std::pair<uint16_t, std::string>> records;
  for (int i = 0; i < 10; ++i) {
    const std::string host = "mx" + std::to_string(i) + ".example.org";
    records.push_back({static_cast<uint16_t>(10 * i), host});
    const std::string prefix = "192.0." + std::to_string(i) + ".";
    dns_.a[host] = FakeDns::addresses({prefix + "1", prefix + "2", prefix + "3"});
  }
  dns_.set_mx("example.org", records);
  NextHopPlan plan = resolve("example.org", {.v4 = true, .v6 = false});
  ASSERT_EQ(plan.hops.size(), kMaxHops);
  EXPECT_EQ(plan.hops.back().host, "mx6.example.org");  // 7 x 3 = 21: cut inside mx6
  EXPECT_EQ(dns_.calls["A mx6.example.org"], 1);
  EXPECT_EQ(dns_.calls["A mx7.example.org"], 0);
  EXPECT_NE(plan.detail.find("mx7.example.org and later ones not resolved"), std::string::npos)
      << plan.detail;
}

TEST_F(NextHopsTest, DomainLiteralsConnectDirectly) {
  NextHopPlan v4 = resolve("[203.0.113.5]");
  ASSERT_EQ(v4.status, PlanStatus::Ok) << v4.detail;
  EXPECT_EQ(hops(v4), (Hops{"[203.0.113.5] 0 203.0.113.5"}));
  EXPECT_TRUE(v4.hops[0].implicit);

  NextHopPlan v6 = resolve("[ipv6:2001:DB8::5]");
  ASSERT_EQ(v6.status, PlanStatus::Ok) << v6.detail;
  EXPECT_EQ(hops(v6), (Hops{"[IPv6:2001:db8::5] 0 2001:db8::5"}));
  EXPECT_EQ(dns_.total_lookups(), 0);
}

TEST_F(NextHopsTest, DomainLiteralFailures) {
  local_ = {asio::ip::make_address("198.51.100.7")};
  expect_reply(resolve("[2001:db8::5]"), PlanStatus::PermFail, 550, "5.1.3");  // no IPv6: tag
  expect_reply(resolve("[IPv6:192.0.2.1]"), PlanStatus::PermFail, 550, "5.1.3");
  expect_reply(resolve("[x400:whatever]"), PlanStatus::PermFail, 550, "5.1.3");
  expect_reply(resolve("[127.0.0.1]"), PlanStatus::PermFail, 554, "5.4.6");
  expect_reply(resolve("[198.51.100.7]"), PlanStatus::PermFail, 554, "5.4.6");
  expect_reply(resolve("[224.0.0.1]"), PlanStatus::PermFail, 550, "5.4.4");
  expect_reply(resolve("[IPv6:2001:db8::5]", {.v4 = true, .v6 = false}), PlanStatus::TempFail, 451,
               "4.4.4");
  EXPECT_EQ(dns_.total_lookups(), 0);
}

TEST_F(NextHopsTest, EmptyDomainIsPermFail) {
  expect_reply(resolve("."), PlanStatus::PermFail, 550, "5.1.2");
  EXPECT_EQ(dns_.total_lookups(), 0);
}
