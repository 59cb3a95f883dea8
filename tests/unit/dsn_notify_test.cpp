// Whether a DSN is wanted (RFC 3461 4.1 NOTIFY) and never to the null sender;
// build() filters by it.
#include "dsn/dsn.h"
#include "dsn_test_support.h"

#include <gtest/gtest.h>

using namespace poolgate;
using namespace poolgate::dsn_test;

namespace {

struct NotifyCase {
  const char* name;
  uint8_t notify;
  bool failure_wanted;
  bool delay_wanted;
};

}  // namespace

TEST(DsnNotify, Matrix) {
  const NotifyCase cases[] = {
      {"default (no NOTIFY)", kNotifyDefault, true, true},
      {"NEVER", kNotifyNever, false, false},
      {"SUCCESS", kNotifySuccess, false, false},
      {"FAILURE", kNotifyFailure, true, false},
      {"DELAY", kNotifyDelay, false, true},
      {"FAILURE,DELAY", kNotifyFailure | kNotifyDelay, true, true},
      {"SUCCESS,FAILURE", kNotifySuccess | kNotifyFailure, true, false},
      {"SUCCESS,DELAY", kNotifySuccess | kNotifyDelay, false, true},
      {"SUCCESS,FAILURE,DELAY", kNotifySuccess | kNotifyFailure | kNotifyDelay, true, true},
  };
  Envelope env = original();
  for (const auto& c : cases) {
    Recipient r = rcpt("bob@example.org", c.notify);
    EXPECT_EQ(wanted(env, r, Action::Failed), c.failure_wanted) << c.name << " x failed";
    EXPECT_EQ(wanted(env, r, Action::Delayed), c.delay_wanted) << c.name << " x delayed";
  }
}

TEST(DsnNotify, NeverAnythingForTheNullSender) {
  Envelope env = original();
  env.sender = "";
  for (uint8_t notify : {uint8_t(kNotifyDefault), uint8_t(kNotifyFailure | kNotifyDelay),
                         uint8_t(kNotifyFailure), uint8_t(kNotifyDelay)}) {
    Recipient r = rcpt("bob@example.org", notify);
    EXPECT_FALSE(wanted(env, r, Action::Failed)) << int(notify);
    EXPECT_FALSE(wanted(env, r, Action::Delayed)) << int(notify);
  }
}

TEST(DsnNotify, BuildReturnsNulloptForNullSender) {
  Envelope env = original();
  env.sender = "";
  EXPECT_FALSE(build(env, kContent, {failed(0), failed(1)}, options()).has_value());
  EXPECT_FALSE(build(env, kContent, {delayed(0)}, options()).has_value());
}

TEST(DsnNotify, BuildReturnsNulloptWhenNothingIsWanted) {
  Envelope env = original();
  env.recipients[0].notify = kNotifyNever;
  env.recipients[1].notify = kNotifySuccess;
  EXPECT_FALSE(build(env, kContent, {failed(0), failed(1)}, options()).has_value());
  env.recipients[1].notify = kNotifyFailure;
  EXPECT_FALSE(build(env, kContent, {failed(0), delayed(1)}, options()).has_value());
  EXPECT_FALSE(build(env, kContent, {}, options()).has_value());
}

TEST(DsnNotify, BuildKeepsOnlyWantedRecipients) {
  Envelope env = original();
  env.recipients[0].notify = kNotifyNever;  // bob: none
  auto dsn = build(env, kContent, {failed(0), failed(1)}, options());
  ASSERT_TRUE(dsn.has_value());
  EXPECT_EQ(dsn->content.find("Final-Recipient: rfc822; bob@example.org"), std::string::npos);
  EXPECT_NE(dsn->content.find("Final-Recipient: rfc822; carol@example.org"), std::string::npos);
}

TEST(DsnNotify, BadIndexesAndDuplicatesAreIgnored) {
  Envelope env = original();
  EXPECT_FALSE(build(env, kContent, {failed(7)}, options()).has_value());
  auto dsn = build(env, kContent, {failed(1), failed(9), delayed(1)}, options());
  ASSERT_TRUE(dsn.has_value());
  // The first report for carol counts; the second is dropped, not duplicated.
  EXPECT_NE(dsn->content.find("Action: failed"), std::string::npos);
  EXPECT_EQ(dsn->content.find("Action: delayed"), std::string::npos);
}

TEST(DsnNotify, TheDsnItselfCanNeverCauseAnother) {
  auto dsn = build(original(), kContent, {failed(0)}, options());
  ASSERT_TRUE(dsn.has_value());
  const Envelope& e = dsn->envelope;
  EXPECT_EQ(e.sender, "");
  ASSERT_EQ(e.recipients.size(), 1u);
  EXPECT_EQ(e.recipients[0].address, "alice@example.com");
  EXPECT_EQ(e.recipients[0].notify, kNotifyNever);
  EXPECT_EQ(e.received_unix, options().now_unix);
  EXPECT_EQ(e.client_address, "");
  EXPECT_EQ(e.client_helo, "");
  EXPECT_FALSE(e.smtputf8);
  EXPECT_FALSE(e.body_8bitmime);
  EXPECT_EQ(e.size, dsn->content.size());
  // Reporting on the DSN (it bounced too) yields nothing.
  RecipientReport again = failed(0);
  EXPECT_FALSE(build(e, dsn->content, {again}, options()).has_value());
}
