// The delivery client against the scripted peer (tests/peers/scripted_peer.py)
// for what a well-behaved server does not show: the exact octets of DATA, the
// lock-step without PIPELINING, HELO-only and 8BITMIME-less peers, refusing
// greetings, a 421 mid-session, a peer dying or falling silent, STARTTLS
// (offered, refused, broken, required but missing, injected plain text).
#include "delivery_test_support.h"
#include "reputation/reply_rules_file.h"

#include <stdexcept>

using namespace poolgate;
using namespace poolgate::delivery_test;

namespace {

class DeliveryScripted : public DeliveryNet {
 protected:
  // One message, sender alice, to `rcpts`, with `content`.
  MessageResult send(const ClientOptions& o, std::vector<std::string> rcpts,
                     const std::string& content = kContent, bool eight_bit = false) {
    Envelope e = make_envelope("alice@example.com", rcpts, content.size());
    e.body_8bitmime = eight_bit;
    StringContentSource source(content);
    return deliver_one(o, {e, source});
  }
  std::vector<std::string> commands(size_t connection = 0) {
    return connections()[connection]["commands"].get<std::vector<std::string>>();
  }
  static void expect_all(const MessageResult& result, Outcome outcome, Stage stage,
                         const std::string& reply_prefix) {
    ASSERT_FALSE(result.recipients.empty());
    for (const RecipientResult& r : result.recipients) {
      EXPECT_EQ(r.outcome, outcome) << r.reply.str();
      EXPECT_EQ(r.stage, stage) << stage_name(r.stage);
      EXPECT_EQ(r.reply.str().substr(0, reply_prefix.size()), reply_prefix) << r.reply.str();
    }
  }
};

TEST_F(DeliveryScripted, WireIsCrlfAndDotStuffed) {
  start_scripted();
  // Lines starting with dots, a lone dot, a bare LF and a bare CR, and no line
  // break at the end of the stored content.
  const std::string content =
      "Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nbare\nlf\rcr\r\nlast line";
  EXPECT_TRUE(send(options(), {"bob@example.net"}, content).all_delivered());
  auto message = connections()[0]["messages"][0];
  EXPECT_EQ(unhex(message["raw_hex"]),
            "Subject: dots\r\n\r\n..one\r\n...two\r\n..\r\nbare\r\nlf\r\ncr\r\nlast line\r\n.\r\n");
}

TEST_F(DeliveryScripted, EmptyContent) {
  start_scripted();
  EXPECT_TRUE(send(options(), {"bob@example.net"}, "").all_delivered());
  EXPECT_EQ(unhex(connections()[0]["messages"][0]["raw_hex"]), ".\r\n");
}

TEST_F(DeliveryScripted, PipelinedInOneGroup) {
  start_scripted();
  EXPECT_TRUE(send(options(), {"a@example.net", "b@example.net", "c@example.net"}).all_delivered());
  auto conn = connections()[0];
  // MAIL arrived with the three RCPTs and DATA behind it (RFC 2920).
  EXPECT_EQ(conn["lines_buffered_after_mail"], 4);
  EXPECT_EQ(commands(), (std::vector<std::string>{
                            "EHLO mail.example.com", "MAIL FROM:<alice@example.com> SIZE=25",
                            "RCPT TO:<a@example.net>", "RCPT TO:<b@example.net>",
                            "RCPT TO:<c@example.net>", "DATA", "QUIT"}));
}

TEST_F(DeliveryScripted, LockstepWithoutPipelining) {
  start_scripted({"--extensions", "8BITMIME,ENHANCEDSTATUSCODES"});
  MessageResult result = send(options(), {"a@example.net", "temp@example.net", "c@example.net"});
  EXPECT_EQ(result.recipients[0].outcome, Outcome::Delivered);
  EXPECT_EQ(result.recipients[1].outcome, Outcome::TempFail);
  EXPECT_EQ(result.recipients[2].outcome, Outcome::Delivered);
  auto conn = connections()[0];
  EXPECT_TRUE(conn["violations"].empty()) << conn["violations"].dump();
  EXPECT_EQ(conn["messages"][0]["rcpt_tos"], nlohmann::json({"a@example.net", "c@example.net"}));
}

TEST_F(DeliveryScripted, HeloWhenEhloIsRefused) {
  start_scripted({"--no-ehlo", "--extensions", "8BITMIME"});  // lock-step is checked
  EXPECT_TRUE(send(options(), {"bob@example.net"}).all_delivered());
  auto cmds = commands();
  ASSERT_GE(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], "EHLO mail.example.com");
  EXPECT_EQ(cmds[1], "HELO mail.example.com");
  EXPECT_EQ(cmds[2], "MAIL FROM:<alice@example.com>");  // no SIZE after HELO
  EXPECT_TRUE(connections()[0]["violations"].empty());  // no pipelining after HELO
}

TEST_F(DeliveryScripted, EightBitToPeerWithout8BitMime) {
  start_scripted({"--extensions", "PIPELINING,ENHANCEDSTATUSCODES"});
  Envelope eight = make_envelope("alice@example.com", {"a@example.net", "b@example.net"});
  eight.body_8bitmime = true;
  Envelope seven = make_envelope("alice@example.com", {"c@example.net"});
  StringContentSource c1("Subject: x\r\n\r\n\xc3\xa4\r\n"), c2(kContent);
  OutboundMessage m1{eight, c1}, m2{seven, c2};
  auto results = deliver(options(), {&m1, &m2});
  expect_all(results.at(0), Outcome::PermFail, Stage::Prepare, "554 5.6.3 message is 8-bit");
  EXPECT_TRUE(results.at(1).all_delivered()) << "the connection stays usable";
  auto messages = connections()[0]["messages"];
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["rcpt_tos"], nlohmann::json({"c@example.net"}));
}

TEST_F(DeliveryScripted, MultiLineGreeting) {
  start_scripted({"--greeting", "220-scripted.test ESMTP\r\n220-more text\r\n220 last line"});
  MessageResult result = send(options(), {"bob@example.net"});
  EXPECT_TRUE(result.all_delivered()) << result.recipients[0].reply.str();
  EXPECT_EQ(result.record.peer_name, "scripted.test");
}

// Every recipient's reply class, and the connection failure's.
void expect_class(const MessageResult& result, ReplyClass cls) {
  for (const RecipientResult& r : result.recipients)
    EXPECT_EQ(reply_class_name(r.reply_class), reply_class_name(cls)) << r.reply.str();
}

TEST_F(DeliveryScripted, Greeting421) {
  start_scripted({"--greeting", "421 4.3.2 Too busy"});
  MessageResult result = send(options(), {"a@example.net", "b@example.net"});
  expect_all(result, Outcome::TempFail, Stage::Greeting, "421 4.3.2 Too busy");
  EXPECT_TRUE(result.recipients[0].from_peer);
  expect_class(result, ReplyClass::Other);  // the shipped rules know no "too busy"
}

TEST_F(DeliveryScripted, ClassesComeFromTheRulesTheEngineGives) {
  start_scripted({"--greeting", "421 4.3.2 Too busy"});
  ClientOptions o = options();
  ReplyRulesLoad mine = parse_reply_rules(
      "[[rule]]\nclass = \"rate-limit\"\nstage = \"greeting\"\npatterns = \"too busy\"\n", "mine.toml");
  ASSERT_TRUE(mine.rules);
  o.reply_rules = mine.rules;
  // The connection's failure, and so every recipient, by these rules.
  expect_class(send(o, {"a@example.net", "b@example.net"}), ReplyClass::RateLimit);
}

TEST_F(DeliveryScripted, Greeting554IsTemporaryAndGetsQuit) {
  // One host refusing says nothing about the recipients: another MX may take them.
  start_scripted({"--greeting", "554 5.7.1 Go away"});
  MessageResult result = send(options(), {"a@example.net"});
  expect_all(result, Outcome::TempFail, Stage::Greeting, "554 5.7.1 Go away");
  EXPECT_EQ(commands(), std::vector<std::string>{"QUIT"});
  // Classified as received (a 554 at the greeting refuses our address), not
  // as the 4xx deferral the engine later shows.
  expect_class(result, ReplyClass::ReputationBlock);
}

TEST_F(DeliveryScripted, MailRejected) {
  start_scripted({"--reply", "MAIL=550 5.7.1 Sender rejected"});
  MessageResult result = send(options(), {"a@example.net", "b@example.net"});
  expect_all(result, Outcome::PermFail, Stage::Mail, "550 5.7.1 Sender rejected");
  expect_class(result, ReplyClass::Policy);
}

TEST_F(DeliveryScripted, ServerClosingMidSession) {
  start_scripted(
      {"--extensions", "ENHANCEDSTATUSCODES", "--reply", "RCPT=421 4.3.2 Shutting down"});
  Envelope e = make_envelope("alice@example.com", {"a@example.net", "b@example.net"});
  StringContentSource c1(kContent), c2(kContent);
  OutboundMessage m1{e, c1}, m2{e, c2};
  auto results = deliver(options(), {&m1, &m2});
  expect_all(results.at(0), Outcome::TempFail, Stage::Rcpt, "421 4.3.2 Shutting down");
  // The connection is gone: the next message fails at once, the same way.
  expect_all(results.at(1), Outcome::TempFail, Stage::Rcpt, "421 4.3.2 Shutting down");
  EXPECT_EQ(connections().size(), 1u);
}

TEST_F(DeliveryScripted, RsetAfterAnUnfinishedTransaction) {
  start_scripted({"--extensions", "ENHANCEDSTATUSCODES"});
  Envelope failed = make_envelope("alice@example.com", {"perm@example.net"});
  Envelope good = make_envelope("alice@example.com", {"bob@example.net"});
  StringContentSource c1(kContent), c2(kContent);
  OutboundMessage m1{failed, c1}, m2{good, c2};
  auto results = deliver(options(), {&m1, &m2});
  EXPECT_EQ(results.at(0).recipients[0].outcome, Outcome::PermFail);
  EXPECT_TRUE(results.at(1).all_delivered());
  EXPECT_EQ(commands(), (std::vector<std::string>{
                            "EHLO mail.example.com", "MAIL FROM:<alice@example.com>",
                            "RCPT TO:<perm@example.net>", "RSET", "MAIL FROM:<alice@example.com>",
                            "RCPT TO:<bob@example.net>", "DATA", "QUIT"}));
}

TEST_F(DeliveryScripted, NoRsetAfterAFinishedTransaction) {
  start_scripted();
  Envelope e = make_envelope("datatemp@example.com", {"bob@example.net"});
  StringContentSource c1(kContent), c2(kContent);
  OutboundMessage m1{e, c1}, m2{e, c2};
  deliver(options(), {&m1, &m2});
  for (const std::string& c : commands()) EXPECT_NE(c, "RSET");
}

TEST_F(DeliveryScripted, PipelinedDataAcceptedWithoutRecipients) {
  // RFC 2920 3.1: if the server says 354 although every RCPT failed, the client
  // sends an empty message to end the transaction.
  start_scripted({"--accept-empty-data"});
  MessageResult result = send(options(), {"perm@example.net", "temp@example.net"});
  EXPECT_EQ(result.recipients[0].outcome, Outcome::PermFail);
  EXPECT_EQ(result.recipients[1].outcome, Outcome::TempFail);
  auto messages = connections()[0]["messages"];
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(unhex(messages[0]["raw_hex"]), ".\r\n");
}

TEST_F(DeliveryScripted, PeerDiesInData) {
  start_scripted({"--die-in-data", "20000"});
  Envelope e = make_envelope("alice@example.com", {"a@example.net", "b@example.net"});
  std::string big(200000, 'x');
  StringContentSource c1(big), c2(kContent);
  OutboundMessage m1{e, c1}, m2{e, c2};
  auto results = deliver(options(), {&m1, &m2});
  expect_all(results.at(0), Outcome::TempFail, Stage::Content,
             "451 4.4.2 lost connection with 203.0.113.25");
  expect_all(results.at(1), Outcome::TempFail, Stage::Content, "451 4.4.2 lost connection");
  EXPECT_TRUE(connections()[0]["messages"].empty());
}

class FailingSource : public ContentSource {
 public:
  std::string_view next() override {
    if (calls_++ == 0) return "Subject: half\r\n\r\nfirst part\r\n";
    throw std::runtime_error("spool chunk 1 missing");
  }

 private:
  int calls_ = 0;
};

TEST_F(DeliveryScripted, UnreadableContentIsNeverTerminated) {
  start_scripted();
  Envelope e = make_envelope("alice@example.com", {"a@example.net"});
  FailingSource content;
  MessageResult result = deliver_one(options(), {e, content});
  expect_all(result, Outcome::TempFail, Stage::Content,
             "451 4.3.0 cannot read the message content: spool chunk 1 missing");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(connections()[0]["messages"].empty()) << "a truncated message was terminated";
}

struct SilentCase {
  const char* at;
  Stage stage;
  const char* text;
};

TEST_F(DeliveryScripted, EveryWaitHasItsTimeout) {
  const SilentCase cases[] = {
      {"GREETING", Stage::Greeting, "timed out while waiting for the initial greeting"},
      {"EHLO", Stage::Hello, "timed out while waiting for the reply to EHLO"},
      {"MAIL", Stage::Mail, "timed out while waiting for the reply to MAIL FROM"},
      {"DATA", Stage::Data, "timed out while waiting for the reply to DATA"},
      {"DOT", Stage::Content, "timed out while waiting for the reply to the end of data"},
  };
  ClientOptions o = options();
  o.timeouts.greeting = o.timeouts.hello = o.timeouts.mail = o.timeouts.rcpt =
      o.timeouts.data_init = o.timeouts.data_termination = 300ms;
  for (const SilentCase& c : cases) {
    SCOPED_TRACE(c.at);
    peers_.clear();
    std::filesystem::remove(record_);
    start_scripted({"--extensions", "ENHANCEDSTATUSCODES", "--silent-at", c.at});
    auto start = std::chrono::steady_clock::now();
    MessageResult result = send(o, {"a@example.net"});
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    expect_all(result, Outcome::TempFail, c.stage, "451 4.4.2 conversation with 203.0.113.25");
    EXPECT_NE(result.recipients[0].reply.str().find(c.text), std::string::npos)
        << result.recipients[0].reply.str();
  }
}

TEST_F(DeliveryScripted, OpportunisticTls) {
  auto args = tls_args();
  args.insert(args.end(), {"--extensions", "PIPELINING,8BITMIME,ENHANCEDSTATUSCODES,STARTTLS"});
  start_scripted(args);
  ClientOptions o = options();
  o.tls = TlsPolicy::Opportunistic;
  MessageResult result = send(o, {"bob@example.net"});
  EXPECT_TRUE(result.all_delivered()) << result.recipients[0].reply.str();
  EXPECT_NE(result.record.tls.find("TLSv1."), std::string::npos) << result.record.tls;
  auto cmds = commands();
  ASSERT_GE(cmds.size(), 3u);
  EXPECT_EQ(cmds[1], "STARTTLS");
  EXPECT_EQ(cmds[2], "EHLO mail.example.com") << "EHLO again after the handshake";
  EXPECT_EQ(connections()[0]["messages"][0]["tls"], true);
}

TEST_F(DeliveryScripted, TlsOffIgnoresTheOffer) {
  auto args = tls_args();
  args.insert(args.end(), {"--extensions", "PIPELINING,STARTTLS"});
  start_scripted(args);
  MessageResult result = send(options(), {"bob@example.net"});
  EXPECT_TRUE(result.all_delivered());
  EXPECT_TRUE(result.record.tls.empty());
  for (const std::string& c : commands()) EXPECT_NE(c, "STARTTLS");
}

TEST_F(DeliveryScripted, RequiredTlsNotOffered) {
  start_scripted();
  ClientOptions o = options();
  o.tls = TlsPolicy::Required;
  MessageResult result = send(o, {"a@example.net", "b@example.net"});
  expect_all(result, Outcome::TempFail, Stage::StartTls,
             "451 4.7.4 TLS is required, but 203.0.113.25 did not offer STARTTLS");
  EXPECT_EQ(commands(), (std::vector<std::string>{"EHLO mail.example.com", "QUIT"}));
  expect_class(result, ReplyClass::Tls);
}

TEST_F(DeliveryScripted, RefusedStartTls) {
  start_scripted(
      {"--extensions", "PIPELINING,STARTTLS", "--reply", "STARTTLS=454 4.7.0 TLS not available"});
  ClientOptions o = options();
  o.tls = TlsPolicy::Opportunistic;
  EXPECT_TRUE(send(o, {"bob@example.net"}).all_delivered())
      << "opportunistic goes on in plain text";
  peers_.clear();
  std::filesystem::remove(record_);
  start_scripted(
      {"--extensions", "PIPELINING,STARTTLS", "--reply", "STARTTLS=454 4.7.0 TLS not available"});
  o.tls = TlsPolicy::Required;
  expect_all(send(o, {"bob@example.net"}), Outcome::TempFail, Stage::StartTls, "451 4.7.4");
}

TEST_F(DeliveryScripted, FailedHandshake) {
  // The peer says 220 to STARTTLS but has no certificate: the handshake fails.
  start_scripted({"--extensions", "PIPELINING,STARTTLS", "--tls-cert", "/nonexistent"});
  ClientOptions o = options();
  o.tls = TlsPolicy::Opportunistic;
  o.timeouts.starttls = 2s;
  MessageResult result = send(o, {"bob@example.net"});
  expect_all(result, Outcome::TempFail, Stage::StartTls,
             "451 4.7.5 TLS handshake with 203.0.113.25 failed");
  expect_class(result, ReplyClass::Tls);
  EXPECT_TRUE(connections()[0]["messages"].empty());
}

TEST_F(DeliveryScripted, PlainTextInjectedAfterStartTls) {
  auto args = tls_args();
  args.insert(args.end(), {"--extensions", "PIPELINING,STARTTLS", "--inject-after-starttls"});
  start_scripted(args);
  ClientOptions o = options();
  o.tls = TlsPolicy::Opportunistic;
  expect_all(send(o, {"bob@example.net"}), Outcome::TempFail, Stage::StartTls,
             "451 4.7.5 203.0.113.25 sent data after its 220 to STARTTLS");
}

}  // namespace
