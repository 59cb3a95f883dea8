// delivery/message_plan: whether a message can go to a next hop at all, and
// the MAIL/RCPT lines that carry it, extension by extension.
#include "delivery/message_plan.h"

#include <gtest/gtest.h>

using namespace poolgate;

namespace {

Envelope envelope() {
  Envelope e;
  e.sender = "alice@example.com";
  e.recipients = {{.address = "bob@example.net"}, {.address = "carol@example.org"}};
  e.size = 1234;
  return e;
}

Capabilities everything() { return Capabilities::server_all(); }

TEST(DeliveryMessagePlan, PlainMessageToPlainHop) {
  TransactionPlan plan = plan_transaction(envelope(), {0, 1}, Capabilities{});
  ASSERT_FALSE(plan.refusal);
  EXPECT_EQ(plan.mail, "MAIL FROM:<alice@example.com>");
  EXPECT_EQ(plan.rcpts,
            (std::vector<std::string>{"RCPT TO:<bob@example.net>", "RCPT TO:<carol@example.org>"}));
}

TEST(DeliveryMessagePlan, SizeAndBodyWhenOffered) {
  Envelope e = envelope();
  e.body_8bitmime = true;
  TransactionPlan plan = plan_transaction(e, {0}, everything());
  EXPECT_EQ(plan.mail, "MAIL FROM:<alice@example.com> SIZE=1234 BODY=8BITMIME");
}

TEST(DeliveryMessagePlan, NullSender) {
  Envelope e = envelope();
  e.sender = "";
  EXPECT_EQ(plan_transaction(e, {0}, Capabilities{}).mail, "MAIL FROM:<>");
}

TEST(DeliveryMessagePlan, DsnParametersOnlyWhenOffered) {
  Envelope e = envelope();
  e.ret = DsnRet::Headers;
  e.envid = "QQ 1+2";
  e.recipients[0].notify = kNotifySuccess | kNotifyFailure;
  e.recipients[0].orcpt = "rfc822;bob@example.net";
  e.recipients[1].notify = kNotifyNever;

  TransactionPlan with = plan_transaction(e, {0, 1}, everything());
  EXPECT_EQ(with.mail, "MAIL FROM:<alice@example.com> SIZE=1234 RET=HDRS ENVID=QQ+201+2B2");
  EXPECT_EQ(with.rcpts[0],
            "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net");
  EXPECT_EQ(with.rcpts[1], "RCPT TO:<carol@example.org> NOTIFY=NEVER");

  Capabilities no_dsn = everything();
  no_dsn.dsn = false;
  TransactionPlan without = plan_transaction(e, {0, 1}, no_dsn);
  EXPECT_EQ(without.mail, "MAIL FROM:<alice@example.com> SIZE=1234");
  EXPECT_EQ(without.rcpts[0], "RCPT TO:<bob@example.net>");
}

TEST(DeliveryMessagePlan, OrcptTypeIsCaseInsensitive) {
  Envelope e = envelope();
  e.recipients[0].orcpt = "RFC822;bob@example.net";
  EXPECT_EQ(plan_transaction(e, {0}, everything()).rcpts[0],
            "RCPT TO:<bob@example.net> ORCPT=rfc822;bob@example.net");
}

TEST(DeliveryMessagePlan, OnlyTheChosenRecipients) {
  TransactionPlan plan = plan_transaction(envelope(), {1}, Capabilities{});
  EXPECT_EQ(plan.rcpts, std::vector<std::string>{"RCPT TO:<carol@example.org>"});
}

TEST(DeliveryMessagePlan, EightBitToHopWithout8BitMimeIsPermanent563) {
  Envelope e = envelope();
  e.body_8bitmime = true;
  Capabilities hop = everything();
  hop.eightbitmime = hop.smtputf8 = false;
  TransactionPlan plan = plan_transaction(e, {0}, hop);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->code, 554);
  EXPECT_EQ(plan.refusal->enhanced, "5.6.3");
  // After HELO nothing is offered: the same.
  EXPECT_TRUE(plan_transaction(e, {0}, Capabilities{}).refusal);
  // SMTPUTF8 implies 8BITMIME (RFC 6531).
  hop.smtputf8 = true;
  EXPECT_FALSE(plan_transaction(e, {0}, hop).refusal);
}

TEST(DeliveryMessagePlan, Smtputf8WhenNeededAndOffered) {
  Envelope e = envelope();
  e.smtputf8 = true;
  EXPECT_EQ(plan_transaction(e, {0}, everything()).mail,
            "MAIL FROM:<alice@example.com> SIZE=1234 SMTPUTF8");
  Capabilities hop = everything();
  hop.smtputf8 = false;
  TransactionPlan plan = plan_transaction(e, {0}, hop);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->code, 550);
  EXPECT_EQ(plan.refusal->enhanced, "5.6.7");
}

TEST(DeliveryMessagePlan, NonAsciiAddressNeedsSmtputf8EvenUndeclared) {
  Envelope e = envelope();
  e.recipients[1].address = "j\xc3\xb6rg@example.de";
  EXPECT_FALSE(needs_smtputf8(e, {0}));
  EXPECT_TRUE(needs_smtputf8(e, {1}));
  Capabilities hop = everything();
  hop.smtputf8 = false;
  EXPECT_FALSE(plan_transaction(e, {0}, hop).refusal);
  EXPECT_TRUE(plan_transaction(e, {1}, hop).refusal);
}

TEST(DeliveryMessagePlan, TooBigForTheHopIsPermanent534) {
  Capabilities hop = everything();
  hop.max_size = 1000;
  TransactionPlan plan = plan_transaction(envelope(), {0}, hop);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->code, 552);
  EXPECT_EQ(plan.refusal->enhanced, "5.3.4");
  hop.max_size = 0;  // SIZE without a limit
  EXPECT_FALSE(plan_transaction(envelope(), {0}, hop).refusal);
}

TEST(DeliveryMessagePlan, RecipientsOfDefaultsToAll) {
  Envelope e = envelope();
  StringContentSource content("");
  EXPECT_EQ(recipients_of(OutboundMessage{e, content, {}}), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(recipients_of(OutboundMessage{e, content, {1}}), std::vector<size_t>{1});
}

}  // namespace
