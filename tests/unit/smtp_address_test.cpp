// RFC 5321 4.1.2 / RFC 6531 address syntax: mailboxes, domains, address
// literals, paths with source routes.
#include "smtp/address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace poolgate;

TEST(SmtpAddress, Mailboxes) {
  struct Case {
    std::string mailbox;
    bool ascii_ok;
    bool utf8_ok;
  };
  std::vector<Case> cases{
      {"user@example.com", true, true},
      {"u@e", true, true},
      {"first.last@example.com", true, true},
      {"!#$%&'*+-/=?^_`{|}~@example.com", true, true},
      {"\"quoted string\"@example.com", true, true},
      {"\"\"@example.com", true, true},  // empty Quoted-string is valid syntax
      {"\"a\\\\b\"@example.com", true, true},
      {"\"a\\ b\"@example.com", true, true},
      {"\"a@b\"@example.com", true, true},
      {"user@[192.0.2.1]", true, true},
      {"user@[IPv6:::1]", true, true},
      {"user@[ipv6:2001:db8::192.0.2.1]", true, true},
      {"user@[x-tag:some-thing]", true, true},
      {"user@123.example", true, true},
      {"user@a-b.example", true, true},
      {"j\xc3\xb6rg@example.com", false, true},
      {"user@b\xc3\xbc" "cher.example", false, true},
      {"\"\xc3\xb6\"@example.com", false, true},
      {"", false, false},
      {"user", false, false},
      {"@example.com", false, false},
      {"user@", false, false},
      {"user@@example.com", false, false},
      {"us@er@example.com", false, false},
      {".user@example.com", false, false},
      {"user.@example.com", false, false},
      {"us..er@example.com", false, false},
      {"us(er@example.com", false, false},
      {"us\"er@example.com", false, false},
      {"\"unterminated@example.com", false, false},
      {"\"a\"b@example.com", false, false},
      {"\"a\\\"@example.com", false, false},
      {"\"tab\there\"@example.com", false, false},
      {"user@example..com", false, false},
      {"user@.example.com", false, false},
      {"user@example.com.", false, false},
      {"user@-example.com", false, false},
      {"user@example-.com", false, false},
      {"user@exa mple.com", false, false},
      {"user@" + std::string(64, 'a') + ".com", false, false},  // label > 63
      {"user@[256.0.0.1]", false, false},
      {"user@[1.2.3]", false, false},
      {"user@[1.2.3.4.5]", false, false},
      {"user@[1.2.3.0004]", false, false},
      {"user@[IPv6:1:2:3]", false, false},
      {"user@[IPv6:]", false, false},
      {"user@[]", false, false},
      {"user@[tag:]", false, false},
      {"user@[tag:a]b]", false, false},
      {"user@192.0.2.1]", false, false},
      {"j\xc3\xb6rg@example.com\xff", false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.mailbox);
    EXPECT_EQ(is_valid_mailbox(c.mailbox, false), c.ascii_ok);
    EXPECT_EQ(is_valid_mailbox(c.mailbox, true), c.utf8_ok);
  }
}

TEST(SmtpAddress, DomainLengthLimits) {
  std::string label63(63, 'a');
  std::string d255 = label63 + "." + label63 + "." + label63 + "." + label63;
  EXPECT_TRUE(is_valid_domain(d255, false));
  EXPECT_FALSE(is_valid_domain(d255 + ".b", false));  // 257 octets, labels fine
  EXPECT_TRUE(is_valid_domain(label63, false));
  EXPECT_FALSE(is_valid_domain(label63 + "a", false));
}

TEST(SmtpAddress, AddressLiterals) {
  EXPECT_TRUE(is_valid_address_literal("[0.0.0.0]"));
  EXPECT_TRUE(is_valid_address_literal("[255.255.255.255]"));
  EXPECT_TRUE(is_valid_address_literal("[001.02.3.4]"));  // Snum = 1*3DIGIT
  EXPECT_TRUE(is_valid_address_literal("[IPv6:2001:db8::1]"));
  EXPECT_TRUE(is_valid_address_literal("[IPv6:::ffff:192.0.2.1]"));
  EXPECT_FALSE(is_valid_address_literal("[IPv6:2001:db8::1::2]"));
  EXPECT_FALSE(is_valid_address_literal("[IPv6:" + std::string(80, '1') + "]"));
  EXPECT_FALSE(is_valid_address_literal("192.0.2.1"));
  EXPECT_FALSE(is_valid_address_literal("[192.0.2.1"));
  EXPECT_FALSE(is_valid_address_literal("[-tag:x]"));
}

TEST(SmtpAddress, Paths) {
  struct Case {
    std::string in;
    PathOptions opts;
    PathStatus status;
    std::string mailbox;
    size_t length;
  };
  PathOptions plain, null_ok, pm, utf8;
  null_ok.allow_null = true;
  pm.allow_postmaster = true;
  utf8.utf8 = true;
  std::vector<Case> cases{
      {"<a@b.example>", plain, PathStatus::Ok, "a@b.example", 13},
      {"<a@b.example> SIZE=1", plain, PathStatus::Ok, "a@b.example", 13},
      {"<>", null_ok, PathStatus::Ok, "", 2},
      {"<>", plain, PathStatus::Syntax, "", 2},
      {"<Postmaster>", pm, PathStatus::Ok, "Postmaster", 12},
      {"<POSTMASTER>", pm, PathStatus::Ok, "POSTMASTER", 12},
      {"<Postmaster>", plain, PathStatus::Syntax, "", 12},
      {"<@x.example:a@b.example>", plain, PathStatus::Ok, "a@b.example", 24},
      {"<@x.example,@y.example:a@b.example>", plain, PathStatus::Ok, "a@b.example", 35},
      {"<@x.example,y.example:a@b.example>", plain, PathStatus::Syntax, "", 34},
      {"<@x.example,:a@b.example>", plain, PathStatus::Syntax, "", 25},
      {"<@:a@b.example>", plain, PathStatus::Syntax, "", 15},
      {"<\"x>y\"@b.example>", plain, PathStatus::Ok, "\"x>y\"@b.example", 17},
      {"<\"x\\\">y\"@b.example>", plain, PathStatus::Ok, "\"x\\\">y\"@b.example", 19},
      {"a@b.example", plain, PathStatus::Syntax, "", 0},
      {"<a@b.example", plain, PathStatus::Syntax, "", 0},
      {"<j\xc3\xb6@b.example>", plain, PathStatus::NeedsSmtputf8, "", 15},
      {"<j\xc3\xb6@b.example>", utf8, PathStatus::Ok, "j\xc3\xb6@b.example", 15},
      {"<j\xff@b.example>", utf8, PathStatus::Syntax, "", 14},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    ParsedPath out;
    EXPECT_EQ(parse_path(c.in, c.opts, out), c.status);
    EXPECT_EQ(out.mailbox, c.mailbox);
    EXPECT_EQ(out.length, c.length);
  }
}

TEST(SmtpAddress, PathTooLong) {
  std::string local(253, 'x');  // "<" local "@a>" = 257 octets
  ParsedPath out;
  EXPECT_EQ(parse_path("<" + local.substr(1) + "@a>", {}, out), PathStatus::Ok);
  EXPECT_EQ(parse_path("<" + local + "@a>", {}, out), PathStatus::TooLong);
}
