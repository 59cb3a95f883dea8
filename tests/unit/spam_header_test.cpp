// The trusted_header scanner: X-Spam-Flag / X-Spam-Status from a client in
// relay.client_networks decide, from anyone else they are ignored; and the
// header unfolding underneath.
#include "mail/header_fields.h"
#include "spam/header_scanner.h"
#include "spam_test_support.h"

namespace poolgate::spam_test {
namespace {

using Status = SpamVerdict::Status;

std::vector<Network> trusted() {
  return {{asio::ip::make_address("10.1.0.0"), 16}, {asio::ip::make_address("2001:db8::"), 32}};
}

Envelope from(const std::string& client) {
  Envelope e = make_envelope();
  e.client_address = client;
  return e;
}

SpamVerdict judge(const std::string& client, const std::string& message) {
  SpamConfig config;
  config.scanner = ScannerKind::Header;
  return scan_once(config, from(client), message, trusted());  // through make_scanner and scan()
}

const std::string kSpamStatus =
    "X-Spam-Status: Yes, score=15.2 required=5.0 tests=GTUBE,\r\n"
    "\tMISSING_DATE autolearn=no\r\n";

TEST(HeaderFields, UnfoldsAndStopsAtTheBody) {
  auto fields = parse_header_fields(
      "Subject: one\r\n two\r\nX-A:b\r\n\tc\r\nbogus line\r\n more\r\n\r\nX-Body: no\r\n");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "Subject");
  EXPECT_EQ(fields[0].value, "one two");
  EXPECT_EQ(fields[1].name, "X-A");
  EXPECT_EQ(fields[1].value, "b\tc");
  EXPECT_EQ(parse_header_fields("A: 1\nB:  2 \n\nC: 3").size(), 2u);  // LF lines too
}

TEST(HeaderScanner, SpamStatusFromATrustedClient) {
  SpamVerdict v = judge("10.1.2.3", kSpamStatus + message("hi", "body"));
  EXPECT_EQ(v.status, Status::Spam) << describe(v);
  EXPECT_EQ(v.scanner, "header");
  EXPECT_DOUBLE_EQ(v.score, 15.2);
  EXPECT_DOUBLE_EQ(v.required, 5.0);
  EXPECT_NE(v.detail.find("X-Spam-Status: Yes, score=15.2"), std::string::npos) << v.detail;
}

TEST(HeaderScanner, FlagAloneAnyCase) {
  SpamVerdict v = judge("2001:db8::25", "x-spam-flag: yes\r\n" + message("hi", "body"));
  EXPECT_EQ(v.status, Status::Spam) << describe(v);
  EXPECT_EQ(v.score, 0);  // no score= anywhere
  // v4-mapped client addresses count as their IPv4 address.
  EXPECT_EQ(judge("::ffff:10.1.9.9", "X-Spam-Flag: YES\r\n\r\n").status, Status::Spam);
}

TEST(HeaderScanner, CleanFromATrustedClient) {
  SpamVerdict no = judge("10.1.2.3", "X-Spam-Flag: NO\r\nX-Spam-Status: No, score=1.1 required=5.0\r\n\r\n");
  EXPECT_EQ(no.status, Status::Clean) << describe(no);
  EXPECT_DOUBLE_EQ(no.score, 1.1);
  SpamVerdict none = judge("10.1.2.3", plain_message());
  EXPECT_EQ(none.status, Status::Clean);
  EXPECT_EQ(none.detail, "no X-Spam-Flag or X-Spam-Status");
  // In the body, not a header: it does not count.
  EXPECT_EQ(judge("10.1.2.3", "Subject: x\r\n\r\nX-Spam-Flag: YES\r\n").status, Status::Clean);
  // A status folded right after the colon still counts once unfolded.
  EXPECT_EQ(judge("10.1.2.3", "X-Spam-Status:\r\n Yes, score=7\r\n\r\n").status, Status::Spam);
}

TEST(HeaderScanner, UntrustedClientsAreIgnored) {
  for (const char* client : {"192.0.2.1", "10.2.0.1", "2001:db9::1", "", "not an address"}) {
    SpamVerdict v = judge(client, kSpamStatus + "X-Spam-Flag: YES\r\n\r\n");
    EXPECT_EQ(v.status, Status::Clean) << client;
    EXPECT_EQ(v.detail, "header ignored: untrusted client") << client;
  }
  // No trusted networks at all: nobody is trusted.
  HeaderScanner nobody({});
  EXPECT_EQ(nobody.judge(from("10.1.2.3"), kSpamStatus).detail, "header ignored: untrusted client");
}

TEST(HeaderScanner, ScoreKeysAreWholeWords) {
  SpamVerdict v = judge_spam_headers("X-Spam-Status: Yes, hits=3 xscore=99 score=6.5\r\n\r\n");
  EXPECT_DOUBLE_EQ(v.score, 6.5);
}

}  // namespace
}  // namespace poolgate::spam_test
