// The assembled DSN, checked by Python's `email` package (an independent MIME
// parser that knows message/delivery-status) and byte by byte: RFC 3464 fields,
// RFC 6522 structure, RET handling, folding, CRLF and line lengths.
#include "dsn/dsn.h"
#include "dsn_test_support.h"

#include <gtest/gtest.h>

using namespace poolgate;
using namespace poolgate::dsn_test;

namespace {

Dsn must_build(const Envelope& env, std::string_view content, std::vector<RecipientReport> reports,
               DsnOptions opts = options()) {
  auto dsn = build(env, content, reports, opts);
  EXPECT_TRUE(dsn.has_value());
  return dsn ? *dsn : Dsn{};
}

#define EXPECT_PY_OK(content, script)                          \
  do {                                                         \
    PyResult py_ = run_python((content), (script));            \
    EXPECT_EQ(py_.status, 0) << py_.output << "\n" << (content); \
  } while (0)

}  // namespace

TEST(DsnMessage, PythonSeesAnRfc3464Report) {
  Dsn dsn = must_build(original(), kContent, {failed(0)});
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_PY_OK(dsn.content, R"PY(
assert all_defects(MSG) == [], all_defects(MSG)
assert MSG.get_param('report-type') == 'delivery-status', MSG.get_param('report-type')
assert MSG['From'] == 'Mail Delivery System <MAILER-DAEMON@relay.example.net>', MSG['From']
assert MSG['To'] == '<alice@example.com>', MSG['To']
assert MSG['Subject'] == 'Undelivered Mail Returned to Sender', MSG['Subject']
assert MSG['Date'] == 'Tue, 14 Nov 2023 23:13:20 +0000', MSG['Date']
assert re.fullmatch(r'<[^<>@\s]+@relay\.example\.net>', MSG['Message-ID']), MSG['Message-ID']
assert MSG['MIME-Version'] == '1.0'
assert MSG['Auto-Submitted'] == 'auto-replied'
parts = report_parts()
assert len(parts) == 3
assert 'bob@example.org' in parts[0].get_payload() and '550 5.1.1 User unknown' in parts[0].get_payload()
assert parts[1].get_content_type() == 'message/delivery-status', parts[1].get_content_type()
msgf, rcpts = status_groups(parts[1])
assert msgf['Reporting-MTA'] == 'dns; relay.example.net', msgf['Reporting-MTA']
assert msgf['Arrival-Date'] == 'Tue, 14 Nov 2023 22:13:20 +0000', msgf['Arrival-Date']
assert msgf['Original-Envelope-Id'] is None
assert msgf['X-Poolgate-Queue-ID'] == '0CJ3N8V2K4M5P6Q7'
assert len(rcpts) == 1, rcpts
r = rcpts[0]
assert r['Final-Recipient'] == 'rfc822; bob@example.org', r['Final-Recipient']
assert r['Action'] == 'failed', r['Action']
assert r['Status'] == '5.1.1', r['Status']
assert r['Remote-MTA'] == 'dns; mx1.example.org', r['Remote-MTA']
assert unfold(r['Diagnostic-Code']) == 'smtp; 550 5.1.1 User unknown', r['Diagnostic-Code']
assert r['Last-Attempt-Date'] == 'Tue, 14 Nov 2023 23:11:40 +0000', r['Last-Attempt-Date']
assert r['Will-Retry-Until'] is None
assert r['Original-Recipient'] is None
assert parts[2].get_content_type() == 'message/rfc822', parts[2].get_content_type()
inner = parts[2].get_payload(0)
assert inner['Subject'] == 'Quarterly numbers' and 'BODY-MARKER-1234' in inner.get_payload()
)PY");
}

TEST(DsnMessage, PythonCheckCanFail) {
  // The harness must be able to fail: a plain message is no report.
  PyResult py = run_python("From: a@b\r\nSubject: x\r\n\r\nhello\r\n", "report_parts()\n");
  EXPECT_NE(py.status, 0) << py.output;
  // And a report whose second part is mislabelled is caught too.
  Dsn dsn = must_build(original(), kContent, {failed(0)});
  std::string broken = dsn.content;
  size_t at = broken.find("message/delivery-status");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, 23, "text/plain");
  py = run_python(broken, "status_groups(report_parts()[1])\n");
  EXPECT_NE(py.status, 0) << py.output;
}

TEST(DsnMessage, SeveralRecipientsAndDelayed) {
  Dsn dsn = must_build(original(), kContent, {delayed(0), delayed(1)});
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_PY_OK(dsn.content, R"PY(
assert all_defects(MSG) == [], all_defects(MSG)
assert MSG['Subject'] == 'Delayed Mail (still being retried)', MSG['Subject']
msgf, rcpts = status_groups(report_parts()[1])
assert [r['Final-Recipient'] for r in rcpts] == ['rfc822; bob@example.org', 'rfc822; carol@example.org']
for r in rcpts:
    assert r['Action'] == 'delayed' and r['Status'] == '4.7.1', (r['Action'], r['Status'])
    assert r['Will-Retry-Until'] == 'Sun, 19 Nov 2023 22:13:20 +0000', r['Will-Retry-Until']
assert 'Will retry until' in report_parts()[0].get_payload()
)PY");
}

TEST(DsnMessage, WillRetryUntilOnlyForDelayed) {
  RecipientReport r = failed(0);
  r.will_retry_until_unix = 1700432000;  // RFC 3464 2.3.9: not with failed
  Dsn dsn = must_build(original(), kContent, {r});
  EXPECT_EQ(dsn.content.find("Will-Retry-Until"), std::string::npos);
}

TEST(DsnMessage, MixedFailedAndDelayed) {
  Dsn dsn = must_build(original(), kContent, {delayed(0), failed(1)});
  EXPECT_PY_OK(dsn.content, R"PY(
assert MSG['Subject'] == 'Undelivered Mail Returned to Sender'
msgf, rcpts = status_groups(report_parts()[1])
assert [r['Action'] for r in rcpts] == ['delayed', 'failed'], [r['Action'] for r in rcpts]
)PY");
}

TEST(DsnMessage, RetHdrsReturnsHeadersOnly) {
  Envelope env = original();
  env.ret = DsnRet::Headers;
  Dsn dsn = must_build(env, kContent, {failed(0)});
  EXPECT_EQ(dsn.content.find("BODY-MARKER-1234"), std::string::npos);
  EXPECT_PY_OK(dsn.content, R"PY(
parts = report_parts()
assert len(parts) == 3
assert parts[2].get_content_type() == 'text/rfc822-headers', parts[2].get_content_type()
h = parts[2].get_payload()
assert 'Subject: Quarterly numbers' in h and 'Message-ID: <q3@example.com>' in h, h
assert 'RET=HDRS' in parts[0].get_payload()
)PY");
}

TEST(DsnMessage, RetFullAndDefaultReturnTheMessage) {
  for (DsnRet ret : {DsnRet::Full, DsnRet::Default}) {
    Envelope env = original();
    env.ret = ret;
    Dsn dsn = must_build(env, kContent, {failed(0)});
    // The original, byte for byte, between the part's header and the delimiter.
    EXPECT_NE(dsn.content.find("\r\n\r\n" + kContent + "\r\n--"), std::string::npos);
    EXPECT_PY_OK(dsn.content, R"PY(
parts = report_parts()
assert parts[2].get_content_type() == 'message/rfc822', parts[2].get_content_type()
assert 'BODY-MARKER-1234' in parts[2].get_payload(0).get_payload()
assert 'original message is attached' in parts[0].get_payload()
)PY");
  }
}

TEST(DsnMessage, OversizedReturnsHeadersAndSaysSo) {
  DsnOptions opts = options();
  opts.max_returned_bytes = kContent.size() - 1;
  Dsn dsn = must_build(original(), kContent, {failed(0)}, opts);
  EXPECT_EQ(dsn.content.find("BODY-MARKER-1234"), std::string::npos);
  EXPECT_PY_OK(dsn.content, R"PY(
parts = report_parts()
assert parts[2].get_content_type() == 'text/rfc822-headers', parts[2].get_content_type()
human = re.sub(r'\s+', ' ', parts[0].get_payload())
assert 'Only the headers' in human and 'more than the' in human, human
)PY");
  opts.max_returned_bytes = kContent.size();  // exactly at the limit: returned
  dsn = must_build(original(), kContent, {failed(0)}, opts);
  EXPECT_NE(dsn.content.find("BODY-MARKER-1234"), std::string::npos);
}

TEST(DsnMessage, MessageWithoutBodyOrEmptyLine) {
  const std::string headers_only = "From: alice@example.com\r\nSubject: no body\r\n";
  for (DsnRet ret : {DsnRet::Headers, DsnRet::Full}) {
    Envelope env = original();
    env.ret = ret;
    Dsn dsn = must_build(env, headers_only, {failed(0)});
    EXPECT_TRUE(wire_clean(dsn.content));
    EXPECT_NE(dsn.content.find("Subject: no body\r\n"), std::string::npos);
    EXPECT_PY_OK(dsn.content, R"PY(
parts = report_parts()
assert len(parts) == 3
assert 'Subject: no body' in str(parts[2].get_payload() if parts[2].get_content_type() == 'text/rfc822-headers' else parts[2].get_payload(0)), parts[2]
)PY");
  }
}

TEST(DsnMessage, OrcptCarriedAsGiven) {
  Envelope env = original();
  env.recipients[0].orcpt = "rfc822;Bob.Original@example.org";
  Dsn dsn = must_build(env, kContent, {failed(0), failed(1)});
  EXPECT_NE(dsn.content.find("Original-Recipient: rfc822;Bob.Original@example.org\r\n"
                             "Final-Recipient: rfc822; bob@example.org\r\n"),
            std::string::npos);
  EXPECT_PY_OK(dsn.content, R"PY(
msgf, rcpts = status_groups(report_parts()[1])
assert rcpts[0]['Original-Recipient'] == 'rfc822;Bob.Original@example.org', rcpts[0]['Original-Recipient']
assert rcpts[1]['Original-Recipient'] is None
)PY");
}

TEST(DsnMessage, MultiLineReplyIsOneFoldedDiagnostic) {
  RecipientReport r = failed(0);
  r.reply = Reply{550, "5.7.1",
                        {"Message rejected because of its content, see https://mx1.example.org/policy",
                         "Please contact the postmaster of example.org if you think this is wrong",
                         "Reference id 8f3a2c"}};
  Dsn dsn = must_build(original(), kContent, {r});
  EXPECT_TRUE(wire_clean(dsn.content));
  // Folded: the field spans several lines, each within the 78 RFC 5322 asks for.
  size_t at = dsn.content.find("Diagnostic-Code: ");
  ASSERT_NE(at, std::string::npos);
  size_t end = dsn.content.find("\r\nLast-Attempt-Date", at);
  std::string folded = dsn.content.substr(at, end - at);
  EXPECT_NE(folded.find("\r\n "), std::string::npos) << folded;
  for (size_t s = 0, e; s < folded.size(); s = e + 2) {
    e = folded.find("\r\n", s);
    if (e == std::string::npos) e = folded.size();
    EXPECT_LE(e - s, 78u) << folded;
  }
  EXPECT_PY_OK(dsn.content, R"PY(
msgf, rcpts = status_groups(report_parts()[1])
want = ('smtp; 550 5.7.1 Message rejected because of its content, see https://mx1.example.org/policy '
        'Please contact the postmaster of example.org if you think this is wrong Reference id 8f3a2c')
assert unfold(rcpts[0]['Diagnostic-Code']) == want, repr(rcpts[0]['Diagnostic-Code'])
assert rcpts[0]['Status'] == '5.7.1'
)PY");
}

TEST(DsnMessage, LongUnbreakableTextStaysUnder998) {
  RecipientReport r = failed(0);
  r.reply = Reply{550, "5.7.1", {std::string(1500, 'x'), std::string(2500, 'y') + " tail"}};
  Envelope env = original();
  env.recipients[0].address = std::string(300, 'b') + "@example.org";
  Dsn dsn = must_build(env, kContent, {r});
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_PY_OK(dsn.content, R"PY(
assert all_defects(MSG) == [], all_defects(MSG)
msgf, rcpts = status_groups(report_parts()[1])
d = unfold(rcpts[0]['Diagnostic-Code'])
assert d.startswith('smtp; 550 5.7.1 xxx') and d.endswith(' tail'), d[:40]
assert d.count('x') == 1500 and d.count('y') == 2500
)PY");
}

TEST(DsnMessage, ReplyTextCannotInjectFields) {
  RecipientReport r = failed(0);
  r.reply = make_reply(550, "5.1.1", "no such user\r\nAction: delivered\r\n\r\nFinal-Recipient: x");
  Dsn dsn = must_build(original(), kContent, {r});
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_EQ(dsn.content.find("\r\nAction: delivered"), std::string::npos);
  EXPECT_PY_OK(dsn.content, R"PY(
msgf, rcpts = status_groups(report_parts()[1])
assert len(rcpts) == 1 and rcpts[0]['Action'] == 'failed'
)PY");
}

TEST(DsnMessage, LocalDecisionsAndRemoteMta) {
  RecipientReport r = failed(0, 421, "4.4.1", "connection timed out");
  r.from_peer = false;
  r.remote_mta = "dns; mx.example.net [203.0.113.25]";  // not an mta-name: omitted
  RecipientReport ip = failed(1);
  ip.remote_mta = remote_mta_value("203.0.113.25");
  Dsn dsn = must_build(original(), kContent, {r, ip});
  EXPECT_PY_OK(dsn.content, R"PY(
msgf, rcpts = status_groups(report_parts()[1])
assert rcpts[0]['Remote-MTA'] is None, rcpts[0]['Remote-MTA']
assert unfold(rcpts[0]['Diagnostic-Code']) == 'X-Poolgate; 421 4.4.1 connection timed out'
assert rcpts[0]['Status'] == '4.4.1' and rcpts[0]['Action'] == 'failed'
assert rcpts[1]['Remote-MTA'] == 'dns; 203.0.113.25', rcpts[1]['Remote-MTA']
assert rcpts[1]['Diagnostic-Code'].startswith('smtp; 550')
)PY");
}

TEST(DsnMessage, ReplyClassPerRecipient) {
  // The class the delivery log shows, machine-readable (an RFC 3464 2.4
  // extension field) and in the human part; none without one, and never a
  // value that is no class name.
  RecipientReport blocked = failed(0, 554, "5.7.1", "blocked using zen.spamhaus.org");
  blocked.reply_class = "reputation-block";
  RecipientReport plain = failed(1);
  plain.reply_class = "";
  RecipientReport odd = failed(2);
  odd.reply_class = "bad\r\nX-Injected: 1";
  Envelope env = original();
  env.recipients.push_back({"carol@example.org"});
  env.recipients.push_back({"dave@example.org"});
  Dsn dsn = must_build(env, kContent, {blocked, plain, odd});
  EXPECT_EQ(dsn.content.find("X-Injected"), std::string::npos);
  EXPECT_PY_OK(dsn.content, R"PY(
parts = report_parts()
msgf, rcpts = status_groups(parts[1])
assert rcpts[0]['X-Poolgate-Reply-Class'] == 'reputation-block', rcpts[0]['X-Poolgate-Reply-Class']
assert rcpts[1]['X-Poolgate-Reply-Class'] is None
assert rcpts[2]['X-Poolgate-Reply-Class'] is None
assert 'Reply class: reputation-block' in parts[0].get_payload(), parts[0].get_payload()
assert parts[0].get_payload().count('Reply class:') == 1
)PY");
}

TEST(DsnMessage, StatusWithoutEnhancedCode) {
  RecipientReport r = failed(0, 554, "", "go away");
  Dsn dsn = must_build(original(), kContent, {r});
  EXPECT_NE(dsn.content.find("Status: 5.0.0\r\n"), std::string::npos);
  EXPECT_NE(dsn.content.find("Diagnostic-Code: smtp; 554 go away\r\n"), std::string::npos);
}

TEST(DsnMessage, EnvidPresentAndAbsent) {
  Envelope env = original();
  Dsn without = must_build(env, kContent, {failed(0)});
  EXPECT_EQ(without.content.find("Original-Envelope-Id"), std::string::npos);
  env.envid = "QQ314159@client.example.com";
  Dsn with = must_build(env, kContent, {failed(0)});
  EXPECT_PY_OK(with.content, R"PY(
msgf, rcpts = status_groups(report_parts()[1])
assert msgf['Original-Envelope-Id'] == 'QQ314159@client.example.com', msgf['Original-Envelope-Id']
assert msgf.keys()[:2] == ['Original-Envelope-Id', 'Reporting-MTA'], msgf.keys()
)PY");
}

TEST(DsnMessage, BoundaryNeverOccursInTheParts) {
  Dsn first = must_build(original(), kContent, {failed(0)});
  std::string b = boundary_of(first.content);
  ASSERT_FALSE(b.empty());
  ASSERT_LE(b.size(), 70u);  // RFC 2046 5.1.1
  // A message that contains exactly that boundary (and its delimiter) as text.
  std::string hostile = kContent + "--" + b + "\r\n" + b + "--\r\n";
  Dsn second = must_build(original(), hostile, {failed(0)});
  std::string b2 = boundary_of(second.content);
  ASSERT_FALSE(b2.empty());
  EXPECT_NE(b, b2);
  // b2 appears only as the header parameter and the delimiters: 1 + 3 parts + close.
  size_t count = 0;
  for (size_t at = second.content.find(b2); at != std::string::npos; at = second.content.find(b2, at + 1))
    ++count;
  EXPECT_EQ(count, 5u);
  EXPECT_PY_OK(second.content, R"PY(
parts = report_parts()
assert len(parts) == 3
assert parts[2].get_content_type() == 'message/rfc822'
)PY");
}

TEST(DsnMessage, DeterministicForTheSameInput) {
  EXPECT_EQ(must_build(original(), kContent, {failed(0)}).content,
            must_build(original(), kContent, {failed(0)}).content);
}

TEST(DsnMessage, EightBitBodyNeeds8BitMime) {
  std::string content = "Subject: caf\xc3\xa9 menu\r\n\r\nCaf\xc3\xa9 cr\xc3\xa8me\r\n";
  Dsn dsn = must_build(original(), content, {failed(0)});
  EXPECT_TRUE(dsn.envelope.body_8bitmime);
  EXPECT_FALSE(dsn.envelope.smtputf8);  // not an SMTPUTF8 original: plain types, 8bit
  EXPECT_NE(dsn.content.find("Content-Type: message/rfc822\r\nContent-Description: Returned message\r\n"
                             "Content-Transfer-Encoding: 8bit\r\n"),
            std::string::npos);
  EXPECT_TRUE(wire_clean(dsn.content));
}

TEST(DsnMessage, DamagedContentFallsBackToHeaders) {
  std::string content = "Subject: bad\r\n\r\n" + std::string(1200, 'z') + "\r\nbare\nlf\r\n";
  Dsn dsn = must_build(original(), content, {failed(0)});
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_NE(dsn.content.find("Content-Type: text/rfc822-headers"), std::string::npos);
  EXPECT_EQ(dsn.content.find("zzzz"), std::string::npos);
}

TEST(DsnMessage, SmtpUtf8OriginalUsesGlobalTypes) {
  Envelope env = original();
  env.smtputf8 = true;
  env.sender = "j\xc3\xb6rg@example.com";
  env.recipients[0].address = "\xe7\x94\xa8\xe6\x88\xb7@example.org";
  env.recipients[0].orcpt = "utf-8;\xe7\x94\xa8\xe6\x88\xb7@example.org";
  std::string content = "From: j\xc3\xb6rg@example.com\r\nSubject: gr\xc3\xbc\xc3\x9f\x65\r\n\r\nhi\r\n";
  Dsn dsn = must_build(env, content, {failed(0)});
  EXPECT_TRUE(dsn.envelope.smtputf8);
  EXPECT_TRUE(dsn.envelope.body_8bitmime);
  EXPECT_EQ(dsn.envelope.recipients[0].address, env.sender);
  EXPECT_TRUE(wire_clean(dsn.content));
  EXPECT_PY_OK(dsn.content, R"PY(
assert MSG.get_param('report-type') == 'global-delivery-status', MSG.get_param('report-type')
parts = report_parts()
assert parts[1].get_content_type() == 'message/global-delivery-status', parts[1].get_content_type()
assert parts[2].get_content_type() == 'message/global', parts[2].get_content_type()
msgf, rcpts = status_groups(parts[1])
assert msgf['Reporting-MTA'] == 'dns; relay.example.net'
assert rcpts[0]['Final-Recipient'] == 'utf-8; \u7528\u6237@example.org', rcpts[0]['Final-Recipient']
assert rcpts[0]['Original-Recipient'] == 'utf-8;\u7528\u6237@example.org', rcpts[0]['Original-Recipient']
assert rcpts[0]['Action'] == 'failed'
)PY");
}

TEST(DsnMessage, SmtpUtf8FlagAloneKeepsPlainTypes) {
  Envelope env = original();
  env.smtputf8 = true;  // flagged, but nothing non-ASCII to report
  Dsn dsn = must_build(env, kContent, {failed(0)});
  EXPECT_FALSE(dsn.envelope.smtputf8);
  EXPECT_NE(dsn.content.find("report-type=delivery-status;"), std::string::npos);
}

TEST(DsnMessage, UnsafeSenderGetsNoDsn) {
  Envelope env = original();
  env.sender = "alice@example.com>\r\nBcc: victim@example.org";
  EXPECT_FALSE(build(env, kContent, {failed(0)}, options()).has_value());
}
