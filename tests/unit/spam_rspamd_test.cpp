// The rspamd scanner against Debian's real rspamd, started once for this test
// binary as a foreground process with a configuration of its own: one normal
// worker on a free loopback port, DNS pointed at a closed port (offline, and
// lookups fail at once), hyperscan off for rules and its map databases cached
// across runs (see kHyperscanCache). GTUBE must come back Spam, an ordinary
// message from a loopback client Clean. What the request carries is checked against a
// scripted server; failure cases are in spam_failure_test.cpp.
#include "spam_test_support.h"

namespace poolgate::spam_test {
namespace {

constexpr const char* kRspamd = "/usr/bin/rspamd";

// Where rspamd keeps compiled hyperscan databases between runs: compiling its
// URL suffix list takes ~20 s, loading it back well under one. The cache is
// keyed by content hashes, so a stale one is never used.
constexpr const char* kHyperscanCache = "/var/tmp/poolgate-test-rspamd-hs";

// Debian's rspamd.conf with our own [options] (options.inc's keys cannot be
// overridden after including it: UCL keeps both values and rspamd takes the
// first) and a single normal worker.
std::string rspamd_config(uint16_t port) {
  return ".include \"$CONFDIR/common.conf\"\n"
         "options {\n"
         "  pidfile = \"$RUNDIR/rspamd.pid\";\n"
         "  filters = \"chartable,dkim,regexp,fuzzy_check\";\n"
         "  cache_file = \"$DBDIR/symbols.cache\";\n"
         "  dynamic_conf = \"$DBDIR/rspamd_dynamic\";\n"
         "  history_file = \"$DBDIR/rspamd.history\";\n"
         "  control_socket = \"$DBDIR/rspamd.sock mode=0600\";\n"
         "  stats_file = \"$DBDIR/stats.ucl\";\n"
         "  url_tld = \"${SHAREDIR}/effective_tld_names.dat\";\n"
         "  explicit_modules = [\"settings\", \"bayes_expiry\"];\n"
         "  local_addrs = [192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12, fd00::/8];\n"
         "  hs_cache_dir = \"" + std::string(kHyperscanCache) + "/\";\n"
         "  disable_hyperscan = true;\n"  // for rules: no compile at start; maps still use it
         "  dns { nameserver = [\"127.0.0.1:9\"]; timeout = 0.2s; retransmits = 1; }\n"
         "}\n"
         "logging { type = \"console\"; level = \"error\"; }\n"
         "worker \"normal\" {\n"
         "  bind_socket = \"127.0.0.1:" + std::to_string(port) + "\";\n"
         "  .include \"$CONFDIR/worker-normal.inc\"\n"
         "  count = 1;\n"
         "}\n";
}

class RspamdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kRspamd)) return;
    dir_ = make_temp_dir("pg-rspamd");
    port_ = free_port();
    std::filesystem::create_directories(kHyperscanCache);
    std::ofstream(dir_ + "/rspamd.conf") << rspamd_config(port_);
    std::vector<std::string> argv{kRspamd, "-f", "-c", dir_ + "/rspamd.conf",
                                  "--var=RUNDIR=" + dir_, "--var=DBDIR=" + dir_,
                                  "--var=LOGDIR=" + dir_};
    if (::geteuid() == 0) {  // rspamd refuses to run its workers as root unless told to
      for (const char* a : {"-i", "-u", "root", "-g", "root"}) argv.push_back(a);
    }
    daemon_ = new Daemon(argv, dir_ + "/rspamd.log");
    started_ = daemon_->wait_for_port(port_, 90s);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (!std::filesystem::exists(kRspamd))
      GTEST_SKIP() << kRspamd << " is not installed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(started_) << "rspamd did not start listening:\n" << daemon_->log();
  }

  static inline Daemon* daemon_ = nullptr;
  static inline std::string dir_;
  static inline uint16_t port_ = 0;
  static inline bool started_ = false;
};

TEST_F(RspamdTest, GtubeIsSpamAndAnOrdinaryMessageIsClean) {
  SpamConfig config = make_config(ScannerKind::Rspamd, port_);
  SpamVerdict gtube = scan_once(config, make_envelope(), gtube_message());
  EXPECT_EQ(gtube.status, SpamVerdict::Status::Spam) << describe(gtube);
  EXPECT_EQ(gtube.scanner, "rspamd");
  EXPECT_NE(gtube.detail.find("action=reject"), std::string::npos) << describe(gtube);
  EXPECT_NE(gtube.detail.find("GTUBE"), std::string::npos) << describe(gtube);
  EXPECT_GT(gtube.required, 0) << describe(gtube);

  // From a loopback client rspamd skips its client checks (PTR, HELO), which
  // offline would all fail and add points of their own.
  SpamVerdict plain = scan_once(config, make_envelope(), plain_message());
  EXPECT_EQ(plain.status, SpamVerdict::Status::Clean) << describe(plain);
  EXPECT_NE(plain.detail.find("action=no action"), std::string::npos) << describe(plain);
  EXPECT_LT(plain.score, plain.required) << describe(plain);
}

}  // namespace

// No daemon needed: the request as a server sees it.
TEST(RspamdRequest, CarriesTheEnvelopeInHeadersAndTheMessageAsBody) {
  ScriptedServer server(
      http_reply("200 OK", R"({"score": 1.5, "required_score": 15, "action": "greylist"})"));
  Envelope envelope = make_envelope();
  envelope.recipients.push_back({.address = "carol@example.net"});
  envelope.client_helo = "mail.example.com";
  std::string content = plain_message();
  SpamVerdict verdict =
      scan_once(make_config(ScannerKind::Rspamd, server.port()), envelope, content);
  EXPECT_EQ(verdict.status, SpamVerdict::Status::Clean) << describe(verdict);
  EXPECT_EQ(verdict.score, 1.5);
  EXPECT_EQ(verdict.required, 15);

  std::string request = server.last_request();
  EXPECT_EQ(request.rfind("POST /checkv2 HTTP/1.1\r\n", 0), 0u) << request;
  for (const char* line : {"From: alice@example.com\r\n", "Rcpt: bob@example.org\r\n",
                           "Rcpt: carol@example.net\r\n", "IP: 127.0.0.1\r\n",
                           "Helo: mail.example.com\r\n", "Queue-Id: SPAMTEST0001\r\n"})
    EXPECT_NE(request.find(line), std::string::npos) << line << " missing in:\n" << request;
  EXPECT_EQ(request.find("User:"), std::string::npos) << "not authenticated: no User header";
  ASSERT_GE(request.size(), content.size());
  EXPECT_EQ(request.substr(request.size() - content.size()), content);
}

}  // namespace poolgate::spam_test
