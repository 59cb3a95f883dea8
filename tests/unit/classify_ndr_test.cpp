// NDR detection (ndr_detect.h) and the header-field helpers it and the From:
// domain check use (header_fields.h).
#include "classify/from_domain.h"
#include "classify/ndr_detect.h"

#include <gtest/gtest.h>

using namespace poolgate;

namespace {

Envelope from(const std::string& sender) {
  Envelope envelope;
  envelope.sender = sender;
  return envelope;
}

std::optional<std::string> detect(const std::string& message, const std::string& sender = "a@b.example",
                                  bool auto_replies = true) {
  ClassifyConfig config;
  config.auto_replies_are_ndr = auto_replies;
  return detect_ndr(from(sender), message, config);
}

const std::string kDsn =
    "From: MAILER-DAEMON@mx.example\r\n"
    "To: a@b.example\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"BOUNDARY\"\r\n"
    "\r\n"
    "--BOUNDARY\r\n";

}  // namespace

TEST(DetectNdr, NullSender) {
  EXPECT_EQ(detect("Subject: hi\r\n\r\nbody\r\n", ""), "ndr:null-sender");
  // The null sender wins over what the headers say.
  EXPECT_EQ(detect(kDsn, ""), "ndr:null-sender");
  EXPECT_EQ(detect("", ""), "ndr:null-sender");
}

TEST(DetectNdr, OrdinaryMailIsNot) {
  EXPECT_EQ(detect("From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n"), std::nullopt);
  EXPECT_EQ(detect(""), std::nullopt);
  EXPECT_EQ(detect("Content-Type: text/plain; charset=utf-8\r\n\r\nx\r\n"), std::nullopt);
  // Other reports are not bounces: disposition notifications (read receipts),
  // feedback reports.
  EXPECT_EQ(detect("Content-Type: multipart/report; report-type=disposition-notification\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(detect("Content-Type: multipart/report; report-type=feedback-report\r\n\r\n"),
            std::nullopt);
}

TEST(DetectNdr, DeliveryStatusWithSender) {
  EXPECT_EQ(detect(kDsn), "ndr:delivery-status");
  // LF line ends too.
  EXPECT_EQ(detect("Content-Type: multipart/report; report-type=delivery-status\n\nx"),
            "ndr:delivery-status");
}

TEST(DetectNdr, OnlyTheHeaderBlockCounts) {
  // A forwarded bounce: the report is a part of the body, not the message.
  std::string forward =
      "Subject: Fwd: bounce\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n"
      "Content-Type: multipart/report; report-type=delivery-status\r\n"
      "Auto-Submitted: auto-replied\r\n\r\n";
  EXPECT_EQ(detect(forward), std::nullopt);
  EXPECT_EQ(detect("Subject: x\r\n\r\nContent-Type: multipart/report; "
                   "report-type=delivery-status\r\n"),
            std::nullopt);
}

TEST(IsDeliveryStatusReport, Spellings) {
  for (const char* yes : {
           "multipart/report; report-type=delivery-status",
           "multipart/report; report-type=\"delivery-status\"",
           "Multipart/Report; Report-Type=Delivery-Status",
           "MULTIPART/REPORT;REPORT-TYPE=DELIVERY-STATUS",
           "multipart/report; boundary=\"abc;def\"; report-type=delivery-status",
           "multipart/report; boundary=abc; report-type = delivery-status ; charset=x",
           "multipart / report ; report-type=delivery-status",
           "multipart/report (a bounce); report-type=delivery-status (RFC 3464)",
           "multipart/report;\r\n\treport-type=delivery-status",
       })
    EXPECT_TRUE(is_delivery_status_report(yes)) << yes;
  for (const char* no : {
           "",
           "multipart/report",
           "multipart/report; report-type=disposition-notification",
           "multipart/mixed; report-type=delivery-status",
           "text/plain; report-type=delivery-status",
           "multipart/report; boundary=\"report-type=delivery-status\"",
           "multipart/report; x-report-type=delivery-status",
           "multipart/report; report-type=delivery-status-extra",
           "multipart/reports; report-type=delivery-status",
           "(multipart/report; report-type=delivery-status) text/plain",
       })
    EXPECT_FALSE(is_delivery_status_report(no)) << no;
}

TEST(DetectNdr, FoldedContentType) {
  std::string message =
      "Content-Type: multipart/report;\r\n boundary=\"b\";\r\n\treport-type=\r\n "
      "delivery-status\r\nSubject: x\r\n\r\nbody";
  EXPECT_EQ(detect(message), "ndr:delivery-status");
}

TEST(DetectNdr, AutoReplied) {
  EXPECT_EQ(detect("Auto-Submitted: auto-replied\r\n\r\nOut of office"), "ndr:auto-replied");
  EXPECT_EQ(detect("auto-submitted: Auto-Replied (vacation)\r\n\r\n"), "ndr:auto-replied");
  EXPECT_EQ(detect("Auto-Submitted: auto-replied; owner-email=\"x@y.example\"\r\n\r\n"),
            "ndr:auto-replied");
  EXPECT_EQ(detect("Auto-Submitted:\r\n auto-replied\r\n\r\n"), "ndr:auto-replied");
  // Not replies: generated notices, "no", other values.
  EXPECT_EQ(detect("Auto-Submitted: auto-generated\r\n\r\n"), std::nullopt);
  EXPECT_EQ(detect("Auto-Submitted: no\r\n\r\n"), std::nullopt);
  EXPECT_EQ(detect("Auto-Submitted: auto-notified\r\n\r\n"), std::nullopt);
  EXPECT_EQ(detect("Auto-Submitted: auto-replied-later\r\n\r\n"), std::nullopt);
  // The switch off: auto-replies are ordinary mail; real NDRs still are NDRs.
  EXPECT_EQ(detect("Auto-Submitted: auto-replied\r\n\r\n", "a@b.example", false), std::nullopt);
  EXPECT_EQ(detect(kDsn, "a@b.example", false), "ndr:delivery-status");
  EXPECT_EQ(detect("Auto-Submitted: auto-replied\r\n\r\n", "", false), "ndr:null-sender");
}

TEST(DetectNdr, DeliveryStatusBeforeAutoReplied) {
  EXPECT_EQ(detect("Auto-Submitted: auto-replied\r\n" + kDsn), "ndr:delivery-status");
}

TEST(IsAutoReply, Values) {
  EXPECT_TRUE(is_auto_reply("auto-replied"));
  EXPECT_TRUE(is_auto_reply("  AUTO-REPLIED  "));
  EXPECT_TRUE(is_auto_reply("(comment) auto-replied"));
  EXPECT_FALSE(is_auto_reply(""));
  EXPECT_FALSE(is_auto_reply("no"));
  EXPECT_FALSE(is_auto_reply("auto-generated"));
  EXPECT_FALSE(is_auto_reply("\"auto-replied\"x"));
}

TEST(HeaderBlock, EndsAtTheFirstEmptyLine) {
  EXPECT_EQ(header_block("A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n"), "A: 1\r\nB: 2\r\n");
  EXPECT_EQ(header_block("A: 1\nB: 2\n\nbody"), "A: 1\nB: 2\n");
  EXPECT_EQ(header_block("A: 1\r\nB: 2"), "A: 1\r\nB: 2");
  EXPECT_EQ(header_block("\r\nbody"), "");
  EXPECT_EQ(header_block(""), "");
}

TEST(FindHeaderField, UnfoldsAndTrims) {
  std::string message =
      "Received: from x\r\n\tby y\r\nSubject:  two\r\n  lines  \r\nX-Empty:\r\n\r\nSubject: body";
  EXPECT_EQ(find_header_field(message, "subject"), "two  lines");
  EXPECT_EQ(find_header_field(message, "RECEIVED"), "from x\tby y");
  EXPECT_EQ(find_header_field(message, "X-Empty"), "");
  EXPECT_EQ(find_header_field(message, "To"), std::nullopt);
  EXPECT_EQ(find_header_field(message, "Subj"), std::nullopt);
}

TEST(FindHeaderField, FirstOccurrenceAndOddLines) {
  EXPECT_EQ(find_header_field("From: a@x\r\nFrom: b@y\r\n\r\n", "From"), "a@x");
  // Obsolete white space before the colon; an mbox "From " line is not a field.
  EXPECT_EQ(find_header_field("From x Mon\r\nSubject : hi\r\n\r\n", "Subject"), "hi");
  EXPECT_EQ(find_header_field("From x Mon\r\n\r\n", "From"), std::nullopt);
  // A continuation with no field before it belongs to nothing.
  EXPECT_EQ(find_header_field(" stray\r\nA: 1\r\n\r\n", "A"), "1");
}

TEST(StripComments, NestedAndQuoted) {
  EXPECT_EQ(strip_comments("a (b (c) d) e"), "a   e");
  EXPECT_EQ(strip_comments("a \"(not a comment)\" b"), "a \"(not a comment)\" b");
  EXPECT_EQ(strip_comments("a (x \\) y) b"), "a   b");
  EXPECT_EQ(strip_comments("a (unterminated"), "a  ");
}

TEST(MailboxDomain, Forms) {
  struct {
    const char* value;
    const char* domain;
  } cases[] = {
      {"a@b.example", "b.example"},
      {"A@B.Example.", "b.example"},
      {"\"Name\" <a@b.example>", "b.example"},
      {"Name <a@b.example>", "b.example"},
      {"\"x@evil.example\" <a@b.example>", "b.example"},
      {"\"Doe, John\" <j@b.example>, other@c.example", "b.example"},
      {"a@b.example (Name <z@c.example>)", "b.example"},
      {"(comment@c.example) a@b.example", "b.example"},
      {"Group: a@b.example, c@d.example;", "b.example"},
      {"Group: \"Name\" <a@b.example>;, c@d.example", "b.example"},
      {"undisclosed-recipients:;", ""},
      {"Empty:; a@b.example", "b.example"},
      {"<>, a@b.example", "b.example"},
      {"\"a@c\"@b.example", "b.example"},
      {"<@route.example:a@b.example>", "b.example"},
      {"a @ b . example", "b.example"},
      {"=?utf-8?q?J=C3=B6rg?= <j@b.example>", "b.example"},
      {"a@[192.0.2.1]", "[192.0.2.1]"},
      {"no address here", ""},
      {"", ""},
      {"a@", ""},
      {"<a@b.example", "b.example"},
  };
  for (const auto& c : cases) EXPECT_EQ(mailbox_domain(c.value), c.domain) << c.value;
}

TEST(FromDomain, FromTheHeaderBlock) {
  EXPECT_EQ(from_domain("Subject: x\r\nFROM: \"N\"\r\n <a@B.example>\r\n\r\nFrom: z@c.example"),
            "b.example");
  EXPECT_EQ(from_domain("Subject: x\r\n\r\nFrom: a@b.example\r\n"), "");
  EXPECT_EQ(from_domain("Sender: a@b.example\r\n\r\n"), "");
}
