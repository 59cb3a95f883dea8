// The pieces together, the way the session will drive them: LineReader and
// parse_command in the command phase, a DataReader after DATA, back to lines at
// the terminator. A pipelining client's stream, with a smuggling attempt inside
// the message, must yield the same events wherever the stream is split, and the
// smuggled commands must never be read as commands.
#include "smtp/command_parser.h"
#include "smtp/data_reader.h"
#include "smtp/line_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace poolgate;

namespace {

class MiniSession {
 public:
  explicit MiniSession(BareNewline policy) { data_opts_.bare_newline = policy; }

  void feed(std::string_view in) {
    while (!in.empty()) {
      if (data_) {
        in.remove_prefix(data_->feed(in));
        if (data_->done()) end_of_data();
        continue;
      }
      auto r = lines_.feed(in);
      in.remove_prefix(r.consumed);
      if (r.line) command(*r.line);
    }
  }

  std::vector<std::string> events;

 private:
  void command(const Line& line) {
    if (auto err = line_error_reply(line)) return events.push_back(err->str());
    ParseResult p = parse_command(line.text);
    if (!p.ok()) return events.push_back(p.error->str());
    const Command& c = p.command;
    switch (c.verb) {
      case Verb::Mail: return events.push_back("MAIL " + c.path);
      case Verb::Rcpt: return events.push_back("RCPT " + c.path);
      case Verb::Data:
        events.push_back("DATA");
        content_.clear();
        data_.emplace(data_opts_, content_);
        return;
      default: return events.push_back(std::string(verb_name(c.verb)));
    }
  }

  void end_of_data() {
    if (auto err = data_error_reply(data_->error())) events.push_back("REJECT " + err->str());
    else events.push_back("ACCEPT " + content_);
    data_.reset();
  }

  DataReaderOptions data_opts_;
  LineReader lines_;
  std::string content_;
  std::optional<DataReader> data_;
};

const std::string kStream =
    "EHLO client.example\r\n"
    "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"
    "Subject: s\r\n\r\nhi\n.\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@y.example>\r\n"
    "DATA\r\nsmuggled\r\n.\r\n"
    "BDAT 10 LAST\r\n" +
    std::string(600, 'A') + "\r\n"
    "MAIL FROM:<e@f.example>\r\nRCPT TO:<g@h.example>\r\nDATA\r\n..dot\r\n.\r\n"
    "QUIT\r\n";

std::vector<std::string> run(BareNewline policy, const std::vector<size_t>& cuts) {
  MiniSession s(policy);
  size_t prev = 0;
  for (size_t c : cuts) {
    s.feed(std::string_view(kStream).substr(prev, c - prev));
    prev = c;
  }
  s.feed(std::string_view(kStream).substr(prev));
  return s.events;
}

}  // namespace

TEST(SmtpPipeline, SmugglingAttemptIsOneRejectedMessage) {
  std::vector<std::string> expect{
      "EHLO",
      "MAIL a@b.example",
      "RCPT c@d.example",
      "DATA",
      "REJECT 550 5.5.2 Error: bare <LF> received in message content",
      "502 5.5.1 BDAT command not implemented",
      "500 5.5.2 Error: line too long",
      "MAIL e@f.example",
      "RCPT g@h.example",
      "DATA",
      "ACCEPT .dot\r\n",
      "QUIT",
  };
  EXPECT_EQ(run(BareNewline::Reject, {}), expect);
}

TEST(SmtpPipeline, NormalizedSmugglingAttemptStaysContent) {
  auto events = run(BareNewline::Normalize, {});
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events[4],
            "ACCEPT Subject: s\r\n\r\nhi\r\n.\r\nMAIL FROM:<evil@x.example>\r\n"
            "RCPT TO:<victim@y.example>\r\nDATA\r\nsmuggled\r\n");
  for (const auto& e : events) EXPECT_NE(e, "MAIL evil@x.example");
}

TEST(SmtpPipeline, SameEventsWhereverTheStreamIsSplit) {
  for (auto policy : {BareNewline::Reject, BareNewline::Normalize}) {
    auto whole = run(policy, {});
    for (size_t i = 1; i < kStream.size(); ++i) ASSERT_EQ(run(policy, {i}), whole) << i;
    std::vector<size_t> every;
    for (size_t i = 1; i < kStream.size(); ++i) every.push_back(i);
    EXPECT_EQ(run(policy, every), whole);
  }
}
