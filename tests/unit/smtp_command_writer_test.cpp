// The outbound client's MAIL/RCPT lines, and that parsing them gives back what
// was written.
#include "smtp/command_parser.h"
#include "smtp/command_writer.h"

#include <gtest/gtest.h>

using namespace poolgate;

TEST(SmtpCommandWriter, MailWithEveryParameter) {
  MailParams p;
  p.size = 1234;
  p.body = Body::EightBitMime;
  p.smtputf8 = true;
  p.ret = DsnRet::Headers;
  p.envid = "id+1 =x";
  Capabilities hop = Capabilities::server_all();
  EXPECT_EQ(format_mail("a@b.example", p, hop),
            "MAIL FROM:<a@b.example> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+20+3Dx");
  EXPECT_EQ(format_mail("", MailParams{}, hop), "MAIL FROM:<>");
  EXPECT_EQ(format_mail("a@b.example", p, Capabilities{}), "MAIL FROM:<a@b.example>");
}

TEST(SmtpCommandWriter, RcptWithEveryParameter) {
  Capabilities hop = Capabilities::server_all();
  RcptParams p;
  p.notify = kNotifyFailure | kNotifyDelay;
  p.orcpt_type = "rfc822";
  p.orcpt_address = "x+y@b.example";
  EXPECT_EQ(format_rcpt("c@d.example", p, hop, false),
            "RCPT TO:<c@d.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x+2By@b.example");
  p.notify = kNotifyNever;
  p.orcpt_type = "utf-8";
  p.orcpt_address = "j\xc3\xb6rg@example.com";
  EXPECT_EQ(format_rcpt("c@d.example", p, hop, false),
            "RCPT TO:<c@d.example> NOTIFY=NEVER ORCPT=utf-8;j\\x{F6}rg@example.com");
  EXPECT_EQ(format_rcpt("c@d.example", p, hop, true),
            "RCPT TO:<c@d.example> NOTIFY=NEVER ORCPT=utf-8;j\xc3\xb6rg@example.com");
  EXPECT_EQ(format_rcpt("c@d.example", p, Capabilities{}, true), "RCPT TO:<c@d.example>");
  EXPECT_EQ(format_rcpt("c@d.example", RcptParams{}, hop, false), "RCPT TO:<c@d.example>");
  // Postfix's rfc822 ORCPT of a UTF-8 address leaves as it came, xtext.
  p.orcpt_type = "rfc822";
  p.orcpt_address = "zo\xc3\xab@example.net";
  EXPECT_EQ(format_rcpt("zo\xc3\xab@example.net", p, hop, true),
            "RCPT TO:<zo\xc3\xab@example.net> NOTIFY=NEVER ORCPT=rfc822;zo+C3+AB@example.net");
}

TEST(SmtpCommandWriter, ParseOfFormatIsIdentity) {
  for (std::string line : {
           "MAIL FROM:<a@b.example> SIZE=1 BODY=7BIT RET=FULL ENVID=QQ+2B1",
           "MAIL FROM:<j\xc3\xb6@b.example> SMTPUTF8 BODY=8BITMIME",
           "MAIL FROM:<\"x y\"@[192.0.2.1]>",
           "RCPT TO:<a@b.example> NOTIFY=SUCCESS ORCPT=rfc822;a+2Bb@c",
           "RCPT TO:<a@b.example> NOTIFY=NEVER ORCPT=utf-8;j\\x{F6}rg",
           "RCPT TO:<Postmaster>",
       }) {
    SCOPED_TRACE(line);
    auto first = parse_command(line);
    ASSERT_TRUE(first.ok()) << first.error->str();
    const Command& c = first.command;
    Capabilities hop = Capabilities::server_all();
    std::string again = c.verb == Verb::Mail ? format_mail(c.path, c.mail, hop)
                                             : format_rcpt(c.path, c.rcpt, hop, false);
    auto second = parse_command(again);
    ASSERT_TRUE(second.ok()) << again;
    EXPECT_EQ(second.command.path, c.path);
    EXPECT_EQ(second.command.mail, c.mail);
    EXPECT_EQ(second.command.rcpt, c.rcpt);
  }
}
