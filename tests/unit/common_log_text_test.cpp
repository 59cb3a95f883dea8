// log_text(): what client- and peer-supplied bytes look like in a log line.
#include "common/log_text.h"

#include <gtest/gtest.h>

using namespace poolgate;

namespace {

TEST(LogText, EscapesControlAndNonAsciiBytes) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", ""},
      {"EHLO client.example.com", "EHLO client.example.com"},
      {"a\x1b[31mb", "a\\x1b[31mb"},
      {std::string("x\r\ny\0z", 6), "x\\x0d\\x0ay\\x00z"},
      {"tab\there", "tab\\x09here"},
      {"del\x7f", "del\\x7f"},
      {"zo\xc3\xab@example.net", "zo\\xc3\\xab@example.net"},
      {"back\\slash", "back\\x5cslash"},  // a literal "\x1b" cannot pass for an escape
      {"~ !\"#", "~ !\"#"},
  };
  for (const Case& c : cases) EXPECT_EQ(log_text(c.in), c.out) << c.in;
}

TEST(LogText, BoundsTheLengthAndSaysHowLongTheInputWas) {
  EXPECT_EQ(log_text(std::string(600, 'a')), std::string(512, 'a') + "...(600 bytes)");
  EXPECT_EQ(log_text(std::string(512, 'a')), std::string(512, 'a'));
  EXPECT_EQ(log_text("abc\x01" "def", 4), "abc\\x01...(7 bytes)");
}

}  // namespace
