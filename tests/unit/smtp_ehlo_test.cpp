// Building poolgate's EHLO reply and reading a next hop's.
#include "smtp/ehlo.h"

#include <gtest/gtest.h>

using namespace poolgate;

TEST(SmtpEhlo, BuildsEveryOfferedExtension) {
  Capabilities c = Capabilities::server_all(10485760);
  EXPECT_EQ(build_ehlo_reply("mx.example", c).wire(),
            "250-mx.example\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 10485760\r\n"
            "250-STARTTLS\r\n"
            "250-ENHANCEDSTATUSCODES\r\n"
            "250-8BITMIME\r\n"
            "250-DSN\r\n"
            "250 SMTPUTF8\r\n");
}

TEST(SmtpEhlo, BuildRules) {
  Capabilities c;
  EXPECT_EQ(build_ehlo_reply("mx.example", c).wire(), "250 mx.example\r\n");
  c.size = true;  // no fixed limit: bare SIZE (RFC 1870 4)
  EXPECT_EQ(build_ehlo_reply("mx.example", c).wire(), "250-mx.example\r\n250 SIZE\r\n");
  c = Capabilities{};
  c.smtputf8 = true;  // implies 8BITMIME (RFC 6531 3.1)
  EXPECT_EQ(build_ehlo_reply("mx", c).wire(), "250-mx\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
  c = Capabilities::server_all();
  c.chunking = true;  // never offered
  EXPECT_EQ(build_ehlo_reply("mx", c).wire().find("CHUNKING"), std::string::npos);
  c.starttls = false;  // after TLS is up
  EXPECT_EQ(build_ehlo_reply("mx", c).wire().find("STARTTLS"), std::string::npos);
  EXPECT_EQ(build_helo_reply("mx.example").wire(), "250 mx.example\r\n");
}

TEST(SmtpEhlo, ParsesANextHopsReply) {
  Reply r{250, "", {"smtp.example.net Hello [192.0.2.1]", "pipelining", "SIZE 52428800",
                    "ETRN", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=LOGIN", "ENHANCEDSTATUSCODES",
                    "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "X-EXTRA arg"}};
  Capabilities c = parse_ehlo_reply(r);
  EXPECT_TRUE(c.pipelining);
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.max_size, 52428800u);
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.enhanced_status_codes);
  EXPECT_TRUE(c.eightbitmime);
  EXPECT_TRUE(c.dsn);
  EXPECT_TRUE(c.smtputf8);
  EXPECT_TRUE(c.chunking);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"PLAIN", "LOGIN"}));
  EXPECT_EQ(c.other, (std::vector<std::string>{"ETRN", "X-EXTRA arg"}));
}

TEST(SmtpEhlo, ParseOddities) {
  Capabilities c = parse_ehlo_reply(Reply{250, "", {"only.a.name"}});
  EXPECT_FALSE(c.pipelining || c.size || c.dsn || c.starttls);
  c = parse_ehlo_reply(Reply{250, "", {"x", "SIZE", "  ", "SIZE abc"}});
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.max_size, 0u);
  c = parse_ehlo_reply(Reply{250, "", {"x", "SIZE 99999999999999999999999"}});
  EXPECT_EQ(c.max_size, 0u);  // out of range: treated as unknown
}

TEST(SmtpEhlo, RoundTrip) {
  Capabilities offered = Capabilities::server_all(1000);
  Capabilities read = parse_ehlo_reply(build_ehlo_reply("mx", offered));
  EXPECT_EQ(read.pipelining, offered.pipelining);
  EXPECT_EQ(read.max_size, 1000u);
  EXPECT_TRUE(read.size && read.eightbitmime && read.enhanced_status_codes && read.dsn &&
              read.starttls && read.smtputf8);
  EXPECT_FALSE(read.chunking);
}

TEST(SmtpEhlo, CommandLineLimit) {
  EXPECT_EQ(command_line_limit(Capabilities{}), 512u);
  Capabilities size;
  size.size = true;
  EXPECT_EQ(command_line_limit(size), 538u);
  EXPECT_EQ(command_line_limit(Capabilities::server_all()), 1012u);  // RCPT with DSN
}
