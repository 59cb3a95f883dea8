// The descriptor budget: relay sessions plus outbound connections plus the
// reserve must fit under the soft RLIMIT_NOFILE, and the daemon raises that
// soft limit to the hard one at start (no privilege needed, so no root here).
#include "daemon/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>

namespace poolgate {
namespace {

TEST(FdNeed, CountsRelaySessionsOutboundAndTheReserve) {
  Config config;
  config.relay.max_connections = 1000;
  config.delivery.max_concurrent_connections = 500;
  FdNeed need = fd_need(config);
  EXPECT_EQ(need.relay_sessions, 1000u);
  EXPECT_EQ(need.outbound, 500u);
  EXPECT_EQ(need.reserve, kFdReserve);
  EXPECT_EQ(need.total(), 1500u + kFdReserve);
}

TEST(FdLimitWarning, DefaultsDoNotFitUnderTheDefault1024) {
  FdNeed need = fd_need(Config{});
  std::optional<std::string> warning = fd_limit_warning(need, 1024);
  ASSERT_TRUE(warning);
  // Both numbers and the remedy, so the log line alone says what to do.
  EXPECT_NE(warning->find("1024"), std::string::npos) << *warning;
  EXPECT_NE(warning->find(std::to_string(need.total())), std::string::npos) << *warning;
  EXPECT_NE(warning->find("LimitNOFILE"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("ulimit -n"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("relay.max_connections"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("delivery.max_concurrent_connections"), std::string::npos) << *warning;
}

TEST(FdLimitWarning, NothingWhenItFits) {
  FdNeed need{100, 50, kFdReserve};
  EXPECT_FALSE(fd_limit_warning(need, need.total()));
  EXPECT_FALSE(fd_limit_warning(need, 65536));
  EXPECT_TRUE(fd_limit_warning(need, need.total() - 1));
}

// In a child: the test's own limit stays as it was.
TEST(RaiseFdLimit, SoftLimitReachesTheHardOne) {
  EXPECT_EXIT(
      {
        rlimit low{};
        if (getrlimit(RLIMIT_NOFILE, &low) != 0) std::exit(10);
        if (low.rlim_max < 512) std::exit(11);  // nothing to raise to
        low.rlim_cur = 256;
        if (setrlimit(RLIMIT_NOFILE, &low) != 0) std::exit(12);
        FdLimit raised = raise_fd_limit();
        rlimit now{};
        getrlimit(RLIMIT_NOFILE, &now);
        bool ok = raised.error.empty() && raised.soft_before == 256 &&
                  raised.soft == low.rlim_max && raised.hard == low.rlim_max &&
                  now.rlim_cur == low.rlim_max;
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace poolgate
