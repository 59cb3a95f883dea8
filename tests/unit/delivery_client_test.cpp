// The delivery client end to end against aiosmtpd (a real, independent SMTP
// server): the mark on the wire, per-recipient outcomes, PIPELINING, DSN and
// SMTPUTF8 only when offered, several messages per connection, streaming,
// STARTTLS, timeouts. Odd peers are in delivery_client_scripted_test.cpp.
#include "delivery_test_support.h"

using namespace poolgate;
using namespace poolgate::delivery_test;

namespace {

class DeliveryClient : public DeliveryNet {};

TEST_F(DeliveryClient, DeliversFromThePoolAddressByMark) {
  start_aiosmtpd({"--pipelining"});
  Envelope e =
      make_envelope("alice@example.com", {"bob@example.net", "carol@example.net"}, kContent.size());
  StringContentSource content(kContent);
  MessageResult result = deliver_one(options(), {e, content});

  ASSERT_EQ(result.recipients.size(), 2u);
  for (const RecipientResult& r : result.recipients) {
    EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reply.str();
    EXPECT_EQ(r.stage, Stage::Content);
    EXPECT_EQ(r.reply.code, 250);
    EXPECT_EQ(r.reply.enhanced, "2.0.0");
    EXPECT_TRUE(r.from_peer);
  }
  EXPECT_EQ(result.recipients[1].recipient, 1u);
  EXPECT_EQ(result.record.source.to_string(), kPool);
  EXPECT_EQ(result.record.fwmark, kMark);
  EXPECT_EQ(result.record.destination.address().to_string(), kPeer);
  EXPECT_EQ(result.record.peer_name, "aiosmtpd.test");
  EXPECT_TRUE(result.record.tls.empty());

  auto conns = connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0]["peer"], kPool) << "the mark's route did not choose the pool address";
  auto message = conns[0]["messages"][0];
  EXPECT_EQ(message["mail_from"], "alice@example.com");
  EXPECT_EQ(message["rcpt_tos"], nlohmann::json({"bob@example.net", "carol@example.net"}));
  EXPECT_EQ(unhex(message["data_hex"]), kContent);
  EXPECT_EQ(message["mail_options"], nlohmann::json({"SIZE=" + std::to_string(kContent.size())}));
}

TEST_F(DeliveryClient, SecondPoolAddressBySecondMark) {
  start_aiosmtpd();
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"});
  StringContentSource content(kContent);
  OutboundMessage m{e, content};
  auto results = deliver(options(), {&m}, {asio::ip::make_address(kPool2), kMark2});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].all_delivered());
  EXPECT_EQ(connections()[0]["peer"], kPool2);
}

TEST_F(DeliveryClient, Ipv6FromThePoolAddressByMark) {
  add_ipv6();
  start_aiosmtpd({}, kPeer6);
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"});
  StringContentSource content(kContent);
  OutboundMessage m{e, content};
  auto results = deliver(options(), {&m}, {asio::ip::make_address(kPool6), kMark6}, kPeer6);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].all_delivered()) << results[0].recipients[0].reply.str();
  EXPECT_EQ(connections()[0]["peer"], kPool6);
}

TEST_F(DeliveryClient, UnmarkedConnectionWouldComeFromElsewhere) {
  // The control for the tests above: without the mark the peer sees another
  // source, so "arrived from the pool address" really proves the mark.
  start_aiosmtpd();
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address(kPeer), 25});
  s.close();
  for (int i = 0; i < 100 && connections().empty(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(connections().size(), 1u);
  EXPECT_EQ(connections()[0]["peer"], kPeer);
}

TEST_F(DeliveryClient, BindSourceToo) {
  start_aiosmtpd();
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"});
  StringContentSource content(kContent);
  ClientOptions o = options();
  o.bind_source = true;
  EXPECT_TRUE(deliver_one(o, {e, content}).all_delivered());
  EXPECT_EQ(connections()[0]["peer"], kPool);
}

TEST_F(DeliveryClient, PerRecipientOutcomes) {
  start_aiosmtpd({"--pipelining"});
  Envelope e = make_envelope("alice@example.com", {"ok@example.net", "temp@example.net",
                                                   "perm@example.net", "ok2@example.net"});
  StringContentSource content(kContent);
  MessageResult result = deliver_one(options(), {e, content});
  ASSERT_EQ(result.recipients.size(), 4u);
  EXPECT_EQ(result.recipients[0].outcome, Outcome::Delivered);
  EXPECT_EQ(result.recipients[1].outcome, Outcome::TempFail);
  EXPECT_EQ(result.recipients[1].stage, Stage::Rcpt);
  EXPECT_EQ(result.recipients[1].reply.str(), "451 4.2.0 Mailbox temporarily unavailable");
  EXPECT_EQ(result.recipients[2].outcome, Outcome::PermFail);
  EXPECT_EQ(result.recipients[2].reply.enhanced, "5.1.1");
  EXPECT_EQ(result.recipients[3].outcome, Outcome::Delivered);
  EXPECT_EQ(connections()[0]["messages"][0]["rcpt_tos"],
            nlohmann::json({"ok@example.net", "ok2@example.net"}));
}

TEST_F(DeliveryClient, FinalReplyGoesToEveryAcceptedRecipient) {
  start_aiosmtpd({"--pipelining"});
  Envelope e =
      make_envelope("datatemp@example.com", {"a@example.net", "perm@example.net", "b@example.net"});
  StringContentSource content(kContent);
  MessageResult result = deliver_one(options(), {e, content});
  EXPECT_EQ(result.recipients[0].outcome, Outcome::TempFail);
  EXPECT_EQ(result.recipients[0].stage, Stage::Content);
  EXPECT_EQ(result.recipients[0].reply.str(), "451 4.3.0 Try again later");
  EXPECT_EQ(result.recipients[1].stage, Stage::Rcpt);
  EXPECT_EQ(result.recipients[2].reply.str(), "451 4.3.0 Try again later");
}

TEST_F(DeliveryClient, DsnParametersWhenOffered) {
  start_aiosmtpd({"--pipelining", "--dsn"});
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"}, 42);
  e.ret = DsnRet::Full;
  e.envid = "env-1";
  e.recipients[0].notify = kNotifyFailure | kNotifyDelay;
  e.recipients[0].orcpt = "rfc822;bob@example.net";
  StringContentSource content(kContent);
  EXPECT_TRUE(deliver_one(options(), {e, content}).all_delivered());
  auto message = connections()[0]["messages"][0];
  EXPECT_EQ(message["mail_options"], nlohmann::json({"SIZE=42", "RET=FULL", "ENVID=ENV-1"}));
  EXPECT_EQ(message["rcpt_options"][0],
            nlohmann::json({"NOTIFY=FAILURE,DELAY", "ORCPT=RFC822;BOB@EXAMPLE.NET"}));
}

TEST_F(DeliveryClient, NoDsnParametersWhenNotOffered) {
  start_aiosmtpd({"--pipelining"});  // aiosmtpd would answer 555 to them
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"}, 42);
  e.ret = DsnRet::Full;
  e.envid = "env-1";
  e.recipients[0].notify = kNotifyNever;
  e.recipients[0].orcpt = "rfc822;bob@example.net";
  StringContentSource content(kContent);
  EXPECT_TRUE(deliver_one(options(), {e, content}).all_delivered());
  auto message = connections()[0]["messages"][0];
  EXPECT_EQ(message["mail_options"], nlohmann::json({"SIZE=42"}));
  EXPECT_EQ(message["rcpt_options"][0], nlohmann::json::array());
}

TEST_F(DeliveryClient, SeveralMessagesOverOneConnection) {
  start_aiosmtpd({"--pipelining"});
  Envelope first = make_envelope("one@example.com", {"a@example.net"});
  Envelope second = make_envelope("datatemp@example.com", {"b@example.net"});
  Envelope third = make_envelope("three@example.com", {"perm@example.net"});
  Envelope fourth = make_envelope("four@example.com", {"d@example.net"});
  StringContentSource c1(kContent), c2(kContent), c3(kContent), c4("Subject: 4\r\n\r\nfour\r\n");
  OutboundMessage m1{first, c1}, m2{second, c2}, m3{third, c3}, m4{fourth, c4};
  auto results = deliver(options(), {&m1, &m2, &m3, &m4});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].all_delivered());
  EXPECT_EQ(results[1].recipients[0].outcome, Outcome::TempFail);
  EXPECT_EQ(results[2].recipients[0].outcome, Outcome::PermFail);
  EXPECT_TRUE(results[3].all_delivered());

  auto conns = connections();
  ASSERT_EQ(conns.size(), 1u) << "one connection for all messages";
  auto messages = conns[0]["messages"];
  ASSERT_EQ(messages.size(), 3u);  // the third never reached DATA
  EXPECT_EQ(messages[2]["mail_from"], "four@example.com");
  EXPECT_EQ(unhex(messages[2]["data_hex"]), "Subject: 4\r\n\r\nfour\r\n");
}

TEST_F(DeliveryClient, EightBitAndSmtputf8WhenOffered) {
  start_aiosmtpd({"--pipelining", "--smtputf8"});
  Envelope e = make_envelope("j\xc3\xb6rg@example.de", {"bob@example.net"});
  e.smtputf8 = e.body_8bitmime = true;
  const std::string text =
      "Subject: gr\xc3\xbc\xc3\x9f"
      "e\r\n\r\n\xc3\xa4\r\n";
  StringContentSource content(text);
  EXPECT_TRUE(deliver_one(options(), {e, content}).all_delivered());
  auto message = connections()[0]["messages"][0];
  EXPECT_EQ(message["mail_options"], nlohmann::json({"BODY=8BITMIME", "SMTPUTF8"}));
  EXPECT_EQ(message["smtp_utf8"], true);
  EXPECT_EQ(unhex(message["data_hex"]), text);
}

TEST_F(DeliveryClient, Smtputf8NotOfferedIsPermanentForThatMessageOnly) {
  start_aiosmtpd({"--pipelining"});
  Envelope utf8 = make_envelope("alice@example.com", {"bob@example.net"});
  utf8.smtputf8 = true;
  Envelope plain = make_envelope("alice@example.com", {"carol@example.net"});
  StringContentSource c1(kContent), c2(kContent);
  OutboundMessage m1{utf8, c1}, m2{plain, c2};
  auto results = deliver(options(), {&m1, &m2});
  ASSERT_EQ(results.size(), 2u);
  const RecipientResult& r = results[0].recipients[0];
  EXPECT_EQ(r.outcome, Outcome::PermFail);
  EXPECT_EQ(r.reply.enhanced, "5.6.7");
  EXPECT_EQ(r.stage, Stage::Prepare);
  EXPECT_FALSE(r.from_peer);
  EXPECT_TRUE(results[1].all_delivered());
  auto messages = connections()[0]["messages"];
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["rcpt_tos"], nlohmann::json({"carol@example.net"}));
}

// Hands out a big message in many small chunks, as the spool would.
class ChunkedSource : public ContentSource {
 public:
  ChunkedSource(size_t lines) : lines_(lines) {}
  std::string_view next() override {
    if (sent_ == lines_) return {};
    chunk_ = (sent_ % 7 == 0 ? "." : "") + std::string("line ") + std::to_string(sent_) +
             std::string(60, 'x') + "\r\n";
    ++sent_;
    all_ += chunk_;
    return chunk_;
  }
  std::string all_;

 private:
  size_t lines_, sent_ = 0;
  std::string chunk_;
};

TEST_F(DeliveryClient, LargeMessageStreamedChunkByChunk) {
  start_aiosmtpd({"--pipelining"});
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"});
  ChunkedSource content(60000);  // about 4.5 MB
  EXPECT_TRUE(deliver_one(options(), {e, content}).all_delivered());
  std::string got = unhex(connections()[0]["messages"][0]["data_hex"]);
  EXPECT_EQ(got.size(), content.all_.size());
  EXPECT_TRUE(got == content.all_);
}

TEST_F(DeliveryClient, OpportunisticTlsWhenOffered) {
  auto tls = tls_args();
  tls.push_back("--pipelining");
  start_aiosmtpd(tls);
  Envelope e = make_envelope("alice@example.com", {"bob@example.net"});
  StringContentSource content(kContent);
  ClientOptions o = options();
  o.tls = TlsPolicy::Opportunistic;
  o.tls_server_name = "peer.test";
  MessageResult result = deliver_one(o, {e, content});
  EXPECT_TRUE(result.all_delivered()) << result.recipients[0].reply.str();
  EXPECT_NE(result.record.tls.find("TLS"), std::string::npos) << result.record.tls;
  EXPECT_EQ(connections()[0]["messages"][0]["tls"], true);
}

TEST_F(DeliveryClient, RecipientTimeout) {
  start_aiosmtpd({"--pipelining", "--slow", "5"});
  Envelope e = make_envelope("alice@example.com", {"ok@example.net", "slow@example.net"});
  StringContentSource content(kContent);
  ClientOptions o = options();
  o.timeouts.rcpt = 300ms;
  auto start = std::chrono::steady_clock::now();
  MessageResult result = deliver_one(o, {e, content});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  for (const RecipientResult& r : result.recipients) {
    EXPECT_EQ(r.outcome, Outcome::TempFail);
    EXPECT_EQ(r.stage, Stage::Rcpt);
    EXPECT_EQ(r.reply.enhanced, "4.4.2");
    EXPECT_NE(r.reply.str().find("timed out while waiting for the reply to RCPT TO"),
              std::string::npos)
        << r.reply.str();
  }
  EXPECT_TRUE(connections()[0]["messages"].empty());
}

TEST_F(DeliveryClient, DataTerminationTimeout) {
  start_aiosmtpd({"--slow", "5"});
  Envelope e = make_envelope("slowdata@example.com", {"bob@example.net"});
  StringContentSource content(kContent);
  ClientOptions o = options();
  o.timeouts.data_termination = 300ms;
  MessageResult result = deliver_one(o, {e, content});
  EXPECT_EQ(result.recipients[0].outcome, Outcome::TempFail);
  EXPECT_EQ(result.recipients[0].stage, Stage::Content);
  EXPECT_NE(result.recipients[0].reply.str().find("end of data"), std::string::npos);
}

TEST_F(DeliveryClient, ConnectionRefused) {
  Envelope e = make_envelope("alice@example.com", {"a@example.net", "b@example.net"});
  StringContentSource content(kContent);
  MessageResult result = deliver_one(options(), {e, content});  // nothing listens
  ASSERT_EQ(result.recipients.size(), 2u);
  for (const RecipientResult& r : result.recipients) {
    EXPECT_EQ(r.outcome, Outcome::TempFail);
    EXPECT_EQ(r.stage, Stage::Connect);
    EXPECT_EQ(r.reply.enhanced, "4.4.1");
    EXPECT_FALSE(r.from_peer);
    EXPECT_NE(r.reply.str().find("Connection refused"), std::string::npos) << r.reply.str();
  }
}

TEST_F(DeliveryClient, ConnectTimeout) {
  // A next hop that never answers: SYNs go out of a veth whose far end
  // drops them (a permanent neighbour entry, so no ARP failure ends it early).
  sh("ip link add pgd0 type veth peer name pgd1");
  sh("ip link set pgd0 up");
  sh("ip link set pgd1 up");
  sh("ip route add 203.0.113.99/32 dev pgd0");
  sh("ip neigh add 203.0.113.99 lladdr 02:00:00:00:00:99 dev pgd0 nud permanent");
  Envelope e = make_envelope("alice@example.com", {"a@example.net"});
  StringContentSource content(kContent);
  ClientOptions o = options();
  o.timeouts.connect = 300ms;
  OutboundMessage m{e, content};
  auto start = std::chrono::steady_clock::now();
  auto results = deliver(o, {&m}, {asio::ip::make_address(kPool), kMark}, "203.0.113.99");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  const RecipientResult& r = results.at(0).recipients.at(0);
  EXPECT_EQ(r.outcome, Outcome::TempFail);
  EXPECT_EQ(r.reply.str(), "451 4.4.1 connect to 203.0.113.99:25: timed out");
}

}  // namespace
