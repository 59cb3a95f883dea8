// The relay's session logic without root: a RelayServer on 127.0.0.1 (port
// chosen by the kernel) over a spool in a temporary directory, driven by a
// blocking client that sends raw lines. No namespace, no BPF, no capability:
// these run as any user (CTest label "noroot"); the namespace tests in
// tests/integration/test_relay_*.py cover the same daemon end to end.
#include "loopback_smtp_client.h"
#include "spool_test_support.h"

#include "relay/server.h"
#include "spool/spool.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <thread>

using namespace poolgate;
using poolgate::spool_test::TempDir;
using poolgate::testing::LoopbackSmtpClient;

namespace {

Network network(const char* address, unsigned prefix) {
  return Network{boost::asio::ip::make_address(address), prefix};
}

// Keeps what the server logs, for tests of what reaches the log.
class CapturingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    text_.append(msg.payload.data(), msg.payload.size());
    text_ += '\n';
  }
  void flush_() override {}

 private:
  std::string text_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class RelaySession : public ::testing::Test {
 protected:
  // Starts the server with the defaults below, changed by `tweak`.
  void start(const std::function<void(RelayConfig&)>& tweak = {}) {
    config_.hostname = "relay.example.com";
    config_.listen = {Endpoint{boost::asio::ip::make_address("127.0.0.1"), 0}};
    config_.client_networks = {network("127.0.0.0", 8)};
    config_.max_message_size = 4096;
    config_.max_recipients = 3;
    if (tweak) tweak(config_);
    spool_ = Spool::open(dir_.sub("spool"));
    server_ = std::make_unique<RelayServer>(io_, config_, *spool_, nullptr);
    server_->on_queued([this](Envelope envelope) {
      std::lock_guard lock(mutex_);
      queued_.push_back(std::move(envelope));
    });
    server_->start();
    port_ = server_->local_endpoints().at(0).port();
    thread_ = std::thread([this] { io_.run(); });
  }

  // The server drains as the daemon's does at SIGTERM, and run() returns once
  // the last session has ended: stopping the loop instead would leave session
  // coroutines to be destroyed with the io_context, after the server they use.
  void TearDown() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->drain(); });
      guard_.reset();
      thread_.join();
    }
    server_.reset();
    spool_.reset();
    if (saved_logger_) spdlog::set_default_logger(saved_logger_);
  }

  // From now on (call before start()) the server logs only into the result.
  std::shared_ptr<CapturingSink> capture_log() {
    auto sink = std::make_shared<CapturingSink>();
    saved_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    return sink;
  }

  std::vector<Envelope> queued() {
    std::lock_guard lock(mutex_);
    return queued_;
  }

  // A client past the greeting and EHLO.
  std::unique_ptr<LoopbackSmtpClient> greeted() {
    auto client = std::make_unique<LoopbackSmtpClient>(port_);
    EXPECT_EQ(client->reply().code, 220);
    EXPECT_EQ(client->command("EHLO client.example.com").code, 250);
    return client;
  }

  TempDir dir_;
  RelayConfig config_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<RelayServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<Envelope> queued_;
  std::shared_ptr<spdlog::logger> saved_logger_;
};

TEST_F(RelaySession, GreetingAndEhloOfferTheExtensions) {
  start();
  LoopbackSmtpClient client(port_);
  auto greeting = client.reply();
  EXPECT_EQ(greeting.code, 220);
  EXPECT_NE(greeting.text.find("relay.example.com ESMTP"), std::string::npos) << greeting.text;
  auto ehlo = client.command("EHLO client.example.com");
  ASSERT_EQ(ehlo.code, 250);
  for (const char* keyword :
       {"PIPELINING", "SIZE 4096", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8"})
    EXPECT_NE(ehlo.text.find(keyword), std::string::npos) << keyword << " in " << ehlo.text;
  EXPECT_EQ(ehlo.text.find("STARTTLS"), std::string::npos);  // no certificate configured
  EXPECT_EQ(client.command("QUIT").code, 221);
  EXPECT_TRUE(client.closed());
}

// A message far past stream_threshold_bytes streams to the spool and is
// stored exactly; the envelope handed on has the whole size; the budget is
// given back.
TEST_F(RelaySession, LargeMessageStreamsToTheSpoolByteForByte) {
  start([](RelayConfig& relay) {
    relay.max_message_size = 4 << 20;
    relay.stream_threshold_bytes = 65536;
  });
  std::string body = "Subject: big\r\n\r\n";
  for (int i = 0; body.size() < 1500000; ++i)
    body += (i % 97 == 3 ? "." : "") + std::string(70, char('a' + i % 26)) + "\r\n";
  std::string wire = std::regex_replace(body, std::regex("\r\n\\."), "\r\n..");
  auto client = greeted();
  EXPECT_EQ(client->command("MAIL FROM:<big@example.com>").code, 250);
  EXPECT_EQ(client->command("RCPT TO:<bob@example.org>").code, 250);
  EXPECT_EQ(client->command("DATA").code, 354);
  client->send(wire);
  auto done = client->command(".");
  ASSERT_EQ(done.code, 250) << done.text;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(done.text, match, std::regex("queued as ([0-9A-Z]+)")));
  std::optional<std::string> content = spool_->load_content(match[1].str());
  ASSERT_TRUE(content);
  EXPECT_TRUE(content->starts_with("Received: from client.example.com")) << content->substr(0, 80);
  EXPECT_TRUE(content->ends_with("\r\n" + body));
  EXPECT_EQ(content->size() - body.size(), content->find("Subject: big"));
  size_t chunks = 0;
  spool_->read_content(match[1].str(), [&](std::string_view) { ++chunks; });
  EXPECT_GT(chunks, 5u);  // the head, then 256 KiB chunks
  ASSERT_EQ(queued().size(), 1u);
  EXPECT_EQ(queued()[0].size, content->size());
  EXPECT_EQ(server_->data_budget().in_flight(), 0u);
  EXPECT_TRUE(spool_->check().empty());
}

TEST_F(RelaySession, TransactionIsDurableBeforeItsQueuedReply) {
  start();
  auto client = greeted();
  EXPECT_EQ(client->command("MAIL FROM:<alice@example.com>").code, 250);
  EXPECT_EQ(client->command("RCPT TO:<bob@example.org>").code, 250);
  EXPECT_EQ(client->command("DATA").code, 354);
  auto done = client->command("Subject: hi\r\n\r\nfirst\r\n..dot line\r\n.");
  ASSERT_EQ(done.code, 250) << done.text;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(done.text, match, std::regex("queued as ([0-9A-Z]+)")))
      << done.text;
  std::string id = match[1];

  // In the spool as the reply says, with its Received: line and the content
  // dot-unstuffed.
  std::optional<Envelope> stored = spool_->load_envelope(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->sender, "alice@example.com");
  ASSERT_EQ(stored->recipients.size(), 1u);
  EXPECT_EQ(stored->recipients[0].address, "bob@example.org");
  EXPECT_EQ(stored->client_address, "127.0.0.1");
  EXPECT_EQ(stored->client_helo, "client.example.com");
  std::optional<std::string> content = spool_->load_content(id);
  ASSERT_TRUE(content);
  EXPECT_TRUE(content->starts_with("Received: from client.example.com (127.0.0.1")) << *content;
  EXPECT_TRUE(content->ends_with("first\r\n.dot line\r\n")) << *content;

  // And handed on (to the delivery engine, in the daemon) with that id.
  std::vector<Envelope> handed = queued();
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].queue_id, id);
}

TEST_F(RelaySession, PipelinedCommandsAreAnsweredInOrder) {
  start();
  auto client = greeted();
  client->send("MAIL FROM:<p@example.com>\r\nRCPT TO:<a@example.org>\r\n"
               "RCPT TO:<bad address>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  std::vector<int> codes;
  for (int i = 0; i < 5; ++i) codes.push_back(client->reply().code);
  EXPECT_EQ(codes, (std::vector<int>{250, 250, 501, 250, 354}));
  client->send("Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\n");
  codes.clear();
  for (int i = 0; i < 3; ++i) codes.push_back(client->reply().code);
  EXPECT_EQ(codes, (std::vector<int>{250, 250, 250}));
  std::vector<Envelope> handed = queued();
  ASSERT_EQ(handed.size(), 1u);
  ASSERT_EQ(handed[0].recipients.size(), 2u);
  EXPECT_EQ(handed[0].recipients[1].address, "b@example.org");
}

TEST_F(RelaySession, CommandsOutOfSequenceAreRefusedAndNothingIsQueued) {
  start();
  auto client = greeted();
  EXPECT_EQ(client->command("RCPT TO:<a@example.org>").code, 503);
  EXPECT_EQ(client->command("DATA").code, 503);
  EXPECT_EQ(client->command("MAIL FROM:<a@example.com>").code, 250);
  EXPECT_EQ(client->command("MAIL FROM:<b@example.com>").code, 503);  // nested
  EXPECT_EQ(client->command("DATA").code, 554);  // no valid recipients (RFC 5321 3.3)
  EXPECT_EQ(client->command("FROB").code, 500);
  for (const char* rcpt : {"<r1@example.org>", "<r2@example.org>", "<r3@example.org>"})
    EXPECT_EQ(client->command(std::string("RCPT TO:") + rcpt).code, 250);
  EXPECT_EQ(client->command("RCPT TO:<r4@example.org>").code, 452);  // max_recipients 3
  EXPECT_EQ(client->command("RSET").code, 250);
  EXPECT_EQ(client->command("MAIL FROM:<a@example.com> SIZE=5000").code, 552);  // over 4096
  EXPECT_TRUE(queued().empty());
  EXPECT_TRUE(spool_->load_unfinished().empty());
}

TEST_F(RelaySession, OversizedDataIsRefusedAndLeavesNothingInTheSpool) {
  start();
  auto client = greeted();
  EXPECT_EQ(client->command("MAIL FROM:<big@example.com>").code, 250);
  EXPECT_EQ(client->command("RCPT TO:<r@example.org>").code, 250);
  EXPECT_EQ(client->command("DATA").code, 354);
  std::string body = "Subject: big\r\n\r\n";
  while (body.size() < 8192) body += std::string(70, 'x') + "\r\n";
  auto done = client->command(body + ".");
  EXPECT_EQ(done.code, 552) << done.text;
  EXPECT_EQ(client->command("NOOP").code, 250);  // the session goes on
  EXPECT_TRUE(queued().empty());
  EXPECT_TRUE(spool_->load_unfinished().empty());
}

TEST_F(RelaySession, ClientOutsideClientNetworksIsRefused) {
  start([](RelayConfig& relay) { relay.client_networks = {network("198.51.100.0", 24)}; });
  LoopbackSmtpClient client(port_);
  auto greeting = client.reply();
  EXPECT_EQ(greeting.code, 554) << greeting.text;
  EXPECT_EQ(client.command("MAIL FROM:<a@example.com>").code, 503);
  EXPECT_EQ(client.command("QUIT").code, 221);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(queued().empty());
}

// Refused clients have a budget of their own: a thousand of them held open
// (more than max_connections, no per-client cap) leave every slot to the
// internal servers. Before, each kept a session slot for command_timeout_s.
TEST_F(RelaySession, RefusedClientsDoNotTakeTheSlotsOfInternalOnes) {
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  // Each connection costs two descriptors here (client and server side).
  uint32_t count = static_cast<uint32_t>(std::min<rlim_t>(1000, (files.rlim_cur - 100) / 2));
  ASSERT_GE(count, 100u);
  start([count](RelayConfig& relay) {
    relay.client_networks = {network("127.0.0.2", 32)};
    relay.max_connections = count;
    relay.max_connections_per_client = 0;  // the total alone
  });
  std::vector<std::unique_ptr<LoopbackSmtpClient>> refused;
  for (uint32_t i = 0; i < count; ++i) {
    refused.push_back(std::make_unique<LoopbackSmtpClient>(port_));
    ASSERT_EQ(refused.back()->reply().code, 554) << "refused client " << i;
  }
  auto begin = std::chrono::steady_clock::now();
  LoopbackSmtpClient internal(port_, 5, "127.0.0.2");
  auto greeting = internal.reply();
  EXPECT_EQ(greeting.code, 220) << greeting.text;
  EXPECT_LT(seconds_since(begin), 2.0);
  EXPECT_EQ(internal.command("EHLO internal.example.com").code, 250);
  EXPECT_EQ(internal.command("QUIT").code, 221);
}

// A refused client is closed within seconds whether it says nothing or keeps
// sending commands (each answered 503): one deadline for the whole session,
// not command_timeout_s (300 s here) per command.
TEST_F(RelaySession, RefusedClientIsClosedWithinSeconds) {
  start([](RelayConfig& relay) { relay.client_networks = {network("198.51.100.0", 24)}; });
  auto begin = std::chrono::steady_clock::now();
  LoopbackSmtpClient silent(port_, 20);
  LoopbackSmtpClient chatty(port_, 20);
  EXPECT_EQ(silent.reply().code, 554);
  EXPECT_EQ(chatty.reply().code, 554);
  int answered = 0;
  while (seconds_since(begin) < 25) {
    auto answer = chatty.command("NOOP");
    if (answer.code == 0) break;
    EXPECT_EQ(answer.code, 503);
    ++answered;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_GT(answered, 0);
  EXPECT_LT(seconds_since(begin), 13.0);
  EXPECT_TRUE(silent.closed());
  EXPECT_LT(seconds_since(begin), 13.0);
}

// data_timeout_s bounds the DATA phase as a whole: one byte every 200 ms
// kept the old per-read deadline from ever passing.
TEST_F(RelaySession, TrickleInDataGetsTimeoutReply) {
  start([](RelayConfig& relay) { relay.data_timeout_s = 2; });
  auto client = greeted();
  EXPECT_EQ(client->command("MAIL FROM:<slow@example.com>").code, 250);
  EXPECT_EQ(client->command("RCPT TO:<r@example.org>").code, 250);
  ASSERT_EQ(client->command("DATA").code, 354);
  auto begin = std::chrono::steady_clock::now();
  std::atomic<bool> stop = false;
  std::thread trickle([&] {
    while (!stop && seconds_since(begin) < 12) {
      client->send("x");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  auto answer = client->reply();
  double waited = seconds_since(begin);
  stop = true;
  trickle.join();
  EXPECT_EQ(answer.code, 421) << answer.text;
  EXPECT_NE(answer.text.find("4.4.2"), std::string::npos) << answer.text;
  EXPECT_LT(waited, 4.0);
  EXPECT_TRUE(queued().empty());
}

// What a client sends reaches the log escaped: the first word of a command
// (logged when it breaks the pipelining rules) with ESC, CR and NUL in it.
TEST_F(RelaySession, ControlBytesFromClientAreEscapedInTheLog) {
  auto log = capture_log();
  start();
  LoopbackSmtpClient client(port_);
  EXPECT_EQ(client.reply().code, 220);
  client.send(std::string("\x1b[2J\rEVIL\0X\r\nNOOP\r\n", 19));
  EXPECT_EQ(client.reply().code, 554);
  EXPECT_TRUE(client.closed());
  std::string text = log->text();
  EXPECT_NE(text.find("pipelining after \\x1b[2J\\x0dEVIL\\x00X"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

}  // namespace
