// The scanners' pure parts: the spamc request and the spamd reply parser, the
// rspamd request headers and the action mapping, and the max_scan_bytes cut.
#include "spam/rspamd_protocol.h"
#include "spam/scan_limit.h"
#include "spam/spamd_protocol.h"
#include "spam_test_support.h"

namespace poolgate::spam_test {
namespace {

using Status = SpamVerdict::Status;

TEST(SpamdProtocol, RequestCountsTheMessageBytes) {
  EXPECT_EQ(spamd_request("Subject: x\r\n\r\nhi\r\n"),
            "SYMBOLS SPAMC/1.5\r\nContent-length: 18\r\nUser: poolgate\r\n\r\nSubject: x\r\n\r\nhi\r\n");
}

TEST(SpamdProtocol, SymbolsReply) {
  SpamVerdict v = parse_spamd_reply(
      "SPAMD/1.1 0 EX_OK\r\nContent-length: 18\r\nSpam: True ; 1002.3 / 5.0\r\n\r\nGTUBE,MISSING_DATE");
  EXPECT_EQ(v.status, Status::Spam);
  EXPECT_EQ(v.scanner, "spamd");
  EXPECT_DOUBLE_EQ(v.score, 1002.3);
  EXPECT_DOUBLE_EQ(v.required, 5.0);
  EXPECT_EQ(v.detail, "tests=GTUBE,MISSING_DATE");
}

TEST(SpamdProtocol, CheckReplyWithoutBodyAndOldSpellings) {
  SpamVerdict clean = parse_spamd_reply("SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.5 / 5.0\r\n\r\n");
  EXPECT_EQ(clean.status, Status::Clean);
  EXPECT_DOUBLE_EQ(clean.score, -0.5);
  EXPECT_EQ(clean.detail, "");
  // Bare LF lines, "Yes", integer numbers, extra headers.
  SpamVerdict spam = parse_spamd_reply("SPAMD/1.0 0 EX_OK\nX-Other: 1\nspam: yes ; 15 / 5\n\n");
  EXPECT_EQ(spam.status, Status::Spam);
  EXPECT_DOUBLE_EQ(spam.score, 15);
}

TEST(SpamdProtocol, FailuresAndGarbage) {
  struct Case {
    const char* reply;
    const char* words;
  } cases[] = {
      {"", "empty reply"},
      {"SPAMD/1.0 76 Bad header line: x\r\n", "spamd replied 76 EX_PROTOCOL: Bad header line: x"},
      {"SPAMD/1.0 75\r\n", "spamd replied 75 EX_TEMPFAIL"},
      {"SPAMD/1.0 99 odd\r\n", "spamd replied 99: odd"},
      {"HTTP/1.1 200 OK\r\n\r\n", "unparseable reply: not a SPAMD/1.x reply"},
      {"SPAMD/2.0 0 EX_OK\r\n\r\n", "not a SPAMD/1.x reply"},
      {"SPAMD/1.1 zero EX_OK\r\n\r\n", "no result code"},
      {"SPAMD/1.1 0 EX_OK\r\n\r\n", "no Spam header"},
      {"SPAMD/1.1 0 EX_OK\r\nSpam: True 15 5\r\n\r\n", "malformed Spam header"},
      {"SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 15 / 5\r\n\r\n", "malformed Spam header"},
      {"SPAMD/1.1 0 EX_OK\r\nSpam: True ; lots / 5\r\n\r\n", "malformed Spam header"},
      {"SPAMD/1.1 0 EX_OK\r\nContent-length: x\r\nSpam: True ; 1 / 5\r\n\r\nA", "malformed Content-length"},
      {"\r\n\r\nSPAMD/1.1 0 EX_OK", "unparseable reply"},
  };
  for (const Case& c : cases) {
    SpamVerdict v = parse_spamd_reply(c.reply);
    EXPECT_EQ(v.status, Status::Failed) << c.reply;
    EXPECT_NE(v.detail.find(c.words), std::string::npos) << c.reply << " -> " << v.detail;
  }
}

TEST(SpamdProtocol, ReplyCompleteness) {
  EXPECT_FALSE(spamd_reply_complete(""));
  EXPECT_FALSE(spamd_reply_complete("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\n"));
  EXPECT_TRUE(spamd_reply_complete("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\n\r\n"));
  EXPECT_FALSE(spamd_reply_complete("SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\n\r\nGTU"));
  EXPECT_TRUE(spamd_reply_complete("SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\n\r\nGTUBE"));
}

TEST(RspamdProtocol, HeadersFromTheEnvelope) {
  Envelope e = make_envelope();
  e.sender = "";
  e.recipients.push_back({.address = "carol@example.net"});
  e.client_helo = "evil\r\nX-Injected: 1";
  e.auth_user = "alice";
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(rspamd_headers(e),
            (Headers{{"From", "<>"}, {"Rcpt", "bob@example.org"}, {"Rcpt", "carol@example.net"},
                     {"IP", "127.0.0.1"}, {"Helo", "evilX-Injected: 1"},
                     {"Queue-Id", "SPAMTEST0001"}, {"User", "alice"}}));
  e.client_address.clear();
  e.client_helo.clear();
  e.auth_user.clear();
  EXPECT_EQ(rspamd_headers(e).size(), 4u);  // From, two Rcpt, Queue-Id
}

TEST(RspamdProtocol, ActionMapping) {
  for (const char* a : {"reject", "add header", "rewrite subject", "discard", "quarantine"})
    EXPECT_EQ(rspamd_action_is_spam(a), true) << a;
  for (const char* a : {"no action", "greylist", "soft reject"})
    EXPECT_EQ(rspamd_action_is_spam(a), false) << a;
  EXPECT_EQ(rspamd_action_is_spam("Reject"), std::nullopt);
  EXPECT_EQ(rspamd_action_is_spam("panic"), std::nullopt);
}

TEST(RspamdProtocol, Replies) {
  SpamVerdict spam = parse_rspamd_reply(200, R"({"is_skipped": false, "score": 9.5,
      "required_score": 15.0, "action": "add header", "symbols": {
        "R_SPF_NA": {"name": "R_SPF_NA", "score": 0.0},
        "HFILTER_HOSTNAME_UNKNOWN": {"name": "HFILTER_HOSTNAME_UNKNOWN", "score": 2.5},
        "MIME_GOOD": {"name": "MIME_GOOD", "score": -0.1},
        "BAYES_SPAM": {"name": "BAYES_SPAM", "score": 7.1}}})");
  EXPECT_EQ(spam.status, Status::Spam);
  EXPECT_EQ(spam.scanner, "rspamd");
  EXPECT_DOUBLE_EQ(spam.score, 9.5);
  EXPECT_DOUBLE_EQ(spam.required, 15.0);
  EXPECT_EQ(spam.detail,
            "action=add header symbols=BAYES_SPAM(7.1),HFILTER_HOSTNAME_UNKNOWN(2.5),MIME_GOOD(-0.1)");

  // A forced action (GTUBE scores 0): every rule that hit is named.
  SpamVerdict forced = parse_rspamd_reply(200, R"({"score": 15, "required_score": 15,
      "action": "reject", "symbols": {"GTUBE": {"name": "GTUBE", "score": 0.0}}})");
  EXPECT_EQ(forced.detail, "action=reject symbols=GTUBE(0)");

  SpamVerdict clean = parse_rspamd_reply(200, R"({"score": -0.1, "required_score": 15, "action": "no action"})");
  EXPECT_EQ(clean.status, Status::Clean);
  EXPECT_EQ(clean.detail, "action=no action");
}

TEST(RspamdProtocol, BadReplies) {
  struct Case {
    unsigned status;
    const char* body;
    const char* words;
  } cases[] = {
      {500, R"({"error": "boom"})", "HTTP status 500: boom"},
      {404, "not here", "HTTP status 404: not here"},
      {200, "not json", "unparseable reply: not JSON"},
      {200, "[1, 2]", "not a JSON object"},
      {200, R"({"required_score": 15, "action": "reject"})", "no score or required_score"},
      {200, R"({"score": "high", "required_score": 15, "action": "reject"})", "no score"},
      {200, R"({"score": 1, "required_score": 15})", "no action"},
      {200, R"({"score": 1, "required_score": 15, "action": "panic"})", "unknown action \"panic\""},
  };
  for (const Case& c : cases) {
    SpamVerdict v = parse_rspamd_reply(c.status, c.body);
    EXPECT_EQ(v.status, Status::Failed) << c.body;
    EXPECT_NE(v.detail.find(c.words), std::string::npos) << c.body << " -> " << v.detail;
  }
}

TEST(ScanLimit, CutsAtALineEndInsideTheLimit) {
  ScanPart whole = limit_scan("a\r\nb\r\n", 100);
  EXPECT_FALSE(whole.truncated);
  EXPECT_EQ(whole.content, "a\r\nb\r\n");
  EXPECT_EQ(whole.note(), "");

  ScanPart cut = limit_scan("line one\r\nline two\r\n", 14);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.content, "line one\r\n");
  EXPECT_EQ(cut.note(), "scanned the first 10 of 20 bytes");

  // Only the head of a message streamed to the spool: the note names the
  // message's own size, not the head's.
  EXPECT_EQ(limit_scan("line one\r\nline two\r\n", 14, 5000).note(),
            "scanned the first 10 of 5000 bytes");
  ScanPart head = limit_scan("a\r\n", 100, 5000);
  EXPECT_TRUE(head.truncated);
  EXPECT_EQ(head.note(), "scanned the first 3 of 5000 bytes");
  EXPECT_FALSE(limit_scan("a\r\n", 100, 3).truncated);  // the whole message after all

  // No line end close enough: cut at the limit itself.
  EXPECT_EQ(limit_scan(std::string(5000, 'x'), 2000).content.size(), 2000u);
  std::string far = "x\n" + std::string(5000, 'y');
  EXPECT_EQ(limit_scan(far, 3000).content.size(), 3000u);
  EXPECT_FALSE(limit_scan(std::string(5000, 'x'), 0).truncated);  // 0 = no limit
}

}  // namespace
}  // namespace poolgate::spam_test
