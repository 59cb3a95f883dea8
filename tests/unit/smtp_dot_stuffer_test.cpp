// Wire form for the outbound side, and the property that ties both directions
// together: feeding stuff(content) to a DataReader gives back the content.
#include "smtp/data_reader.h"
#include "smtp/dot_stuffer.h"
#include "smtp_test_support.h"

#include <gtest/gtest.h>

#include <random>

using namespace poolgate;
using namespace poolgate::smtp_test;

namespace {

// What DataReader stores for content that went through the stuffer: every bare
// CR or LF is a CRLF, and non-empty content ends in one.
std::string canonical(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (in[i] == '\n') {
      out += "\r\n";
    } else {
      out += in[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

TEST(SmtpDotStuffer, Table) {
  std::vector<std::pair<std::string, std::string>> cases{
      {"", ".\r\n"},
      {"a", "a\r\n.\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {".", "..\r\n.\r\n"},
      {".a\r\n", "..a\r\n.\r\n"},
      {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
      {"a\r\n..\r\n", "a\r\n...\r\n.\r\n"},
      {"a.b\r\n", "a.b\r\n.\r\n"},
      {"\r\n", "\r\n.\r\n"},
      {"a\nb", "a\r\nb\r\n.\r\n"},
      {"a\rb", "a\r\nb\r\n.\r\n"},
      {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
      {"a\r", "a\r\n.\r\n"},
      {"a\r\r\n", "a\r\n\r\n.\r\n"},
      {"\n.", "\r\n..\r\n.\r\n"},
  };
  for (const auto& [content, wire] : cases) {
    SCOPED_TRACE(testing::PrintToString(content));
    EXPECT_EQ(dot_stuff(content), wire);
  }
}

TEST(SmtpDotStuffer, ChunkingDoesNotMatterAndStufferIsReusable) {
  std::string content = "x\r\n.a\r\n\r\r\n.\n.\r.\r\n..";
  std::string whole = dot_stuff(content);
  for (size_t i = 0; i <= content.size(); ++i) {
    for (size_t j = i; j <= content.size(); ++j) {
      DotStuffer s;
      std::string out;
      s.feed(content.substr(0, i), out);
      s.feed(content.substr(i, j - i), out);
      s.feed(content.substr(j), out);
      s.finish(out);
      ASSERT_EQ(out, whole) << i << "," << j;
      out.clear();
      s.feed("again", out);  // finish() left it ready for another message
      s.finish(out);
      ASSERT_EQ(out, "again\r\n.\r\n");
    }
  }
}

TEST(SmtpDotStuffer, RoundTripThroughTheDataReader) {
  std::mt19937 rng(99);
  const char alphabet[] = {'.', '\r', '\n', 'a', ' ', '\xc3'};
  for (int round = 0; round < 5000; ++round) {
    std::string content(rng() % 80, 'a');
    for (char& c : content) c = alphabet[rng() % sizeof alphabet];
    std::string wire = dot_stuff(content);
    DataRun r = run_data(wire, {});  // strict defaults: any bare CR/LF would be an error
    ASSERT_TRUE(r.done) << testing::PrintToString(content);
    ASSERT_EQ(r.consumed, wire.size());
    ASSERT_EQ(r.errors, 0) << testing::PrintToString(content);
    ASSERT_EQ(r.content, canonical(content));
  }
}

TEST(SmtpDotStuffer, CanonicalContentRoundTripsExactly) {
  std::vector<std::string> contents{
      "", "\r\n", ".\r\n", "..\r\n", "Subject: x\r\n\r\n.\r\n.\r\n..\r\nend\r\n",
      std::string(998, '.') + "\r\n", "a\r\n\r\n\r\n"};
  for (const auto& c : contents) {
    SCOPED_TRACE(testing::PrintToString(c.substr(0, 30)));
    std::string wire = dot_stuff(c);
    DataRun r = run_data(wire, {});
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.errors, 0);
    EXPECT_EQ(r.content, c);
    // Split anywhere, the same.
    for (size_t i = 1; i < wire.size(); i += 7) EXPECT_EQ(run_data(wire, {}, {i}).content, c);
  }
}
