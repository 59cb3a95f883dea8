// delivery/reply_stream: the next hop's bytes into replies, however the
// network splits them and however many arrive at once (PIPELINING).
#include "delivery/reply_stream.h"

#include <gtest/gtest.h>

using namespace poolgate;

namespace {

TEST(DeliveryReplyStream, MultiLineReply) {
  ReplyStream s;
  s.append("250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  Reply r;
  ASSERT_EQ(s.next(r, false), ReplyStream::Status::Done);
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"mx.example.net", "PIPELINING", "8BITMIME"}));
  EXPECT_FALSE(s.buffered());
}

TEST(DeliveryReplyStream, SplitAnywhere) {
  const std::string wire = "220-mx.example.net ESMTP\r\n220 ready\r\n";
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    ReplyStream s;
    Reply r;
    s.append(wire.substr(0, cut));
    ReplyStream::Status first = s.next(r, false);
    if (first != ReplyStream::Status::Done) {
      ASSERT_EQ(first, ReplyStream::Status::NeedMore) << cut;
      s.append(wire.substr(cut));
      ASSERT_EQ(s.next(r, false), ReplyStream::Status::Done) << cut;
    }
    EXPECT_EQ(r.lines.size(), 2u) << cut;
  }
}

TEST(DeliveryReplyStream, PipelinedRepliesOneAtATime) {
  ReplyStream s;
  s.append("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 Go ahead\r\n");
  Reply r;
  std::vector<int> codes;
  while (s.next(r, true) == ReplyStream::Status::Done) codes.push_back(r.code);
  EXPECT_EQ(codes, (std::vector<int>{250, 250, 550, 354}));
}

TEST(DeliveryReplyStream, EnhancedCodeSplitOffWhenAsked) {
  ReplyStream s;
  s.append("451 4.2.0 Mailbox busy\r\n");
  Reply r;
  ASSERT_EQ(s.next(r, true), ReplyStream::Status::Done);
  EXPECT_EQ(r.enhanced, "4.2.0");
  EXPECT_EQ(r.lines, std::vector<std::string>{"Mailbox busy"});
}

TEST(DeliveryReplyStream, BareLfTolerated) {
  ReplyStream s;
  s.append("250 ok\n");
  Reply r;
  EXPECT_EQ(s.next(r, true), ReplyStream::Status::Done);
}

TEST(DeliveryReplyStream, GarbageIsAnError) {
  for (std::string bad : {"hello\r\n", "250-a\r\n251 b\r\n", "999 x\r\n"}) {
    ReplyStream s;
    s.append(bad);
    Reply r;
    EXPECT_EQ(s.next(r, true), ReplyStream::Status::Error) << bad;
  }
}

TEST(DeliveryReplyStream, OverlongLineIsAnError) {
  ReplyStream s;
  s.append("250 " + std::string(ReplyStream::kMaxLine, 'x') + "\r\n");
  Reply r;
  EXPECT_EQ(s.next(r, true), ReplyStream::Status::Error);
}

TEST(DeliveryReplyStream, EndlessReplyIsAnError) {
  ReplyStream s;
  for (size_t i = 0; i <= ReplyStream::kMaxLines; ++i) s.append("250-more\r\n");
  Reply r;
  EXPECT_EQ(s.next(r, true), ReplyStream::Status::Error);
}

TEST(DeliveryReplyStream, BufferedSeesLeftoversAndPartials) {
  ReplyStream s;
  Reply r;
  s.append("220 go ahead\r\n250 injected\r\n");
  ASSERT_EQ(s.next(r, true), ReplyStream::Status::Done);
  EXPECT_TRUE(s.buffered());
  s.clear();
  EXPECT_FALSE(s.buffered());
  s.append("220-partial\r\n");
  EXPECT_EQ(s.next(r, true), ReplyStream::Status::NeedMore);
  EXPECT_TRUE(s.buffered());
}

}  // namespace
