// Shared by the tests that run the delivery engine without root (engine
// scheduling, admin views): the engine on its own io_context thread over a
// spool in a temporary directory, its resolver asking a loopback port where
// nothing answers, so every attempt ends at the next-hop lookup (4.4.3,
// deferred) before any socket is opened or marked.
#pragma once

#include "config_test_support.h"
#include "spool_test_support.h"

#include "config/config.h"
#include "dns/dns_resolver.h"
#include "queue/delivery_engine.h"
#include "spool/spool.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <ctime>
#include <future>
#include <thread>

namespace poolgate::engine_test {

namespace asio = boost::asio;
using spool_test::TempDir;

// A UDP port on 127.0.0.1 that is bound (so nothing else takes it) and never
// read: queries to it time out.
class SilentDnsPort {
 public:
  SilentDnsPort() : socket_(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  asio::ip::udp::socket socket_;
};

// `extra`: more TOML after the defaults ([limits], ...).
inline Config engine_config(uint16_t dns_port, const std::string& extra = "") {
  LoadResult result = parse_config(config_test::kTwoPools + R"(
[dns]
servers    = ["127.0.0.1:)" + std::to_string(dns_port) + R"("]
timeout_ms = 100
attempts   = 1

[delivery]
retry_intervals_s = [600, 1200]
max_lifetime_s    = 86400
delay_warning_s   = 0
)" + extra,
                                   "engine.toml");
  if (!result.config) {
    for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.to_string();
    return Config{};
  }
  return *result.config;
}

inline Envelope message_to(std::vector<std::string> recipients, int64_t received_unix) {
  Envelope envelope;
  envelope.sender = "alice@example.com";
  envelope.received_unix = received_unix;
  envelope.pool = "normal";
  for (std::string& address : recipients) {
    Recipient r;
    r.address = std::move(address);
    envelope.recipients.push_back(std::move(r));
  }
  return envelope;
}

class EngineHarness : public ::testing::Test {
 protected:
  explicit EngineHarness(const std::string& extra_toml = "")
      : config_(engine_config(dns_port_.port(), extra_toml)) {
    spool_ = Spool::open(dir_.sub("spool"));
    resolver_ = std::make_unique<Resolver>(io_.get_executor(), config_.dns);
    engine_ = std::make_unique<DeliveryEngine>(io_, config_, *spool_, *resolver_,
                                               [](const asio::ip::address&) { return false; });
  }
  ~EngineHarness() override {
    on_loop([this] { engine_->stop(); });
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Stores `envelope` (as the relay would) and returns its queue id.
  std::string store(Envelope envelope) { return spool_->commit(envelope, "Subject: t\r\n\r\nx\r\n"); }

  void start(std::vector<Envelope> recovered = {}) {
    engine_->start(std::move(recovered));
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `f` on the engine's thread (it is single-threaded) and waits for it;
  // called there already (from another on_loop), runs it at once.
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    if (!thread_.joinable() || std::this_thread::get_id() == thread_.get_id()) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Polls the engine until `done` holds or 10 s pass.
  bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      if (on_loop(done)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::optional<Envelope> queued(const std::string& id) {
    return on_loop([&]() -> std::optional<Envelope> {
      for (Envelope& e : engine_->snapshot())
        if (e.queue_id == id) return e;
      return std::nullopt;
    });
  }

  bool all_deferred(const std::string& id) {
    std::optional<Envelope> e = queued(id);
    if (!e) return false;
    for (const Recipient& r : e->recipients)
      if (r.state != RecipientState::Deferred) return false;
    return true;
  }

  SilentDnsPort dns_port_;
  TempDir dir_;
  Config config_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::thread thread_;
};

}  // namespace poolgate::engine_test
