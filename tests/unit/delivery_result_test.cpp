// delivery/result and delivery/fwmark_capability: outcome mapping, enhanced
// codes for servers that send none, the log line, and the start-up check.
#include "delivery/fwmark_capability.h"
#include "delivery/result.h"

#include <gtest/gtest.h>

using namespace poolgate;

namespace {

constexpr uint64_t bit(int n) { return uint64_t{1} << n; }
constexpr int kNetAdmin = 12, kNetRaw = 13;

TEST(DeliveryResult, OutcomeOfReply) {
  EXPECT_EQ(outcome_of(make_reply(250, "2.0.0", "ok")), Outcome::Delivered);
  EXPECT_EQ(outcome_of(make_reply(451, "4.2.0", "later")), Outcome::TempFail);
  EXPECT_EQ(outcome_of(make_reply(550, "5.1.1", "no")), Outcome::PermFail);
  EXPECT_EQ(outcome_of(make_reply(354, "", "go")), Outcome::TempFail);
}

TEST(DeliveryResult, EnhancedCodeFilledIn) {
  EXPECT_EQ(with_enhanced_code(make_reply(550, "", "no")).enhanced, "5.0.0");
  EXPECT_EQ(with_enhanced_code(make_reply(421, "", "bye")).enhanced, "4.0.0");
  EXPECT_EQ(with_enhanced_code(make_reply(250, "", "ok")).enhanced, "2.0.0");
  EXPECT_EQ(with_enhanced_code(make_reply(354, "", "go")).enhanced, "4.0.0");
  EXPECT_EQ(with_enhanced_code(make_reply(550, "5.7.1", "no")).enhanced, "5.7.1");
}

TEST(DeliveryResult, LogLine) {
  DeliveryRecord record;
  record.source = boost::asio::ip::make_address("198.51.100.10");
  record.fwmark = 0x100;
  record.destination = {boost::asio::ip::make_address("2001:db8::25"), 25};
  record.duration = std::chrono::milliseconds(1250);
  RecipientResult r{0, Outcome::TempFail, make_reply(451, "4.2.0", "later"), Stage::Rcpt,
                    true};
  EXPECT_EQ(log_line(record, "bob@example.net", r),
            "to=<bob@example.net> relay=[2001:db8::25]:25 source=198.51.100.10 mark=0x100 "
            "tls=none delay=1.25 stage=rcpt status=deferred (451 4.2.0 later)");
  // With a class: before status=, so the peer's text still ends the line.
  r.reply_class = ReplyClass::RateLimit;
  EXPECT_EQ(log_line(record, "bob@example.net", r),
            "to=<bob@example.net> relay=[2001:db8::25]:25 source=198.51.100.10 mark=0x100 "
            "tls=none delay=1.25 stage=rcpt class=rate-limit status=deferred (451 4.2.0 later)");
}

TEST(DeliveryResult, AsDeferralTurnsA5xxIntoA451KeepingTheText) {
  Reply blocked{554, "5.7.1", {"mx.example.net Service unavailable;",
                               "blocked using zen.spamhaus.org"}};
  Reply shown = as_deferral(blocked);
  EXPECT_EQ(shown.str(),
            "451 4.7.1 mx.example.net Service unavailable; blocked using zen.spamhaus.org "
            "(was 554 5.7.1)");
  EXPECT_EQ(outcome_of(shown), Outcome::TempFail);
  // No enhanced code (a greeting has none): X.0.0 of its class, then class 4.
  EXPECT_EQ(as_deferral(Reply{550, "", {"go away"}}).str(), "451 4.0.0 go away (was 550 5.0.0)");
  // A 4xx (or anything else) is already what it should be.
  Reply later = make_reply(421, "4.3.2", "busy");
  EXPECT_EQ(as_deferral(later), later);
}

// A next hop's reply text and a client's recipient reach the log escaped: an
// ESC or CR there cannot forge a line or drive a terminal.
TEST(DeliveryResult, LogLineEscapesPeerAndClientBytes) {
  DeliveryRecord record;
  RecipientResult r{0, Outcome::PermFail,
                    make_reply(550, "5.1.1", "no\x1b[2J\rfake line"), Stage::Rcpt, true};
  EXPECT_EQ(log_line(record, "zo\xc3\xab@example.net", r),
            "to=<zo\\xc3\\xab@example.net> relay=none stage=rcpt status=bounced "
            "(550 5.1.1 no\\x1b[2J\\x0dfake line)");
}

TEST(DeliveryFwmarkCapability, NetAdminAlwaysSuffices) {
  EXPECT_FALSE(fwmark_capability_problem(bit(kNetAdmin), "5.10.0-28-amd64"));
  EXPECT_FALSE(fwmark_capability_problem(bit(kNetAdmin), "6.1.0-18-amd64"));
}

TEST(DeliveryFwmarkCapability, NetRawFromLinux517) {
  EXPECT_FALSE(fwmark_capability_problem(bit(kNetRaw), "5.17.0"));
  EXPECT_FALSE(fwmark_capability_problem(bit(kNetRaw), "6.1.0-18-amd64"));
  auto old = fwmark_capability_problem(bit(kNetRaw), "5.10.0-28-amd64");
  ASSERT_TRUE(old);
  EXPECT_NE(old->find("CAP_NET_ADMIN"), std::string::npos) << *old;
  EXPECT_NE(old->find("5.10.0-28-amd64"), std::string::npos) << *old;
}

TEST(DeliveryFwmarkCapability, NamesTheCapability) {
  auto problem = fwmark_capability_problem(0, "6.1.0");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("CAP_NET_ADMIN or CAP_NET_RAW"), std::string::npos) << *problem;
  EXPECT_TRUE(fwmark_capability_problem(0, "garbage"));
}

TEST(DeliveryFwmarkCapability, PassesAsRoot) { EXPECT_NO_THROW(check_fwmark_capability()); }

}  // namespace
