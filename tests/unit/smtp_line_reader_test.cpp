// Command-phase line splitting: CRLF and bare LF, the 512-octet limit exactly at
// its boundary, discarding overlong lines without buffering them, and results
// that do not depend on how the input is chunked.
#include "smtp/line_reader.h"
#include "smtp_test_support.h"

#include <gtest/gtest.h>

using namespace poolgate;
using namespace poolgate::smtp_test;

namespace {

Line ok(std::string text, bool bare_lf = false) { return Line{Line::Status::Ok, std::move(text), bare_lf}; }
Line too_long(bool bare_lf = false) { return Line{Line::Status::TooLong, "", bare_lf}; }

}  // namespace

TEST(SmtpLineReader, SplitsCrlfLines) {
  auto r = run_lines("EHLO a\r\nMAIL FROM:<>\r\n\r\nQUIT\r\n", {});
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_EQ(r.lines[0], ok("EHLO a"));
  EXPECT_EQ(r.lines[1], ok("MAIL FROM:<>"));
  EXPECT_EQ(r.lines[2], ok(""));
  EXPECT_EQ(r.lines[3], ok("QUIT"));
}

TEST(SmtpLineReader, FeedStopsAfterEachLine) {
  LineReader reader;
  std::string_view in = "NOOP\r\nDATA\r\nmessage text";
  auto res = reader.feed(in);
  EXPECT_EQ(res.consumed, 6u);
  ASSERT_TRUE(res.line);
  EXPECT_EQ(res.line->text, "NOOP");
  in.remove_prefix(res.consumed);
  res = reader.feed(in);
  EXPECT_EQ(res.consumed, 6u);
  EXPECT_EQ(res.line->text, "DATA");
  EXPECT_FALSE(reader.mid_line());  // the caller holds "message text" for the DataReader
  res = reader.feed("partial");
  EXPECT_EQ(res.consumed, 7u);
  EXPECT_FALSE(res.line);
  EXPECT_TRUE(reader.mid_line());
  reader.reset();
  EXPECT_FALSE(reader.mid_line());
}

TEST(SmtpLineReader, BareLfAcceptedButReported) {
  auto r = run_lines("EHLO a\nQUIT\r\n", {});
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], ok("EHLO a", true));
  EXPECT_EQ(r.lines[1], ok("QUIT"));
}

TEST(SmtpLineReader, BareLfRejectedByPolicy) {
  LineReaderOptions strict;
  strict.bare_lf = BareLf::Reject;
  auto r = run_lines("EHLO a\nQUIT\r\n\n", strict);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[0], (Line{Line::Status::BareLf, "EHLO a", true}));
  EXPECT_EQ(r.lines[1], ok("QUIT"));
  EXPECT_EQ(r.lines[2], (Line{Line::Status::BareLf, "", true}));
}

TEST(SmtpLineReader, BareCrStaysInTheText) {
  // Only LF ends a line; a CR inside is text, and the parser rejects it.
  auto r = run_lines("NOOP a\rb\r\n\r\r\n", {});
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], ok("NOOP a\rb"));
  EXPECT_EQ(r.lines[1], ok("\r"));
}

TEST(SmtpLineReader, LimitIsExactAtTheBoundary) {
  // 512 octets including CRLF: 510 octets of text is the most.
  std::string t510(510, 'x'), t511(511, 'x');
  auto r = run_lines(t510 + "\r\n" + t511 + "\r\n" + t510 + "\n" + t511 + "\n" + "QUIT\r\n", {});
  ASSERT_EQ(r.lines.size(), 5u);
  EXPECT_EQ(r.lines[0], ok(t510));
  EXPECT_EQ(r.lines[1], too_long());
  EXPECT_EQ(r.lines[2], ok(t510, true));
  EXPECT_EQ(r.lines[3], too_long(true));
  EXPECT_EQ(r.lines[4], ok("QUIT"));
}

TEST(SmtpLineReader, HeldCrAtTheLimit) {
  std::string t510(510, 'x');
  // CR arrives as the 511th octet, LF in the next chunk: still a 510-octet line.
  EXPECT_EQ(run_lines(t510 + "\r\n", {}, {511}).lines, std::vector<Line>{ok(t510)});
  // The 511th octet is a CR followed by text: the CR was bare, the line too long.
  EXPECT_EQ(run_lines(t510 + "\ry\r\nQUIT\r\n", {}, {511}).lines,
            (std::vector<Line>{too_long(), ok("QUIT")}));
  EXPECT_EQ(run_lines(t510 + "\r\r\n", {}, {511}).lines, std::vector<Line>{too_long()});
}

TEST(SmtpLineReader, OverlongLineIsDiscardedInChunksAndReportedOnce) {
  LineReader reader;
  std::string chunk(64 * 1024, 'A');
  for (int i = 0; i < 160; ++i) {  // 10 MiB without a line end
    auto res = reader.feed(chunk);
    ASSERT_EQ(res.consumed, chunk.size());
    ASSERT_FALSE(res.line);
  }
  auto res = reader.feed("\r\nQUIT\r\n");
  EXPECT_EQ(res.consumed, 2u);
  ASSERT_TRUE(res.line);
  EXPECT_EQ(*res.line, too_long());
  res = reader.feed("QUIT\r\n");
  EXPECT_EQ(*res.line, ok("QUIT"));
}

TEST(SmtpLineReader, ConfigurableLimit) {
  LineReaderOptions opts;
  opts.max_line = 1012;  // command_line_limit() with DSN offered
  std::string t1010(1010, 'r');
  auto r = run_lines(t1010 + "\r\n" + t1010 + "r\r\n", opts);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], ok(t1010));
  EXPECT_EQ(r.lines[1], too_long());
}

TEST(SmtpLineReader, SameResultWhereverTheInputIsSplit) {
  std::string t510(510, 'x');
  std::vector<std::string> inputs{
      "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
      "a\nb\r\n\r\n\n\r\r\nc\rd\r\n",
      t510 + "\r\n" + t510 + "x\r\nQUIT\r\n" + t510 + "\r\r\n" + t510 + "\n",
  };
  for (auto policy : {BareLf::Accept, BareLf::Reject}) {
    LineReaderOptions opts;
    opts.bare_lf = policy;
    for (const auto& in : inputs) {
      LineRun whole = run_lines(in, opts);
      EXPECT_EQ(whole.consumed, in.size());
      for (size_t i = 1; i < in.size(); ++i) {
        LineRun split = run_lines(in, opts, {i});
        ASSERT_EQ(split.lines, whole.lines) << "split at " << i;
        for (size_t j = i + 1; j < in.size() && j < i + 4; ++j)
          ASSERT_EQ(run_lines(in, opts, {i, j}).lines, whole.lines) << i << "," << j;
      }
      std::vector<size_t> every;
      for (size_t i = 1; i < in.size(); ++i) every.push_back(i);
      EXPECT_EQ(run_lines(in, opts, every).lines, whole.lines);
    }
  }
}
