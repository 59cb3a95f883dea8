// The one domain normaliser (mail/domain_name.h): what every folder compares
// recipient, sender, internal and [[delivery.destination]] domains with.
#include "mail/domain_name.h"

#include <gtest/gtest.h>

#include <string>

using namespace poolgate;

namespace {

struct Row {
  const char* why;
  std::string in;
  std::string out;
};

TEST(MailDomainName, NormalizeDomainTable) {
  const Row rows[] = {
      {"upper case", "Example.ORG", "example.org"},
      {"final dot", "example.org.", "example.org"},
      {"upper case and final dot", "MAIL.Example.Org.", "mail.example.org"},
      {"surrounding space", " \texample.org \r\n", "example.org"},
      {"space and final dot", "  Example.org.  ", "example.org"},
      {"empty", "", ""},
      {"only a dot", ".", ""},
      {"domain literal untouched", "[IPv6:2001:DB8::1]", "[IPv6:2001:DB8::1]"},
      {"domain literal trimmed only", "  [192.0.2.1]  ", "[192.0.2.1]"},
      {"U-label to A-label", "B\xC3\xBC" "cher.Example", "xn--bcher-kva.example"},
      {"U-label, final dot", "b\xC3\xBC" "cher.example.", "xn--bcher-kva.example"},
      {"A-label kept", "XN--BCHER-KVA.example", "xn--bcher-kva.example"},
      {"invalid IDN kept (not UTF-8), ASCII lower-cased", "Ex\xFF" "ample.ORG",
       "ex\xFF" "ample.org"},
  };
  for (const Row& row : rows) EXPECT_EQ(normalize_domain(row.in), row.out) << row.why;
}

TEST(MailDomainName, UnicodeAndAsciiSpellingsAreOneDomain) {
  EXPECT_EQ(normalize_domain("B\xC3\xBC" "cher.Example"), normalize_domain("xn--bcher-kva.EXAMPLE."));
}

TEST(MailDomainName, IsDomainLiteral) {
  EXPECT_TRUE(is_domain_literal("[192.0.2.1]"));
  EXPECT_TRUE(is_domain_literal("[IPv6:2001:db8::1]"));
  EXPECT_FALSE(is_domain_literal("example.org"));
  EXPECT_FALSE(is_domain_literal(""));
}

TEST(MailDomainName, AddressDomainTable) {
  const Row rows[] = {
      {"plain", "user@Example.ORG", "example.org"},
      {"final dot", "user@example.org.", "example.org"},
      {"several '@': the last one", "\"a@b\"@Example.NET", "example.net"},
      {"several '@', unquoted", "a@b@c.Example", "c.example"},
      {"no '@'", "postmaster", ""},
      {"null sender", "", ""},
      {"nothing after '@'", "user@", ""},
      {"domain literal", "user@[192.0.2.1]", "[192.0.2.1]"},
      {"U-label", "user@B\xC3\xBC" "cher.example", "xn--bcher-kva.example"},
  };
  for (const Row& row : rows) EXPECT_EQ(address_domain(row.in), row.out) << row.why;
}

}  // namespace
