// Command-line parsing: every verb, the MAIL/RCPT path grammar and every ESMTP
// parameter, each valid and invalid, with the exact reply the session sends.
#include "smtp/command_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace poolgate;

namespace {

// "501 5.5.4" for the reply of a failed parse, "ok" for success.
std::string outcome(const ParseResult& r) {
  if (r.ok()) return "ok";
  return std::to_string(r.error->code) + " " + r.error->enhanced;
}

struct Case {
  std::string line;
  std::string expect;  // "ok" or "CODE X.Y.Z"
};

void check_all(const std::vector<Case>& cases, const ParseOptions& opts = {}) {
  for (const auto& c : cases) {
    SCOPED_TRACE("line: " + c.line);
    EXPECT_EQ(outcome(parse_command(c.line, opts)), c.expect);
  }
}

}  // namespace

TEST(SmtpCommandParser, RecognizesEveryVerbCaseInsensitively) {
  struct V {
    std::string line;
    Verb verb;
  };
  std::vector<V> cases{
      {"EHLO client.example", Verb::Ehlo}, {"ehlo client.example", Verb::Ehlo},
      {"HELO client.example", Verb::Helo}, {"MAIL FROM:<a@b.example>", Verb::Mail},
      {"rcpt to:<a@b.example>", Verb::Rcpt}, {"DATA", Verb::Data},
      {"RSET", Verb::Rset}, {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit},
      {"VRFY someone", Verb::Vrfy}, {"HELP", Verb::Help}, {"StartTLS", Verb::Starttls},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto r = parse_command(c.line);
    EXPECT_TRUE(r.ok()) << (r.error ? r.error->str() : "");
    EXPECT_EQ(r.command.verb, c.verb);
  }
}

TEST(SmtpCommandParser, UnknownAndUnsupportedVerbs) {
  check_all({
      {"", "500 5.5.2"},
      {"FOO", "500 5.5.2"},
      {"MAILFROM:<a@b>", "500 5.5.2"},
      {" MAIL FROM:<a@b>", "500 5.5.2"},  // leading space: no verb
      {"GET / HTTP/1.1", "500 5.5.2"},
      {"BDAT 100 LAST", "502 5.5.1"},
      {"bdat 0", "502 5.5.1"},
      {"EXPN list", "502 5.5.1"},
      {"AUTH PLAIN AGFAAGI=", "502 5.5.1"},
      {"ETRN example.com", "502 5.5.1"},
      {"TURN", "502 5.5.1"},
  });
  auto r = parse_command("BDAT 100 LAST");
  EXPECT_EQ(r.command.verb, Verb::Unsupported);
  EXPECT_EQ(r.command.name, "BDAT");
  EXPECT_EQ(r.error->lines[0], "BDAT command not implemented");
  EXPECT_EQ(parse_command("frob").command.verb, Verb::Unknown);
}

TEST(SmtpCommandParser, OverlongLineIsLineTooLong) {
  ParseOptions opts;
  opts.overlong = true;
  auto r = parse_command("", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, 500);
  EXPECT_EQ(r.error->enhanced, "5.5.2");
  EXPECT_EQ(r.error->lines[0], "Error: line too long");
}

TEST(SmtpCommandParser, ArgumentRules) {
  check_all({
      {"EHLO", "501 5.5.4"},
      {"EHLO   ", "501 5.5.4"},
      {"HELO", "501 5.5.4"},
      {"EHLO [192.0.2.1]", "ok"},
      {"EHLO  two.spaces.example", "ok"},
      {"DATA ", "ok"},  // trailing space tolerated
      {"DATA now", "501 5.5.4"},
      {"RSET x", "501 5.5.4"},
      {"QUIT x", "501 5.5.4"},
      {"STARTTLS x", "501 5.5.4"},
      {"NOOP anything at all", "ok"},
      {"HELP MAIL", "ok"},
      {"VRFY", "501 5.5.4"},
      {"VRFY postmaster", "ok"},
  });
  EXPECT_EQ(parse_command("EHLO  two.spaces.example  ").command.argument, "two.spaces.example");
  EXPECT_EQ(parse_command("NOOP a b").command.argument, "a b");
}

TEST(SmtpCommandParser, ControlCharactersAreRejected) {
  check_all({
      {std::string("NOOP a\0b", 8), "501 5.5.4"},
      {"NOOP a\rb", "501 5.5.4"},
      {"EHLO a\tb", "501 5.5.4"},
      {"MAIL FROM:<a@b.example>\tSIZE=1", "501 5.5.4"},
      {"RCPT TO:<a\x7f@b.example>", "501 5.5.4"},
      {"DATA\r", "500 5.5.2"},  // "DATA<CR>" is no verb
  });
}

TEST(SmtpCommandParser, MailPaths) {
  check_all({
      {"MAIL FROM:<user@example.com>", "ok"},
      {"MAIL FROM:<>", "ok"},
      {"mail from:<User@Example.COM>", "ok"},
      {"MAIL FROM: <user@example.com>", "ok"},  // Postfix-style tolerance
      {"MAIL FROM:   <>", "ok"},
      {"MAIL FROM:<\"john doe\"@example.com>", "ok"},
      {"MAIL FROM:<\"a\\\"b\"@example.com>", "ok"},
      {"MAIL FROM:<\"a>b\"@example.com>", "ok"},
      {"MAIL FROM:<user@[192.0.2.1]>", "ok"},
      {"MAIL FROM:<user@[IPv6:2001:db8::1]>", "ok"},
      {"MAIL FROM:<@relay.example:user@example.com>", "ok"},
      {"MAIL FROM:<@a.example,@b.example:user@example.com>", "ok"},
      {"MAIL FROM:<a.b+tag@sub.example.com>", "ok"},
      {"MAIL FROM:<user@example.com> ", "ok"},
      {"MAIL", "501 5.5.4"},
      {"MAIL TO:<a@b.example>", "501 5.5.4"},
      {"MAIL FROM", "501 5.5.4"},
      {"MAIL FROM:", "501 5.1.7"},
      {"MAIL FROM:user@example.com", "501 5.1.7"},  // no angle brackets
      {"MAIL FROM:<user@example.com", "501 5.1.7"},
      {"MAIL FROM:<user>", "501 5.1.7"},
      {"MAIL FROM:<postmaster>", "501 5.1.7"},  // bare Postmaster is for RCPT only
      {"MAIL FROM:<@example.com>", "501 5.1.7"},
      {"MAIL FROM:<user@>", "501 5.1.7"},
      {"MAIL FROM:<user@@example.com>", "501 5.1.7"},
      {"MAIL FROM:<.user@example.com>", "501 5.1.7"},
      {"MAIL FROM:<us..er@example.com>", "501 5.1.7"},
      {"MAIL FROM:<user.@example.com>", "501 5.1.7"},
      {"MAIL FROM:<us er@example.com>", "501 5.1.7"},
      {"MAIL FROM:<user@-example.com>", "501 5.1.7"},
      {"MAIL FROM:<user@example.com.>", "501 5.1.7"},
      {"MAIL FROM:<user@exa_mple.com>", "501 5.1.7"},
      {"MAIL FROM:<user@[300.1.1.1]>", "501 5.1.7"},
      {"MAIL FROM:<user@[IPv6:zz::1]>", "501 5.1.7"},
      {"MAIL FROM:<@relay.example user@example.com>", "501 5.1.7"},
      {"MAIL FROM:<@bad_domain:user@example.com>", "501 5.1.7"},
      {"MAIL FROM:<user@example.com>SIZE=10", "501 5.1.7"},
      {"MAIL FROM:<<user@example.com>>", "501 5.1.7"},
      {"MAIL FROM:<\"unterminated@example.com>", "501 5.1.7"},
  });
}

TEST(SmtpCommandParser, MailPathFields) {
  auto r = parse_command("MAIL FROM:<@a.example,@b.example:User@Example.com> SIZE=5");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.path, "User@Example.com");
  EXPECT_TRUE(r.command.source_route);
  EXPECT_EQ(r.command.mail.size, 5u);

  r = parse_command("MAIL FROM:<>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.path, "");
  EXPECT_FALSE(r.command.source_route);

  r = parse_command("MAIL FROM:<\"a>b\"@example.com>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.path, "\"a>b\"@example.com");
}

TEST(SmtpCommandParser, PathLengthLimit) {
  // RFC 5321 4.5.3.1.3: 256 octets including the brackets.
  std::string domain = std::string(60, 'd') + "." + std::string(60, 'e') + "." +
                       std::string(60, 'f') + "." + std::string(60, 'g');  // 243
  std::string local_ok(256 - 2 - 1 - domain.size(), 'l');
  EXPECT_TRUE(parse_command("MAIL FROM:<" + local_ok + "@" + domain + ">").ok());
  EXPECT_EQ(outcome(parse_command("MAIL FROM:<" + local_ok + "x@" + domain + ">")), "501 5.1.7");
  EXPECT_EQ(outcome(parse_command("RCPT TO:<" + local_ok + "x@" + domain + ">")), "501 5.1.3");
  EXPECT_EQ(parse_command("RCPT TO:<" + local_ok + "x@" + domain + ">").error->lines[0],
            "Path too long");
}

TEST(SmtpCommandParser, RcptPaths) {
  check_all({
      {"RCPT TO:<user@example.com>", "ok"},
      {"RCPT TO: <user@example.com>", "ok"},
      {"RCPT TO:<Postmaster>", "ok"},
      {"RCPT TO:<postmaster>", "ok"},
      {"RCPT TO:<postmaster@example.com>", "ok"},
      {"RCPT TO:<@hop.example:user@example.com>", "ok"},
      {"RCPT TO:<>", "501 5.1.3"},
      {"RCPT TO:user@example.com", "501 5.1.3"},
      {"RCPT TO:<user>", "501 5.1.3"},
      {"RCPT TO:<@hop.example:postmaster>", "501 5.1.3"},
      {"RCPT FROM:<user@example.com>", "501 5.5.4"},
      {"RCPT", "501 5.5.4"},
  });
}

TEST(SmtpCommandParser, NonAsciiAddressesNeedSmtputf8) {
  // RFC 6531 3.5: 550 for MAIL, 553 for RCPT, both X.6.7.
  check_all({
      {"MAIL FROM:<j\xc3\xb6rg@example.com>", "550 5.6.7"},
      {"MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8", "ok"},
      {"MAIL FROM:<j\xc3\xb6rg@example.com> smtputf8 BODY=8BITMIME", "ok"},
      {"MAIL FROM:<user@b\xc3\xbc" "cher.example> SMTPUTF8", "ok"},
      {"MAIL FROM:<\"q\xc3\xb6\"@example.com> SMTPUTF8", "ok"},
      {"MAIL FROM:<j\xc3@example.com> SMTPUTF8", "501 5.1.7"},       // truncated UTF-8
      {"MAIL FROM:<j\xc0\xafrg@example.com> SMTPUTF8", "501 5.1.7"},  // overlong
      {"MAIL FROM:<j\xed\xa0\x80@example.com> SMTPUTF8", "501 5.1.7"},  // surrogate
      {"MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8=yes", "501 5.5.4"},
      {"RCPT TO:<j\xc3\xb6rg@example.com>", "553 5.6.7"},
  });
  ParseOptions utf8;
  utf8.smtputf8 = true;
  check_all({{"RCPT TO:<j\xc3\xb6rg@example.com>", "ok"},
             {"RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", "ok"}},
            utf8);

  ParseOptions not_offered;
  not_offered.offered.smtputf8 = false;
  check_all({{"MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8", "550 5.6.7"},
             {"MAIL FROM:<user@example.com> SMTPUTF8", "555 5.5.4"}},
            not_offered);
}

TEST(SmtpCommandParser, MailParameters) {
  check_all({
      {"MAIL FROM:<a@b.example> SIZE=0", "ok"},
      {"MAIL FROM:<a@b.example> SIZE=12345", "ok"},
      {"MAIL FROM:<a@b.example> size=12345", "ok"},
      {"MAIL FROM:<a@b.example> SIZE=99999999999999999999", "ok"},  // 20 digits, saturates
      {"MAIL FROM:<a@b.example> SIZE=123456789012345678901", "501 5.5.4"},  // 21 digits
      {"MAIL FROM:<a@b.example> SIZE=", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SIZE", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SIZE=-1", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SIZE=1k", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SIZE=1 SIZE=2", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> BODY=7BIT", "ok"},
      {"MAIL FROM:<a@b.example> BODY=8BITMIME", "ok"},
      {"MAIL FROM:<a@b.example> body=8bitmime", "ok"},
      {"MAIL FROM:<a@b.example> BODY=BINARYMIME", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> BODY", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SMTPUTF8", "ok"},
      {"MAIL FROM:<a@b.example> RET=FULL", "ok"},
      {"MAIL FROM:<a@b.example> RET=hdrs", "ok"},
      {"MAIL FROM:<a@b.example> RET=BOTH", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> RET", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID=QQ314159", "ok"},
      {"MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc", "ok"},
      {"MAIL FROM:<a@b.example> ENVID=" + std::string(100, 'x'), "ok"},
      {"MAIL FROM:<a@b.example> ENVID=" + std::string(101, 'x'), "501 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID=a+2", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID=a+ZZ", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID=a+00b", "501 5.5.4"},  // decodes to a control char
      {"MAIL FROM:<a@b.example> ENVID=", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID==", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SIZE=1  BODY=8BITMIME   RET=HDRS ENVID=x", "ok"},
      {"MAIL FROM:<a@b.example> NOTIFY=NEVER", "555 5.5.4"},  // RCPT parameter
      {"MAIL FROM:<a@b.example> ORCPT=rfc822;a@b", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> AUTH=<>", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> X-FOO", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> -BAD", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> =1", "501 5.5.4"},
      {"MAIL FROM:<a@b.example> SI_ZE=1", "501 5.5.4"},
  });
}

TEST(SmtpCommandParser, MailParameterValues) {
  auto r = parse_command(
      "MAIL FROM:<a@b.example> SIZE=1024 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B314159");
  ASSERT_TRUE(r.ok()) << r.error->str();
  EXPECT_EQ(r.command.mail.size, 1024u);
  EXPECT_EQ(r.command.mail.body, Body::EightBitMime);
  EXPECT_TRUE(r.command.mail.smtputf8);
  EXPECT_EQ(r.command.mail.ret, DsnRet::Headers);
  EXPECT_EQ(r.command.mail.envid, "QQ+314159");

  r = parse_command("MAIL FROM:<a@b.example> SIZE=99999999999999999999");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.mail.size, UINT64_MAX);

  r = parse_command("MAIL FROM:<a@b.example>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.mail, MailParams{});
}

TEST(SmtpCommandParser, ParametersOfExtensionsNotOfferedAreUnknown) {
  ParseOptions opts;
  opts.offered = Capabilities{};  // nothing offered
  check_all({
      {"MAIL FROM:<a@b.example>", "ok"},
      {"MAIL FROM:<a@b.example> SIZE=1", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> BODY=8BITMIME", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> RET=FULL", "555 5.5.4"},
      {"MAIL FROM:<a@b.example> ENVID=x", "555 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=NEVER", "555 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;a@b.example", "555 5.5.4"},
  }, opts);
  ParseOptions helo;  // after HELO: no ESMTP parameters at all
  helo.esmtp = false;
  check_all({
      {"MAIL FROM:<a@b.example>", "ok"},
      {"MAIL FROM:<a@b.example> SIZE=1", "555 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=NEVER", "555 5.5.4"},
      {"MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8", "550 5.6.7"},
  }, helo);
}

TEST(SmtpCommandParser, RcptParameters) {
  check_all({
      {"RCPT TO:<a@b.example> NOTIFY=NEVER", "ok"},
      {"RCPT TO:<a@b.example> NOTIFY=SUCCESS", "ok"},
      {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY", "ok"},
      {"RCPT TO:<a@b.example> notify=delay,failure", "ok"},
      {"RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=FAILURE,NEVER", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=,SUCCESS", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=ALWAYS", "501 5.5.4"},
      {"RCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;a@b.example", "ok"},
      {"RCPT TO:<a@b.example> ORCPT=RFC822;a+2Bx@b.example", "ok"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=;a@b.example", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;a+0Ab", "501 5.5.4"},  // LF inside
      {"RCPT TO:<a@b.example> ORCPT=rfc822;a+", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;" + std::string(493, 'x'), "ok"},  // 500 in all
      {"RCPT TO:<a@b.example> ORCPT=rfc822;" + std::string(494, 'x'), "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{F6}rg@example.com", "ok"},
      {"RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{D800}rg@example.com", "501 5.5.4"},
      {"RCPT TO:<a@b.example> ORCPT=utf-8;j\xc3\xb6rg@example.com", "501 5.5.4"},  // raw: needs SMTPUTF8
      {"RCPT TO:<a@b.example> NOTIFY=FAILURE ORCPT=rfc822;a@b.example", "ok"},
      {"RCPT TO:<a@b.example> SIZE=1", "555 5.5.4"},
      {"RCPT TO:<a@b.example> RET=FULL", "555 5.5.4"},
      {"RCPT TO:<a@b.example> BODY=7BIT", "555 5.5.4"},
      {"RCPT TO:<a@b.example> SMTPUTF8", "555 5.5.4"},
  });
  ParseOptions utf8;
  utf8.smtputf8 = true;
  check_all({{"RCPT TO:<a@b.example> ORCPT=utf-8;j\xc3\xb6rg@example.com", "ok"}}, utf8);
}

TEST(SmtpCommandParser, RcptParameterValues) {
  auto r = parse_command("RCPT TO:<a@b.example> NOTIFY=SUCCESS,DELAY ORCPT=RFC822;x+2By@b.example");
  ASSERT_TRUE(r.ok()) << r.error->str();
  EXPECT_EQ(r.command.rcpt.notify, kNotifySuccess | kNotifyDelay);
  EXPECT_EQ(r.command.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(r.command.rcpt.orcpt_address, "x+y@b.example");
  EXPECT_EQ(r.command.rcpt.orcpt(), "rfc822;x+y@b.example");

  r = parse_command("RCPT TO:<a@b.example> NOTIFY=never");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.rcpt.notify, kNotifyNever);

  r = parse_command("RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{F6}rg@example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.rcpt.orcpt(), "utf-8;j\xc3\xb6rg@example.com");

  r = parse_command("RCPT TO:<a@b.example>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.command.rcpt, RcptParams{});
  EXPECT_EQ(r.command.rcpt.orcpt(), "");
}

TEST(SmtpCommandParser, RcptOrcptXtextOfUtf8AsPostfixSendsIt) {
  // Postfix 3.7, an SMTPUTF8 recipient without a client ORCPT: exactly this.
  ParseOptions utf8;
  utf8.smtputf8 = true;
  auto r = parse_command("RCPT TO:<zo\xc3\xab@example.net> ORCPT=rfc822;zo+C3+AB@example.net",
                         utf8);
  ASSERT_TRUE(r.ok()) << r.error->str();
  EXPECT_EQ(r.command.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(r.command.rcpt.orcpt(), "rfc822;zo\xc3\xab@example.net");
  check_all({
      {"RCPT TO:<a@b.example> ORCPT=rfc822;zo+C3+AB@example.net", "ok"},
      {"RCPT TO:<a@b.example> ORCPT=rfc822;zo+C3@example.net", "501 5.5.4"},      // cut short
      {"RCPT TO:<a@b.example> ORCPT=rfc822;zo+C0+AB@example.net", "501 5.5.4"},   // overlong
      {"RCPT TO:<a@b.example> ORCPT=rfc822;zo+FF@example.net", "501 5.5.4"},      // not UTF-8
      {"RCPT TO:<a@b.example> ORCPT=x400;zo+C3+AB+7F@example.net", "501 5.5.4"},  // DEL
  });
}

TEST(SmtpCommandParser, ErrorRepliesKeepTheVerb) {
  auto r = parse_command("MAIL FROM:bad");
  EXPECT_EQ(r.command.verb, Verb::Mail);
  EXPECT_EQ(r.error->wire(), "501 5.1.7 Bad sender address syntax\r\n");
  r = parse_command("RCPT TO:<a@b.example> FOO=1");
  EXPECT_EQ(r.command.verb, Verb::Rcpt);
  EXPECT_EQ(r.error->code, 555);
}

TEST(SmtpCommandParser, VerbNames) {
  EXPECT_EQ(verb_name(Verb::Ehlo), "EHLO");
  EXPECT_EQ(verb_name(Verb::Starttls), "STARTTLS");
  EXPECT_EQ(verb_name(Verb::Unknown), "UNKNOWN");
}
