// Both network scanners when the scanner is not there or misbehaves: nothing
// listening (refused, at once), a server that never answers (Failed after the
// timeout, not before and not much later), garbage, and each protocol's own
// errors. Every failure is a Failed verdict with the reason in detail, never
// an exception.
#include "spam_test_support.h"

namespace poolgate::spam_test {
namespace {

using Clock = std::chrono::steady_clock;

class ScannerFailure : public ::testing::TestWithParam<ScannerKind> {
 protected:
  const char* name() const { return GetParam() == ScannerKind::Spamd ? "spamd" : "rspamd"; }
  SpamVerdict scan(uint16_t port, uint32_t timeout_ms = 5000) {
    return scan_once(make_config(GetParam(), port, timeout_ms), make_envelope(), plain_message());
  }
  void expect_failed(const SpamVerdict& v, const std::string& words) {
    EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
    EXPECT_EQ(v.scanner, name());
    EXPECT_NE(v.detail.find(words), std::string::npos) << "want \"" << words << "\": " << describe(v);
  }
};

TEST_P(ScannerFailure, NothingListeningFailsAtOnce) {
  auto start = Clock::now();
  SpamVerdict v = scan(free_port());
  expect_failed(v, "connection refused");
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST_P(ScannerFailure, SilentServerFailsAfterTheTimeout) {
  SilentListener silent;
  auto start = Clock::now();
  SpamVerdict v = scan(silent.port(), 300);
  auto took = Clock::now() - start;
  expect_failed(v, "timeout after 300 ms");
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
}

TEST_P(ScannerFailure, GarbageReplyFails) {
  ScriptedServer server("\x01\x02 this is not a scanner\r\n\r\n");
  expect_failed(scan(server.port()), "unparseable reply");
}

TEST_P(ScannerFailure, ClosingWithoutAReplyFails) {
  ScriptedServer server("");
  SpamVerdict v = scan(server.port());
  EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
  EXPECT_FALSE(v.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(Both, ScannerFailure,
                         ::testing::Values(ScannerKind::Spamd, ScannerKind::Rspamd),
                         [](const auto& info) {
                           return info.param == ScannerKind::Spamd ? "spamd" : "rspamd";
                         });

TEST(SpamdFailure, NonZeroResultCodeFails) {
  ScriptedServer server("SPAMD/1.0 76 Bad header line: (Content-Length mismatch)\r\n");
  SpamVerdict v = scan_once(make_config(ScannerKind::Spamd, server.port()), make_envelope(),
                            plain_message());
  EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
  EXPECT_NE(v.detail.find("76 EX_PROTOCOL: Bad header line"), std::string::npos) << describe(v);
}

TEST(SpamdFailure, ReplyWithoutVerdictFails) {
  ScriptedServer server("SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n");
  SpamVerdict v = scan_once(make_config(ScannerKind::Spamd, server.port()), make_envelope(),
                            plain_message());
  EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
  EXPECT_NE(v.detail.find("no Spam header"), std::string::npos) << describe(v);
}

TEST(SpamdFailure, ScriptedVerdictIsRead) {
  // The request as spamd sees it, and a reply in spamd's exact format.
  ScriptedServer server("SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\nSpam: True ; 15.0 / 5.0\r\n\r\nGTUBE");
  std::string content = plain_message();
  SpamVerdict v = scan_once(make_config(ScannerKind::Spamd, server.port()), make_envelope(), content);
  EXPECT_EQ(v.status, SpamVerdict::Status::Spam) << describe(v);
  EXPECT_EQ(v.score, 15.0);
  EXPECT_EQ(v.required, 5.0);
  EXPECT_EQ(server.last_request(), "SYMBOLS SPAMC/1.5\r\nContent-length: " +
                                       std::to_string(content.size()) +
                                       "\r\nUser: poolgate\r\n\r\n" + content);
}

TEST(RspamdFailure, HttpErrorStatusFails) {
  ScriptedServer server(http_reply("500 Internal Server Error", R"({"error": "cannot scan"})"));
  SpamVerdict v = scan_once(make_config(ScannerKind::Rspamd, server.port()), make_envelope(),
                            plain_message());
  EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
  EXPECT_NE(v.detail.find("HTTP status 500: cannot scan"), std::string::npos) << describe(v);
}

TEST(RspamdFailure, ReplyThatIsNotJsonFails) {
  ScriptedServer server(http_reply("200 OK", "<html>hello</html>"));
  SpamVerdict v = scan_once(make_config(ScannerKind::Rspamd, server.port()), make_envelope(),
                            plain_message());
  EXPECT_EQ(v.status, SpamVerdict::Status::Failed) << describe(v);
  EXPECT_NE(v.detail.find("unparseable reply: not JSON"), std::string::npos) << describe(v);
}

TEST(ScannerFactory, NoneMeansNoScanner) {
  asio::io_context io;
  SpamConfig config;
  EXPECT_EQ(make_scanner(io.get_executor(), config, {}), nullptr);
}

}  // namespace
}  // namespace poolgate::spam_test
