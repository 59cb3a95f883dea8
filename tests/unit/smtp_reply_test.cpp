// Reply formatting (RFC 5321 4.2, RFC 2034), the reply catalog, and assembling
// a server's replies on the client side.
#include "smtp/reply.h"
#include "smtp/reply_parser.h"

#include <gtest/gtest.h>

#include <vector>

using namespace poolgate;

TEST(SmtpReply, SingleAndMultiLineWireForm) {
  EXPECT_EQ(make_reply(250, "2.0.0", "Ok").wire(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(make_reply(354, "", "Go ahead").wire(), "354 Go ahead\r\n");
  Reply multi{250, "2.1.5", {"first", "second", "last"}};
  EXPECT_EQ(multi.wire(), "250-2.1.5 first\r\n250-2.1.5 second\r\n250 2.1.5 last\r\n");
  Reply ehlo{250, "", {"mx.example", "PIPELINING", "SIZE 100"}};
  EXPECT_EQ(ehlo.wire(), "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
  EXPECT_EQ((Reply{221, "", {}}).wire(), "221 \r\n");
  EXPECT_EQ(make_reply(250, "2.0.0", "").wire(), "250 2.0.0\r\n");
  EXPECT_EQ(multi.str(), "250 2.1.5 first second last");
}

TEST(SmtpReply, TextCannotInjectLines) {
  Reply r{550, "5.7.1", {std::string("bad\r\n250 2.0.0 Ok\x7f\0", 19)}};
  EXPECT_EQ(r.wire(), "550 5.7.1 bad??250 2.0.0 Ok??\r\n");
}

TEST(SmtpReply, LinesAreCutAt512Octets) {
  Reply r = make_reply(250, "2.0.0", std::string(1000, 'x'));
  std::string w = r.wire();
  EXPECT_EQ(w.size(), 512u);
  EXPECT_EQ(w.substr(w.size() - 2), "\r\n");
}

TEST(SmtpReply, ClassPredicates) {
  EXPECT_TRUE(make_reply(250, "2.0.0", "").positive());
  EXPECT_TRUE(make_reply(354, "", "").positive());
  EXPECT_TRUE(make_reply(451, "4.3.0", "").transient());
  EXPECT_TRUE(make_reply(550, "5.0.0", "").permanent());
  EXPECT_FALSE(make_reply(550, "5.0.0", "").transient());
}

TEST(SmtpReply, EnhancedCodeSyntax) {
  for (auto good : {"2.0.0", "4.7.1", "5.5.2", "5.123.456", "2.10.0"}) EXPECT_TRUE(valid_enhanced_code(good)) << good;
  for (auto bad : {"", "5", "5.5", "3.0.0", "5.05.0", "5.1234.0", "5.5.2.", "5..2", "a.b.c", "5.5.2 "})
    EXPECT_FALSE(valid_enhanced_code(bad)) << bad;
}

TEST(SmtpReply, CatalogIsConsistent) {
  // Every reply with an enhanced code has one of its own class (RFC 3463 2).
  std::vector<Reply> all{
      replies::ok(), replies::sender_ok(), replies::recipient_ok(), replies::queued("ABC"),
      replies::bye(), replies::help(), replies::cannot_vrfy(), replies::ready_for_tls(),
      replies::tls_unavailable(), replies::shutting_down(), replies::timeout(),
      replies::too_many_recipients(), replies::insufficient_storage(),
      replies::command_unrecognized(), replies::line_too_long(), replies::bare_lf_in_command(),
      replies::syntax("x"), replies::bad_sender_syntax(), replies::bad_recipient_syntax(),
      replies::not_implemented("BDAT"), replies::bad_sequence("x"), replies::unknown_parameter(),
      replies::sender_needs_smtputf8(), replies::recipient_needs_smtputf8(),
      replies::size_exceeded(), replies::data_line_too_long(),
      replies::bare_newline_in_data(false), replies::bare_newline_in_data(true),
      replies::nul_in_data(), replies::transaction_failed()};
  for (const auto& r : all) {
    SCOPED_TRACE(r.str());
    ASSERT_TRUE(valid_enhanced_code(r.enhanced));
    EXPECT_EQ(r.enhanced[0] - '0', r.code / 100);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_FALSE(r.lines[0].empty());
  }
  EXPECT_TRUE(replies::start_data().enhanced.empty());
  EXPECT_EQ(replies::queued("4Xyz").wire(), "250 2.0.0 Ok: queued as 4Xyz\r\n");
  EXPECT_EQ(replies::bare_newline_in_data(false).wire(),
            "550 5.5.2 Error: bare <LF> received in message content\r\n");
}

TEST(SmtpReplyParser, AssemblesMultiLineReplies) {
  ReplyParser p;
  EXPECT_EQ(p.feed("250-2.1.0 first"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed("250-second"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed("250 2.1.0 last"), ReplyParser::Status::Done);
  EXPECT_EQ(p.reply(), (Reply{250, "2.1.0", {"first", "second", "last"}}));
  p.reset();
  EXPECT_EQ(p.feed("550 5.1.1 <x@y>: Recipient address rejected"), ReplyParser::Status::Done);
  EXPECT_EQ(p.reply().enhanced, "5.1.1");
  EXPECT_EQ(p.reply().lines[0], "<x@y>: Recipient address rejected");
  p.reset();
  EXPECT_EQ(p.feed("250"), ReplyParser::Status::Done);  // code alone (RFC 5321 4.2)
  EXPECT_EQ(p.reply(), (Reply{250, "", {""}}));
  p.reset();
  EXPECT_EQ(p.feed("451 5.0.0 mismatched class kept as text"), ReplyParser::Status::Done);
  EXPECT_EQ(p.reply().enhanced, "");
  EXPECT_EQ(p.reply().lines[0], "5.0.0 mismatched class kept as text");
}

TEST(SmtpReplyParser, WithoutEnhancedCodes) {
  ReplyParser p(false);
  EXPECT_EQ(p.feed("250-mx.example says hi"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed("250 2.0.0"), ReplyParser::Status::Done);
  EXPECT_EQ(p.reply(), (Reply{250, "", {"mx.example says hi", "2.0.0"}}));
}

TEST(SmtpReplyParser, RejectsGarbage) {
  for (auto bad : {"", "25", "2500 x", "abc", "150 x", "650 x", "250x", "25a ok"}) {
    ReplyParser p;
    EXPECT_EQ(p.feed(bad), ReplyParser::Status::Error) << bad;
  }
  ReplyParser p;
  EXPECT_EQ(p.feed("250-a"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed("251 b"), ReplyParser::Status::Error);  // code changed mid-reply
}

TEST(SmtpReplyParser, RoundTripsOwnWireForm) {
  Reply r{452, "4.5.3", {"too many", "recipients"}};
  std::string w = r.wire();
  ReplyParser p;
  size_t pos = 0;
  ReplyParser::Status st = ReplyParser::Status::NeedMore;
  while (pos < w.size()) {
    size_t end = w.find("\r\n", pos);
    st = p.feed(std::string_view(w).substr(pos, end - pos));
    pos = end + 2;
  }
  EXPECT_EQ(st, ReplyParser::Status::Done);
  EXPECT_EQ(p.reply(), r);
}
