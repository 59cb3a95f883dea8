// The pieces under resolve_next_hops: domain normalisation, domain literals
// (RFC 5321 4.1.3), which addresses count as this host, MX host ordering.
#include "mx/address_class.h"
#include "mx/domain_name.h"
#include "mx/mx_hosts.h"

#include <gtest/gtest.h>

using namespace poolgate;
namespace asio = boost::asio;

namespace {

AddressClass classify(const char* text, IsLocal is_local = {}) {
  return classify_address(asio::ip::make_address(text), is_local);
}

}  // namespace

TEST(MxDomainName, NormalizesCaseAndOneTrailingDot) {
  EXPECT_EQ(normalize_domain("Example.ORG."), "example.org");
  EXPECT_EQ(normalize_domain("  example.org  "), "example.org");
  EXPECT_EQ(normalize_domain("."), "");
  EXPECT_EQ(normalize_domain("[IPv6:2001:DB8::1]"), "[IPv6:2001:DB8::1]");  // literals only trimmed
}

TEST(MxDomainName, ParsesDomainLiterals) {
  EXPECT_EQ(parse_domain_literal("[203.0.113.5]"), asio::ip::make_address("203.0.113.5"));
  EXPECT_EQ(parse_domain_literal("[IPv6:2001:db8::5]"), asio::ip::make_address("2001:db8::5"));
  EXPECT_EQ(parse_domain_literal("[ipv6:2001:DB8::5]"), asio::ip::make_address("2001:db8::5"));
  EXPECT_FALSE(parse_domain_literal("[2001:db8::5]"));     // IPv6 needs the tag
  EXPECT_FALSE(parse_domain_literal("[IPv6:192.0.2.1]"));  // and IPv4 must not have it
  EXPECT_FALSE(parse_domain_literal("[IPv6:]"));
  EXPECT_FALSE(parse_domain_literal("[tag:content]"));     // General-address-literal
  EXPECT_FALSE(parse_domain_literal("[192.0.2.300]"));
  EXPECT_FALSE(parse_domain_literal("[]"));
  EXPECT_FALSE(parse_domain_literal("203.0.113.5"));
  EXPECT_EQ(format_domain_literal(asio::ip::make_address("2001:DB8::5")), "[IPv6:2001:db8::5]");
  EXPECT_EQ(format_domain_literal(asio::ip::make_address("203.0.113.5")), "[203.0.113.5]");
}

TEST(MxDomainName, RecognisesAddressExchanges) {
  EXPECT_TRUE(is_address_exchange("192.0.2.1"));
  EXPECT_TRUE(is_address_exchange("192.0.2.1."));
  EXPECT_TRUE(is_address_exchange("[192.0.2.1]"));
  EXPECT_TRUE(is_address_exchange("2001:db8::1"));
  EXPECT_FALSE(is_address_exchange("mx.example.org"));
  EXPECT_FALSE(is_address_exchange("192.0.2.1.example.org"));
}

TEST(MxAddressClass, ThisHostIsLoop) {
  for (const char* text : {"127.0.0.1", "127.1.2.3", "0.0.0.0", "0.1.2.3", "::1", "::",
                           "::ffff:127.0.0.1", "::ffff:0.0.0.0"})
    EXPECT_EQ(classify(text), AddressClass::Loop) << text;
  IsLocal ours = [](const asio::ip::address& a) { return a == asio::ip::make_address("192.0.2.7"); };
  EXPECT_EQ(classify("192.0.2.7", ours), AddressClass::Loop);
  EXPECT_EQ(classify("192.0.2.8", ours), AddressClass::Usable);
}

TEST(MxAddressClass, UnroutableAreUnusable) {
  for (const char* text : {"224.0.0.1", "239.1.1.1", "255.255.255.255", "ff02::1", "fe80::1",
                           "::ffff:192.0.2.1"})
    EXPECT_EQ(classify(text), AddressClass::Unusable) << text;
  for (const char* text : {"192.0.2.1", "2001:db8::1", "10.0.0.1"})
    EXPECT_EQ(classify(text), AddressClass::Usable) << text;
}

TEST(MxHosts, OrdersDropsAndCaps) {
  std::mt19937 rng(1);
  std::vector<std::string> notes;
  std::vector<MxHost> hosts = order_mx_hosts(
      {{20, "B.example.org."}, {10, "a.example.org"}, {30, "."}, {5, "192.0.2.1"}, {40, "a.example.org"}},
      rng, notes);
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "a.example.org");
  EXPECT_EQ(hosts[0].preference, 10);
  EXPECT_EQ(hosts[1].name, "b.example.org");
  EXPECT_EQ(notes.size(), 2u);  // "." and the address; the duplicate silently

  std::vector<poolgate::MxRecord> many;
  for (int i = 0; i < 12; ++i) many.push_back({10, "mx" + std::to_string(i) + ".example.org"});
  EXPECT_EQ(order_mx_hosts(many, rng, notes).size(), kMaxMxHosts);
}
