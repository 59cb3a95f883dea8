// The admin API's views without root: its JSON built from a live delivery
// engine (engine_test_support.h: attempts end deferred at the next-hop
// lookup), live sender limits over the spool, and the configuration, and its
// HTTP server answering on loopback. The namespace test test_admin_api.py
// checks the same views against a running daemon and the CLI.
#include "engine_test_support.h"

#include "admin/http_server.h"
#include "admin/metrics.h"
#include "admin/views.h"
#include "limits/sender_limits.h"
#include "limits/spool_counter_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace poolgate;
using namespace poolgate::engine_test;

namespace {

class AdminViews : public EngineHarness {
 protected:
  // One recipient an hour, then the sender is blocked until released.
  AdminViews() : EngineHarness("[limits]\nexternal_recipients_per_hour = 1\naction = \"block\"\n") {}

  // A message that waits deferred in the queue.
  std::string queue_one(std::vector<std::string> recipients) {
    Envelope envelope = message_to(std::move(recipients), std::time(nullptr));
    envelope.queue_id = store(envelope);
    on_loop([&] { engine_->add(envelope); });
    EXPECT_TRUE(eventually([&] { return all_deferred(envelope.queue_id); }));
    return envelope.queue_id;
  }
};

TEST_F(AdminViews, QueueViewIsEveryQueuedMessageWithItsRecipients) {
  start();
  std::string id = queue_one({"a1@a.example", "b1@b.example"});
  nlohmann::ordered_json view = on_loop([&] { return queue_view(*engine_); });
  ASSERT_TRUE(view.is_array());
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0]["queue_id"], id);
  EXPECT_EQ(view[0]["sender"], "alice@example.com");
  EXPECT_EQ(view[0]["pool"], "normal");
  ASSERT_EQ(view[0]["recipients"].size(), 2u);
  for (const auto& r : view[0]["recipients"]) {
    EXPECT_EQ(r["state"], "deferred");
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_NE(r["last_reply"].get<std::string>().find("4.4.3"), std::string::npos);
  }
}

TEST_F(AdminViews, PoolsViewCountsWhatWaitsPerPool) {
  start();
  queue_one({"a1@a.example", "a2@a.example"});
  nlohmann::ordered_json view =
      on_loop([&] { return pools_view(config_, engine_.get(), nullptr); });
  const auto& pools = view["pools"];
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0]["name"], "normal");
  EXPECT_EQ(pools[0]["addresses"][0]["address"], "198.51.100.10");
  EXPECT_EQ(pools[0]["addresses"][0]["fwmark"], 0x100);
  EXPECT_EQ(pools[0]["addresses"][0]["table"], 100);
  EXPECT_EQ(pools[0]["queued_messages"], 1);
  EXPECT_EQ(pools[0]["queued_recipients"], 2);
  EXPECT_EQ(pools[1]["name"], "high-risk");
  EXPECT_EQ(pools[1]["queued_messages"], 0);
  EXPECT_TRUE(pools[1]["kernel"].is_null());  // no pins: the view still answers
}

TEST_F(AdminViews, SendersViewListsOnlyRestrictedSendersUnlessAll) {
  SpoolCounterStore store(*spool_, std::time(nullptr));
  SenderLimits limits(config_.limits, {}, store);
  Envelope quiet = message_to({"x@a.example"}, std::time(nullptr));
  quiet.sender = "quiet@example.com";
  limits.check_and_count(quiet);
  Envelope loud = message_to({"x@a.example", "y@b.example"}, std::time(nullptr));
  loud.sender = "loud@example.com";
  LimitVerdict verdict = limits.check_and_count(loud);
  EXPECT_FALSE(verdict.exceeded.empty());

  nlohmann::ordered_json restricted = senders_view(limits, false, std::time(nullptr));
  ASSERT_EQ(restricted.size(), 1u) << restricted.dump();
  EXPECT_EQ(restricted[0]["sender"], "loud@example.com");
  EXPECT_EQ(restricted[0]["blocked"], true);
  EXPECT_EQ(restricted[0]["blocked_until"], "release");
  EXPECT_EQ(restricted[0]["external_last_hour"], 2);

  nlohmann::ordered_json all = senders_view(limits, true, std::time(nullptr));
  EXPECT_EQ(all.size(), 2u) << all.dump();
}

TEST_F(AdminViews, MetricsCarryTheQueueDepthPerPoolAndDomain) {
  start();
  queue_one({"a1@a.example", "a2@a.example", "b1@b.example"});
  MetricSources sources;
  sources.config = &config_;
  sources.engine = engine_.get();
  std::string text = on_loop([&] { return render_metrics(sources); });
  EXPECT_NE(text.find("# TYPE poolgate_queue_recipients gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("poolgate_queue_recipients{pool=\"normal\",domain=\"a.example\"} 2"),
            std::string::npos)
      << text;
}

// GET over a plain socket, as curl or Prometheus would; returns the status line
// and body.
std::string http_get(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    (void)!::write(fd, request.data(), request.size());
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  }
  ::close(fd);
  return out;
}

TEST_F(AdminViews, HttpServerAnswersKnownPathsAndRefusesTheRest) {
  HttpServer server(io_, Endpoint{boost::asio::ip::make_address("127.0.0.1"), 0});
  server.handle("/queue", [this](const std::string&) {
    return HttpResponse{200, "application/json", queue_view(*engine_).dump()};
  });
  server.start();
  start();
  uint16_t port = server.local_endpoint().port();
  std::string ok = http_get(port, "GET /queue HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200")) << ok;
  EXPECT_NE(ok.find("application/json"), std::string::npos) << ok;
  EXPECT_TRUE(ok.ends_with("[]")) << ok;
  std::string missing =
      http_get(port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(missing.starts_with("HTTP/1.1 404")) << missing;
  std::string post =
      http_get(port, "POST /queue HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405")) << post;
  on_loop([&] { server.close(); });
}

}  // namespace
