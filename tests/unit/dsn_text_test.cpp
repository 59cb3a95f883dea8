// The small pieces of a DSN: the header/body split of the original, dates,
// folding, cleaned texts, mta-names, field values.
#include "dsn/dsn.h"
#include "dsn/dsn_parts.h"
#include "dsn/header_split.h"
#include "smtp/utf8.h"
#include "dsn_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace poolgate;
using namespace poolgate::detail;

TEST(DsnHeaderSplit, HeadersAndBody) {
  auto s = split_headers("A: 1\r\nB: 2\r\n continued\r\n\r\nbody\r\n\r\nmore\r\n");
  EXPECT_EQ(s.headers, "A: 1\r\nB: 2\r\n continued\r\n");
  EXPECT_EQ(s.body, "body\r\n\r\nmore\r\n");
  EXPECT_TRUE(s.separator);
}

TEST(DsnHeaderSplit, NoBodyNoEmptyLine) {
  auto s = split_headers("A: 1\r\nB: 2\r\n");
  EXPECT_EQ(s.headers, "A: 1\r\nB: 2\r\n");
  EXPECT_EQ(s.body, "");
  EXPECT_FALSE(s.separator);
  s = split_headers("A: 1\r\nB: 2");  // not even a final CRLF
  EXPECT_EQ(s.headers, "A: 1\r\nB: 2");
  EXPECT_FALSE(s.separator);
  s = split_headers("A: 1\r\n\r\n");  // empty body after the empty line
  EXPECT_EQ(s.headers, "A: 1\r\n");
  EXPECT_EQ(s.body, "");
  EXPECT_TRUE(s.separator);
}

TEST(DsnHeaderSplit, EmptyAndHeaderless) {
  EXPECT_EQ(split_headers("").headers, "");
  auto s = split_headers("\r\nbody only\r\n");
  EXPECT_EQ(s.headers, "");
  EXPECT_EQ(s.body, "body only\r\n");
  // A line that is no field ends the header section there (RFC 5322 2.2).
  s = split_headers("A: 1\r\nthis is text\r\nB: 2\r\n");
  EXPECT_EQ(s.headers, "A: 1\r\n");
  EXPECT_EQ(s.body, "this is text\r\nB: 2\r\n");
  // A continuation before any field is not a header either.
  EXPECT_EQ(split_headers(" folded\r\nA: 1\r\n").headers, "");
}

TEST(DsnHeaderSplit, MimeSafeLines) {
  EXPECT_TRUE(mime_safe_lines(""));
  EXPECT_TRUE(mime_safe_lines("a\r\nb\r\n"));
  EXPECT_TRUE(mime_safe_lines("a\r\nno final crlf"));
  EXPECT_TRUE(mime_safe_lines(std::string(998, 'x') + "\r\n"));
  EXPECT_FALSE(mime_safe_lines(std::string(999, 'x') + "\r\n"));
  EXPECT_FALSE(mime_safe_lines(std::string(999, 'x')));
  EXPECT_FALSE(mime_safe_lines("a\nb\r\n"));
  EXPECT_FALSE(mime_safe_lines("a\rb\r\n"));
  EXPECT_FALSE(mime_safe_lines("a\r"));
  EXPECT_FALSE(mime_safe_lines(std::string("a\0b\r\n", 5)));
}

TEST(DsnText, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(DsnText, FieldFoldsAtSpacesAndUnfoldsExactly) {
  EXPECT_EQ(field("Action", "failed"), "Action: failed\r\n");
  std::string value;
  for (int i = 0; i < 40; ++i) value += "word" + std::to_string(i) + (i % 3 ? " " : "  ");
  std::string f = field("Diagnostic-Code", value);
  EXPECT_TRUE(dsn_test::wire_clean(f));
  std::string unfolded;
  for (size_t s = 0, e; s < f.size(); s = e + 2) {
    e = f.find("\r\n", s);
    std::string line = f.substr(s, e - s);
    EXPECT_LE(line.size(), 78u) << line;
    if (s > 0) {
      EXPECT_EQ(line[0], ' ');
    }
    EXPECT_NE(line.find_first_not_of(' '), std::string::npos) << "whitespace-only line";
    unfolded += line;
  }
  EXPECT_EQ(unfolded, "Diagnostic-Code: " + value);
}

TEST(DsnText, FieldCutsRunsTooLongForAnyLine) {
  std::string f = field("X", std::string(3000, 'a'));
  EXPECT_TRUE(dsn_test::wire_clean(f));
  EXPECT_GE(std::count(f.begin(), f.end(), '\n'), 4);
}

TEST(DsnText, FieldNeverSplitsUtf8) {
  std::string value;
  for (int i = 0; i < 700; ++i) value += "\xc3\xa9";  // 1400 octets, no space
  std::string f = field("X", value);
  EXPECT_TRUE(dsn_test::wire_clean(f));
  for (size_t s = 0, e; s < f.size(); s = e + 2) {
    e = f.find("\r\n", s);
    std::string line = f.substr(s, e - s);
    if (s > 0) line.erase(0, 1);
    else line.erase(0, 3);
    EXPECT_TRUE(is_valid_utf8(line));
  }
}

TEST(DsnText, CleanText) {
  EXPECT_EQ(clean_text("a\r\nb\tc\x7f", false), "a??b c?");
  EXPECT_EQ(clean_text("caf\xc3\xa9", false), "caf??");
  EXPECT_EQ(clean_text("caf\xc3\xa9", true), "caf\xc3\xa9");
  EXPECT_EQ(clean_text("bad \xc3 \xff", true), "bad ? ?");
}

TEST(DsnText, Wrap) {
  EXPECT_EQ(wrap("aa bb cc", 5, "  "), "aa bb\r\n  cc\r\n");
  EXPECT_EQ(wrap("", 10, ""), "\r\n");
  EXPECT_TRUE(dsn_test::wire_clean(wrap(std::string(2000, 'q'), 72, "")));
}

TEST(DsnText, MtaValues) {
  EXPECT_TRUE(valid_mta_value("dns; mx1.example.net"));
  EXPECT_TRUE(valid_mta_value("dns;mx1.example.net"));
  EXPECT_TRUE(valid_mta_value("dns; 203.0.113.25"));
  EXPECT_FALSE(valid_mta_value("dns; mx.example.net [203.0.113.25]"));
  EXPECT_FALSE(valid_mta_value("mx1.example.net"));
  EXPECT_FALSE(valid_mta_value("dns; "));
  EXPECT_FALSE(valid_mta_value("; mx"));
  EXPECT_FALSE(valid_mta_value("dns; mx\r\nX: y"));
  EXPECT_FALSE(valid_mta_value(""));
  EXPECT_EQ(remote_mta_value("mx1.example.net"), "dns; mx1.example.net");
  EXPECT_EQ(remote_mta_value("[203.0.113.25]"), "dns; 203.0.113.25");
  EXPECT_TRUE(valid_mta_value(remote_mta_value("2001:db8::25")));
}

TEST(DsnText, RecipientValues) {
  EXPECT_EQ(address_type_value("bob@example.org", false), "rfc822; bob@example.org");
  EXPECT_EQ(address_type_value("\xc3\xa9@example.org", false), "utf-8; \\x{E9}@example.org");
  EXPECT_EQ(address_type_value("\xc3\xa9@example.org", true), "utf-8; \xc3\xa9@example.org");
  EXPECT_EQ(original_recipient_value("rfc822;x@y", false), "rfc822;x@y");
  EXPECT_EQ(original_recipient_value("RFC822;x@y", false), "rfc822;x@y");
  EXPECT_EQ(original_recipient_value("", false), "");
  EXPECT_EQ(original_recipient_value("rfc822;", false), "");
  EXPECT_EQ(original_recipient_value("rfc822;x\r\n@y", false), "");
  EXPECT_EQ(original_recipient_value("utf-8;\xc3\xa9@y", false), "utf-8;\\x{E9}@y");
  // Postfix's rfc822 ORCPT of a UTF-8 address: written as the utf-8 type.
  EXPECT_EQ(original_recipient_value("rfc822;zo\xc3\xab@y", false), "utf-8;zo\\x{EB}@y");
  EXPECT_EQ(original_recipient_value("rfc822;zo\xc3\xab@y", true), "utf-8;zo\xc3\xab@y");
}

TEST(DsnText, StatusCode) {
  RecipientReport r;
  r.reply = make_reply(550, "5.1.1", "x");
  EXPECT_EQ(status_code(r), "5.1.1");
  r.reply = make_reply(451, "", "x");
  EXPECT_EQ(status_code(r), "4.0.0");
  r.reply = make_reply(550, "bogus", "x");
  EXPECT_EQ(status_code(r), "5.0.0");
  r.reply = Reply{};
  r.action = Action::Delayed;
  EXPECT_EQ(status_code(r), "4.0.0");
}
