// The spamd scanner against Debian's real spamd: started once for this test
// binary on a free loopback port, local tests only (--local: no DNS or
// network lookups), so it runs offline. GTUBE must come back Spam, an
// ordinary message Clean, and a large message is scanned up to
// max_scan_bytes. Failure cases (refused, silent, garbage) are in
// spam_failure_test.cpp, without a daemon.
#include "spam_test_support.h"

namespace poolgate::spam_test {
namespace {

constexpr const char* kSpamd = "/usr/sbin/spamd";

class SpamdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kSpamd)) return;
    dir_ = make_temp_dir("pg-spamd");
    port_ = free_port();
    std::vector<std::string> argv{kSpamd, "--listen", "127.0.0.1:" + std::to_string(port_),
                                  "--max-children", "1", "--local", "--nouser-config",
                                  "--syslog=stderr", "--pidfile", dir_ + "/spamd.pid"};
    // As root spamd wants a user to switch to (-u); --nouser-config keeps it
    // away from that user's (absent) home directory.
    if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
    daemon_ = new Daemon(argv, dir_ + "/spamd.log");
    started_ = daemon_->wait_for_port(port_, 90s);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (!std::filesystem::exists(kSpamd))
      GTEST_SKIP() << kSpamd << " is not installed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(started_) << "spamd did not start listening:\n" << daemon_->log();
  }

  SpamVerdict scan(const std::string& content, uint32_t max_scan_bytes = 512 * 1024) {
    SpamConfig config = make_config(ScannerKind::Spamd, port_);
    config.max_scan_bytes = max_scan_bytes;
    return scan_once(config, make_envelope(), content);
  }

  static inline Daemon* daemon_ = nullptr;
  static inline std::string dir_;
  static inline uint16_t port_ = 0;
  static inline bool started_ = false;
};

TEST_F(SpamdTest, GtubeIsSpamAndAnOrdinaryMessageIsClean) {
  SpamVerdict gtube = scan(gtube_message());
  EXPECT_EQ(gtube.status, SpamVerdict::Status::Spam) << describe(gtube);
  EXPECT_EQ(gtube.scanner, "spamd");
  EXPECT_GE(gtube.score, 1000) << describe(gtube);  // GTUBE alone scores 1000
  EXPECT_EQ(gtube.required, 5.0) << describe(gtube);
  EXPECT_NE(gtube.detail.find("GTUBE"), std::string::npos) << describe(gtube);

  SpamVerdict plain = scan(plain_message());
  EXPECT_EQ(plain.status, SpamVerdict::Status::Clean) << describe(plain);
  EXPECT_LT(plain.score, plain.required) << describe(plain);
  EXPECT_EQ(plain.detail.find("GTUBE"), std::string::npos) << describe(plain);
}

TEST_F(SpamdTest, LargeMessagesAreScannedUpToMaxScanBytes) {
  std::string filler;
  for (int i = 0; i < 2000; ++i) filler += "Nothing to see in this line of the report, number " +
                                           std::to_string(i) + ".\r\n";
  // GTUBE near the start survives the cut: still Spam, and the detail says
  // only part of the message was scanned.
  SpamVerdict early = scan(message("report", kGtube + "\r\n" + filler), 8192);
  EXPECT_EQ(early.status, SpamVerdict::Status::Spam) << describe(early);
  EXPECT_NE(early.detail.find("scanned the first"), std::string::npos) << describe(early);
  // GTUBE after the limit is never sent: Clean, which shows the cut happened.
  SpamVerdict late = scan(message("report", filler + kGtube), 8192);
  EXPECT_EQ(late.status, SpamVerdict::Status::Clean) << describe(late);
  EXPECT_NE(late.detail.find("scanned the first"), std::string::npos) << describe(late);
}

}  // namespace
}  // namespace poolgate::spam_test
