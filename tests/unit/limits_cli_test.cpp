// `poolgate senders list|release` without a process: the read-only listing,
// the offline release (no daemon: the spool is changed directly), and the
// request a running daemon would get on its control socket.
#include "cli/cmd_senders.h"
#include "common/operator_error.h"
#include "daemon/control_socket.h"
#include "limits/spool_counter_store.h"
#include "limits_test_support.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

namespace poolgate {
namespace {

using limits_test::kMidnight;
const int64_t kNow = kMidnight + 3600;

class LimitsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    config.relay.spool = dir.path();
    auto spool = Spool::open(dir.path());
    SpoolCounterStore store(*spool, kNow);
    SenderState blocked;
    blocked.recipients_day.add(kNow - 60, 600);
    blocked.external_hour.add(kNow - 60, 600);
    blocked.blocked_until = kBlockedUntilRelease;
    blocked.blocked_since = kNow - 60;
    blocked.block_reasons = "limit:recipients-per-message 600>500";
    blocked.last_exceeded_unix = kNow - 60;
    blocked.times_exceeded = 1;
    store.save("spam@x.example", blocked);
    SenderState quiet;
    quiet.external_hour.add(kNow - 60, 3);
    store.save("ok@x.example", quiet);
  }

  std::string list(bool json, bool all) {
    std::ostringstream out;
    EXPECT_EQ(senders_list(config, json, all, out, kNow), 0);
    return out.str();
  }

  spool_test::TempDir dir;
  Config config;
};

TEST_F(LimitsCli, ListShowsRestrictedSendersOnly) {
  auto json = nlohmann::json::parse(list(true, false));
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["sender"], "spam@x.example");
  EXPECT_EQ(json[0]["blocked"], true);
  EXPECT_EQ(json[0]["blocked_until"], "release");
  EXPECT_EQ(json[0]["external_last_hour"], 600);
  EXPECT_EQ(json[0]["block_reasons"], "limit:recipients-per-message 600>500");
  EXPECT_EQ(nlohmann::json::parse(list(true, true)).size(), 2u);
  std::string table = list(false, false);
  EXPECT_NE(table.find("spam@x.example"), std::string::npos) << table;
  EXPECT_NE(table.find("blocked until released"), std::string::npos) << table;
  EXPECT_EQ(table.find("ok@x.example"), std::string::npos) << table;
}

TEST_F(LimitsCli, ReleaseOfflineClearsTheBlockInTheSpool) {
  std::ostringstream out;
  EXPECT_EQ(senders_release(config, "SPAM@x.example", out, kNow), 0);
  EXPECT_EQ(out.str(), "spam@x.example: released (its counters start again from zero)\n");
  EXPECT_EQ(list(false, false), "no restricted senders\n");
  EXPECT_THROW(senders_release(config, "spam@x.example", out, kNow), OperatorError);
  EXPECT_THROW(senders_release(config, "ok@x.example", out, kNow), OperatorError);
}

TEST_F(LimitsCli, ReleaseGoesThroughARunningDaemon) {
  namespace asio = boost::asio;
  using asio::local::stream_protocol;
  asio::io_context io;
  stream_protocol::acceptor acceptor(io, stream_protocol::endpoint(control_socket_path(dir.path())));
  std::string request;
  std::thread daemon([&] {  // answers one request, as ControlSocket would
    stream_protocol::socket socket(io);
    acceptor.accept(socket);
    asio::read_until(socket, asio::dynamic_buffer(request), '\n');
    asio::write(socket, asio::buffer(std::string("error: spam@x.example is not blocked\n")));
  });
  std::ostringstream out;
  EXPECT_THROW(senders_release(config, "Spam@X.example", out, kNow), OperatorError);
  daemon.join();
  EXPECT_EQ(request, "release spam@x.example\n");
  // The daemon answered: the spool was left alone, the block is still there.
  EXPECT_EQ(nlohmann::json::parse(list(true, false)).size(), 1u);
}

}  // namespace
}  // namespace poolgate
