// The DATA phase: the one terminator, dot-unstuffing, smuggling probes, bare
// CR/LF, NUL, the 1000-octet line limit at its boundary, the size limit over
// 100 MB without memory growth, and split-independence of every result.
#include "smtp/data_reader.h"
#include "smtp_test_support.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <random>

using namespace poolgate;
using namespace poolgate::smtp_test;

namespace {

const DataReaderOptions kReject{};
DataReaderOptions normalize() {
  DataReaderOptions o;
  o.bare_newline = BareNewline::Normalize;
  return o;
}

uint8_t bit(DataError e) { return uint8_t(e); }

// Resident memory in KiB, from /proc/self/statm.
long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

TEST(SmtpDataReader, PlainMessage) {
  std::string in = "Subject: hi\r\n\r\nbody\r\n.\r\n";
  DataRun r = run_data(in, kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(r.content, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(r.size, r.content.size());
}

TEST(SmtpDataReader, EmptyMessageEndsAtOnce) {
  // The CRLF that ended the DATA command starts the first line.
  DataRun r = run_data(".\r\n", kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(r.consumed, 3u);
}

TEST(SmtpDataReader, AfterBareLfDataCommandADotLineIsContent) {
  DataReaderOptions o = normalize();
  o.after_crlf = false;
  DataRun r = run_data(".\r\nx\r\n.\r\n", o);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.content, ".\r\nx\r\n");
}

TEST(SmtpDataReader, StopsRightAfterTheTerminator) {
  std::string in = "a\r\n.\r\nQUIT\r\n";
  DataReader reader(kReject, [](std::string_view) {});
  EXPECT_EQ(reader.feed(in), 6u);
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.feed("more"), 0u);
}

TEST(SmtpDataReader, DotUnstuffing) {
  struct Case {
    std::string wire, content;
  };
  std::vector<Case> cases{
      {"..\r\n.\r\n", ".\r\n"},
      {"...\r\n.\r\n", "..\r\n"},
      {"..foo\r\n.\r\n", ".foo\r\n"},
      {"a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n"},
      {".foo\r\n.\r\n", "foo\r\n"},  // unstuffed client: RFC 5321 4.5.2 still drops it
      {"a.\r\n. \r\n.\r\n", "a.\r\n \r\n"},
      {"x\r\n.\r\n.\r\n", "x\r\n"},  // ends at the first terminator
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.wire));
    DataRun r = run_data(c.wire, kReject);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.errors, 0);
    EXPECT_EQ(r.content, c.content);
  }
}

// SMTP smuggling (CVE-2023-51764/51765/51766): none of these end the data.
TEST(SmtpDataReader, SmugglingProbesNeverTerminate) {
  struct Probe {
    std::string seq;
    DataError reject_error;
    std::string normalized;  // how the probe reads in Normalize mode
  };
  std::vector<Probe> probes{
      {"\n.\n", DataError::BareLf, "\r\n.\r\n"},
      {"\r.\r", DataError::BareCr, "\r\n.\r\n"},
      {"\n.\r\n", DataError::BareLf, "\r\n.\r\n"},
      {"\r\n.\n", DataError::BareLf, "\r\n.\r\n"},
      {"\r.\r\n", DataError::BareCr, "\r\n.\r\n"},
      {"\r\n.\r", DataError::BareCr, "\r\n.\r\n"},
      {"\n.\r", DataError::BareLf, "\r\n.\r\n"},
      {"\r\r\n.\n", DataError::BareCr, "\r\n\r\n.\r\n"},
      {"\r\n.\r\r\n", DataError::BareCr, "\r\n.\r\n\r\n"},
      {"\n\n.\n\n", DataError::BareLf, "\r\n\r\n.\r\n\r\n"},
  };
  const std::string smuggled = "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n";
  for (const auto& p : probes) {
    SCOPED_TRACE(testing::PrintToString(p.seq));
    std::string in = "Subject: x\r\n\r\nhello" + p.seq + smuggled + "tail\r\n.\r\n";
    DataRun strict = run_data(in, kReject);
    EXPECT_TRUE(strict.done);
    EXPECT_EQ(strict.consumed, in.size());  // the smuggled commands were content
    EXPECT_EQ(strict.errors & bit(p.reject_error), bit(p.reject_error));
    DataRun lenient = run_data(in, normalize());
    EXPECT_TRUE(lenient.done);
    EXPECT_EQ(lenient.consumed, in.size());
    EXPECT_EQ(lenient.errors, 0);
    // The unstuffing of the lone "." lines aside, the content reads as the input
    // with every bare CR/LF made a CRLF; in stored form the dot line is content.
    std::string expect = "Subject: x\r\n\r\nhello" + p.normalized + smuggled + "tail\r\n";
    EXPECT_EQ(lenient.content, expect);
  }
}

TEST(SmtpDataReader, ProbesAtTheVeryStart) {
  for (std::string seq : {".\n", ".\r", "\n.\n", "\r.\r"}) {
    SCOPED_TRACE(testing::PrintToString(seq));
    std::string in = seq + "QUIT\r\n.\r\n";
    DataRun r = run_data(in, kReject);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.consumed, in.size());
    EXPECT_NE(r.errors, 0);
  }
}

TEST(SmtpDataReader, BareNewlinesRejectedOrNormalized) {
  std::string in = "a\nb\rc\r\r\n\n\r\n.\r\n";
  DataRun strict = run_data(in, kReject);
  EXPECT_TRUE(strict.done);
  EXPECT_EQ(strict.errors, bit(DataError::BareLf) | bit(DataError::BareCr));
  EXPECT_EQ(strict.content, "a");  // nothing is stored after the first error
  DataReader reader(kReject, [](std::string_view) {});
  reader.feed(in);
  EXPECT_EQ(reader.error(), DataError::BareLf);
  EXPECT_EQ(data_error_reply(reader.error())->wire(),
            "550 5.5.2 Error: bare <LF> received in message content\r\n");

  DataRun lenient = run_data(in, normalize());
  EXPECT_EQ(lenient.errors, 0);
  EXPECT_EQ(lenient.content, "a\r\nb\r\nc\r\n\r\n\r\n\r\n");
  DataReader n(normalize(), [](std::string_view) {});
  n.feed(in);
  EXPECT_TRUE(n.normalized());

  DataRun cr_only = run_data("a\rb\r\n.\r\n", kReject);
  EXPECT_EQ(cr_only.errors, bit(DataError::BareCr));
  EXPECT_EQ(data_error_reply(DataError::BareCr)->code, 550);
}

TEST(SmtpDataReader, NulIsAnError) {
  std::string in("a\0b\r\n.\r\n", 8);
  DataRun r = run_data(in, kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.errors, bit(DataError::Nul));
  EXPECT_EQ(r.content, "a");
  EXPECT_EQ(data_error_reply(DataError::Nul)->wire(), "554 5.6.0 Error: NUL octet in message content\r\n");
  EXPECT_EQ(run_data(std::string(".\0\r\n.\r\n", 7), normalize()).errors, bit(DataError::Nul));
}

TEST(SmtpDataReader, LineLimitAtTheBoundary) {
  // 1000 octets including CRLF: 998 of text is the most (RFC 5321 4.5.3.1.6).
  std::string l998(998, 'x'), l999(999, 'x');
  DataRun r = run_data(l998 + "\r\n.\r\n", kReject);
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.content, l998 + "\r\n");
  EXPECT_EQ(run_data(l999 + "\r\n.\r\n", kReject).errors, bit(DataError::LineTooLong));
  // The stuffing dot does not count: ".." + 997 octets is a 998-octet line.
  r = run_data(".." + std::string(997, 'x') + "\r\n.\r\n", kReject);
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.content.size(), 1000u);
  EXPECT_EQ(run_data(".." + l998 + "\r\n.\r\n", kReject).errors, bit(DataError::LineTooLong));
  EXPECT_EQ(run_data("a\r\n" + l999 + "\r\n.\r\n", kReject).errors, bit(DataError::LineTooLong));
  // The count restarts on every line, also after a normalized bare LF.
  EXPECT_EQ(run_data(l998 + "\n" + l998 + "\r\n.\r\n", normalize()).errors, 0);
  DataReaderOptions unlimited;
  unlimited.max_line = 0;
  EXPECT_EQ(run_data(std::string(100000, 'y') + "\r\n.\r\n", unlimited).errors, 0);
  EXPECT_EQ(data_error_reply(DataError::LineTooLong)->code, 552);
  EXPECT_EQ(data_error_reply(DataError::LineTooLong)->enhanced, "5.3.4");
}

TEST(SmtpDataReader, SizeLimitAtTheBoundary) {
  DataReaderOptions o;
  o.max_size = 10;
  DataRun r = run_data("12345678\r\n.\r\n", o);  // exactly 10 octets of content
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.size, 10u);
  r = run_data("123456789\r\n.\r\n", o);
  EXPECT_EQ(r.errors, bit(DataError::TooBig));
  EXPECT_EQ(r.size, 11u);
  EXPECT_LE(r.content.size(), 10u);
  EXPECT_EQ(data_error_reply(DataError::TooBig)->wire(),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(data_error_reply(DataError::None), std::nullopt);
}

TEST(SmtpDataReader, OverSizeMessageOf100MBDoesNotGrowMemory) {
  DataReaderOptions o;
  o.max_size = 1 << 20;
  o.max_line = 0;
  uint64_t delivered = 0;
  DataReader reader(o, [&](std::string_view s) { delivered += s.size(); });
  std::string chunk;
  for (int i = 0; i < 1024; ++i) chunk += std::string(62, char('a' + i % 26)) + "\r\n";  // 64 KiB
  const long before = rss_kib();
  uint64_t fed = 0;
  for (int i = 0; i < 1700; ++i) {  // ~106 MiB
    ASSERT_EQ(reader.feed(chunk), chunk.size());
    fed += chunk.size();
  }
  const long growth = rss_kib() - before;
  EXPECT_EQ(reader.feed("\r\n.\r\n"), 5u);
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.error(), DataError::TooBig);
  EXPECT_GT(fed, 100u << 20);
  EXPECT_EQ(reader.size(), fed + 2);  // every octet counted
  EXPECT_LE(delivered, o.max_size);   // none stored past the limit
  EXPECT_LT(growth, 16 * 1024) << "RSS grew by " << growth << " KiB";
}

TEST(SmtpDataReader, CallbackAndStringSinksAgree) {
  std::string in = "a\r\n..b\r\n" + std::string(200000, 'c') + "\r\n.\r\n";
  DataReaderOptions o;
  o.max_line = 0;
  std::string via_callback;
  DataReader reader(o, [&](std::string_view s) { via_callback.append(s); });
  reader.feed(in);
  EXPECT_EQ(via_callback, run_data(in, o).content);
}

TEST(SmtpDataReader, ErrorPrecedence) {
  DataReaderOptions o;
  o.max_size = 5;
  o.max_line = 10;
  DataReader reader(o, [](std::string_view) {});
  reader.feed(std::string("0123456789012\0\r\nx\ny\r\n.\r\n", 24));
  EXPECT_EQ(reader.errors(), bit(DataError::BareLf) | bit(DataError::Nul) |
                                 bit(DataError::LineTooLong) | bit(DataError::TooBig));
  EXPECT_EQ(reader.error(), DataError::BareLf);
}

// Where the network splits the stream must not change anything: content,
// consumed octets, errors, size.
TEST(SmtpDataReader, SameResultWhereverTheInputIsSplit) {
  std::vector<std::string> inputs{
      "a\r\n.\r\n",
      ".\r\n",
      "..\r\n...x\r\n.\r\nNEXT",
      "a\n.\nb\r.\rc\n.\r\nd\r\n.\ne\r.\r\n\r\n.\r\nQUIT\r\n",
      std::string("x\0y\r\r\n.\r\r\n..\r\n.\r\n", 17),
      "\r\r\n.\r\n",
      "\n\r\n.\r\n",
      std::string(997, 'q') + "\r\n" + std::string(999, 'r') + "\r\n.\r\n",
      "." + std::string(998, 's') + "\r\n.\r\n",
  };
  for (const DataReaderOptions& base : {kReject, normalize()}) {
    for (uint64_t max_size : {uint64_t(0), uint64_t(7)}) {
      DataReaderOptions o = base;
      o.max_size = max_size;
      for (const auto& in : inputs) {
        SCOPED_TRACE(testing::PrintToString(in.substr(0, 40)));
        DataRun whole = run_data(in, o);
        ASSERT_TRUE(whole.done);
        for (size_t i = 1; i < in.size(); ++i) {
          ASSERT_EQ(run_data(in, o, {i}), whole) << "split at " << i;
          if (in.size() >= 100) continue;  // two cuts: short inputs only (cubic)
          for (size_t j = i + 1; j < in.size(); ++j)
            ASSERT_EQ(run_data(in, o, {i, j}), whole) << "split at " << i << "," << j;
        }
        std::vector<size_t> every;
        for (size_t i = 1; i < in.size(); ++i) every.push_back(i);
        ASSERT_EQ(run_data(in, o, every), whole) << "byte at a time";
      }
    }
  }
}

TEST(SmtpDataReader, RandomInputsSplitRandomly) {
  std::mt19937 rng(1234);
  const char alphabet[] = {'.', '\r', '\n', 'a', '\0', ' '};
  for (int round = 0; round < 3000; ++round) {
    std::string in(rng() % 60, 'a');
    for (char& c : in) c = alphabet[rng() % sizeof alphabet];
    in += "\r\n.\r\n";
    DataReaderOptions o = round % 2 ? normalize() : kReject;
    o.max_line = 1 + rng() % 8;
    DataRun whole = run_data(in, o);
    ASSERT_TRUE(whole.done);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < in.size(); ++i)
      if (rng() % 3 == 0) cuts.push_back(i);
    ASSERT_EQ(run_data(in, o, cuts), whole) << testing::PrintToString(in);
    // The end is the first literal CRLF.CRLF (counting the DATA line's CRLF).
    size_t term = ("\r\n" + in).find("\r\n.\r\n");
    ASSERT_EQ(whole.consumed, term + 3) << testing::PrintToString(in);
  }
}
