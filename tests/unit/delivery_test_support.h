// Test support for the delivery client's end-to-end tests. Every test runs in
// its own network namespace (unshare; gone with the test process) where:
//
//   lo: 203.0.113.25 (the peer, port 25), 198.51.100.10 (the pool address,
//       mark 0x100), 198.51.100.11 (a second pool address, mark 0x101)
//   ip rule 100: fwmark 0x100/0xfff lookup 100; 101: fwmark 0x101/0xfff lookup 101
//   table 100: local 203.0.113.25 dev lo src 198.51.100.10 (101: src .11)
//   the `lookup local` rule moved from 0 to 32000, after the mark rules
//
// so a marked connection to the peer arrives from its pool address and an
// unmarked one from 203.0.113.25 itself: the peer's record of the client
// address proves the mark. The peer is a Python process (aiosmtpd or the
// scripted peer, tests/peers/) started in the namespace and killed in
// TearDown, whatever happened.
#pragma once

#include "delivery/smtp_client.h"
#include "routing_netns.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

namespace poolgate::delivery_test {

using poolgate::testing::sh;
namespace asio = boost::asio;
using namespace std::chrono_literals;

inline const char* const kPeer = "203.0.113.25";
inline const char* const kPool = "198.51.100.10";
inline const char* const kPool2 = "198.51.100.11";
inline constexpr uint32_t kMark = 0x100;
inline constexpr uint32_t kMark2 = 0x101;
inline const char* const kPeer6 = "2001:db8:25::25";
inline const char* const kPool6 = "2001:db8:100::10";
inline constexpr uint32_t kMark6 = 0x102;

inline std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// A Python peer process; SIGKILLed when the object goes (or the test process
// dies: PR_SET_PDEATHSIG).
class PeerProcess {
 public:
  PeerProcess(const std::string& script, std::vector<std::string> args, const std::string& ready) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<std::string> all{"/usr/bin/python3", script};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    ready_ = std::filesystem::exists(ready);
  }
  ~PeerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

class DeliveryNet : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0)
        << "unshare(CLONE_NEWNET): " << std::strerror(errno) << "; these tests need root";
    sh("ip link set lo up");
    for (const char* a : {kPeer, kPool, kPool2}) sh(std::string("ip addr add ") + a + "/32 dev lo");
    sh("ip rule add pref 100 fwmark 0x100/0xfff lookup 100");
    sh("ip rule add pref 101 fwmark 0x101/0xfff lookup 101");
    sh(std::string("ip route add local ") + kPeer + " dev lo src " + kPool + " table 100");
    sh(std::string("ip route add local ") + kPeer + " dev lo src " + kPool2 + " table 101");
    sh("ip rule add pref 32000 lookup local");
    sh("ip rule del pref 0 lookup local");
    char dir[] = "/tmp/pg-delivery-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    record_ = dir_ + "/record.json";
  }

  void TearDown() override {
    peers_.clear();  // kills them
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The same for IPv6: 2001:db8:25::25 reached from 2001:db8:100::10 by mark 0x102.
  void add_ipv6() {
    for (const char* a : {kPeer6, kPool6})
      sh(std::string("ip -6 addr add ") + a + "/128 dev lo nodad");
    sh("ip -6 rule add pref 102 fwmark 0x102/0xfff lookup 102");
    sh(std::string("ip -6 route add local ") + kPeer6 + " dev lo src " + kPool6 + " table 102");
    sh("ip -6 rule add pref 32000 lookup local");
    sh("ip -6 rule del pref 0 lookup local");
  }

  // Starts tests/peers/<script> listening on the peer address, port 25.
  void start_peer(const std::string& script, std::vector<std::string> args = {},
                  const char* listen = kPeer) {
    std::string ready = dir_ + "/ready" + std::to_string(++started_);
    std::vector<std::string> all{"--listen", listen, "--record", record_, "--ready", ready};
    all.insert(all.end(), args.begin(), args.end());
    peers_.push_back(std::make_unique<PeerProcess>(
        std::string(POOLGATE_SOURCE_DIR) + "/tests/peers/" + script, all, ready));
    ASSERT_TRUE(peers_.back()->ready()) << script << " did not start";
  }
  void start_aiosmtpd(std::vector<std::string> args = {}, const char* listen = kPeer) {
    start_peer("aiosmtpd_peer.py", args, listen);
  }
  void start_scripted(std::vector<std::string> args = {}) { start_peer("scripted_peer.py", args); }

  // A self-signed certificate for STARTTLS peers: {cert, key}.
  std::vector<std::string> tls_args() {
    std::string cert = dir_ + "/cert.pem", key = dir_ + "/key.pem";
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
       "-subj /CN=peer.test -keyout " +
       key + " -out " + cert);
    return {"--tls-cert", cert, "--tls-key", key};
  }

  // What the peer recorded (see tests/peers/peer_rules.py).
  nlohmann::json record() const {
    return nlohmann::json::parse(poolgate::testing::read_file(record_));
  }
  nlohmann::json connections() const { return record()["connections"]; }

  ClientOptions options() const {
    ClientOptions o;
    o.ehlo_name = "mail.example.com";
    o.tls = TlsPolicy::Off;
    return o;
  }

  // Sends each message over one client connection, then QUIT.
  std::vector<MessageResult> deliver(const ClientOptions& options,
                                     const std::vector<const OutboundMessage*>& messages,
                                     SourceBinding source = {asio::ip::make_address(kPool), kMark},
                                     const std::string& peer = kPeer, uint16_t port = 25) {
    asio::io_context io;
    std::vector<MessageResult> results;
    SmtpClient client(io.get_executor(), source, {asio::ip::make_address(peer), port}, options);
    asio::co_spawn(io, send_all(&client, messages, &results), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
    return results;
  }
  // A coroutine function, not a lambda: its parameters live in its frame.
  static asio::awaitable<void> send_all(SmtpClient* client,
                                        std::vector<const OutboundMessage*> messages,
                                        std::vector<MessageResult>* results) {
    for (const OutboundMessage* m : messages) results->push_back(co_await client->send(*m));
    co_await client->quit();
  }
  MessageResult deliver_one(const ClientOptions& options, const OutboundMessage& message) {
    auto all = deliver(options, {&message});
    return all.empty() ? MessageResult{} : all.front();
  }

  std::string dir_;
  std::string record_;
  std::vector<std::unique_ptr<PeerProcess>> peers_;
  int started_ = 0;  // names each peer's ready file
};

// An envelope with these recipients; content "Subject: test\r\n\r\nHello.\r\n".
inline Envelope make_envelope(const std::string& sender, const std::vector<std::string>& rcpts,
                              uint64_t size = 0) {
  Envelope e;
  e.queue_id = "TESTQUEUEID00001";
  e.sender = sender;
  for (const auto& r : rcpts) e.recipients.push_back({.address = r});
  e.size = size;
  return e;
}

inline const std::string kContent = "Subject: test\r\n\r\nHello.\r\n";

}  // namespace poolgate::delivery_test
