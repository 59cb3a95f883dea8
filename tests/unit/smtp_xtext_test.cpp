// xtext (RFC 3461 4) and the RFC 6533 utf-8 address encoding, plus the UTF-8
// validator they and the address parser rely on.
#include "smtp/utf8.h"
#include "smtp/xtext.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace poolgate;

TEST(SmtpXtext, EncodeTable) {
  std::vector<std::pair<std::string, std::string>> cases{
      {"", ""},
      {"abc", "abc"},
      {"a+b", "a+2Bb"},
      {"a=b", "a+3Db"},
      {"a b", "a+20b"},
      {"user@example.com", "user@example.com"},
      {std::string("\0\x01\x7f\xff", 4), "+00+01+7F+FF"},
      {"!~", "!~"},
      {"j\xc3\xb6rg", "j+C3+B6rg"},
  };
  for (const auto& [raw, enc] : cases) {
    SCOPED_TRACE(enc);
    EXPECT_EQ(xtext_encode(raw), enc);
    EXPECT_EQ(xtext_decode(enc), raw);
  }
}

TEST(SmtpXtext, DecodeRejectsNonXtext) {
  for (const std::string& bad : std::vector<std::string>{"a b", "a=b", "a+", "a+2", "a+2G", "a+G2",
                                                         "+", "\x7f", "a\tb", "j\xc3\xb6rg",
                                                         std::string("a\0b", 3)}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(xtext_decode(bad), std::nullopt);
  }
  EXPECT_EQ(xtext_decode("a+2bb"), "a+b");  // lower-case hex tolerated
}

TEST(SmtpXtext, RoundTripsEveryOctetAndRandomStrings) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += char(c);
  EXPECT_EQ(xtext_decode(xtext_encode(all)), all);
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = char(rng());
    std::string enc = xtext_encode(s);
    for (unsigned char c : enc) ASSERT_TRUE(c >= '!' && c <= '~' && c != '=');
    ASSERT_EQ(xtext_decode(enc), s);
  }
}

TEST(SmtpXtext, Utf8AddressEncoding) {
  // RFC 6533 3: "\x{HEX}" escapes; raw UTF-8 only in unitext.
  EXPECT_EQ(utf8_addr_encode("j\xc3\xb6rg@example.com", false), "j\\x{F6}rg@example.com");
  EXPECT_EQ(utf8_addr_encode("j\xc3\xb6rg@example.com", true), "j\xc3\xb6rg@example.com");
  EXPECT_EQ(utf8_addr_encode("a+b=c\\d e", true), "a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e");
  EXPECT_EQ(utf8_addr_encode("\xf0\x9f\x98\x80", false), "\\x{1F600}");
  EXPECT_EQ(utf8_addr_decode("j\\x{F6}rg", false), "j\xc3\xb6rg");
  EXPECT_EQ(utf8_addr_decode("j\\x{f6}rg", false), "j\xc3\xb6rg");
  EXPECT_EQ(utf8_addr_decode("j\xc3\xb6rg", true), "j\xc3\xb6rg");
  for (std::string bad : {"j\xc3\xb6rg", "a\\x{}", "a\\x{110000}", "a\\x{D800}", "a\\x{1234567}",
                          "a\\x{12", "a\\y{12}", "a+b", "a=b", "a b"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(utf8_addr_decode(bad, false), std::nullopt);
  }
  EXPECT_EQ(utf8_addr_decode("j\xc3rg", true), std::nullopt);
}

TEST(SmtpXtext, Utf8AddressRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    int n = int(rng() % 12);
    for (int k = 0; k < n; ++k) {
      uint32_t cp = rng() % 4 == 0 ? rng() % 0x110000 : 0x20 + rng() % 0x60;
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
      ASSERT_TRUE(append_utf8(s, cp));
    }
    for (bool unitext : {false, true}) {
      std::string enc = utf8_addr_encode(s, unitext);
      if (!unitext) {
        ASSERT_TRUE(is_ascii(enc));
      }
      ASSERT_EQ(utf8_addr_decode(enc, unitext), s) << enc;
    }
  }
}

TEST(SmtpUtf8, Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("ascii"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xb6\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  for (std::string bad : {"\x80", "\xc3", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3\x28"}) {
    SCOPED_TRACE(testing::PrintToString(bad));
    EXPECT_FALSE(is_valid_utf8(bad));
  }
  std::string s;
  EXPECT_FALSE(append_utf8(s, 0xD800));
  EXPECT_FALSE(append_utf8(s, 0x110000));
  EXPECT_TRUE(s.empty());
}
