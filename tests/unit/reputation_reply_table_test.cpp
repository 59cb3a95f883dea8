// The shipped reply-class rules (config/reply-classes.toml, built in) against
// real replies of the big mailbox providers and of stock Postfix, Exim and
// Exchange, as their postmaster pages and public bounce collections show them
// (addresses replaced by documentation ones). Each row is the wire text a
// next hop sends, parsed the way the delivery client parses it.
#include "delivery/result.h"
#include "reputation/reply_rules.h"
#include "reputation/reply_rules_file.h"
#include "reputation/builtin_rules.h"
#include "smtp/reply_parser.h"

#include <gtest/gtest.h>

#include <set>

using namespace poolgate;

namespace {

// "550-5.7.1 a\n550 5.7.1 b" -> the Reply the client would see.
Reply wire(std::string_view text) {
  ReplyParser parser;
  ReplyParser::Status status = ReplyParser::Status::NeedMore;
  while (!text.empty()) {
    size_t end = text.find('\n');
    status = parser.feed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  EXPECT_EQ(status, ReplyParser::Status::Done);
  return parser.reply();
}

struct Row {
  const char* who;
  const char* stage;
  const char* text;
  ReplyClass expected;
};

using C = ReplyClass;

const Row kRows[] = {
    // --- Gmail ---
    {"gmail", "rcpt",
     "421-4.7.28 [203.0.113.10      15] Our system has detected an unusual rate of\n"
     "421-4.7.28 unsolicited mail originating from your IP address. To protect our\n"
     "421-4.7.28 users from spam, mail sent from your IP address has been temporarily\n"
     "421 4.7.28 rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError",
     C::RateLimit},
    {"gmail", "content",
     "550-5.7.1 [203.0.113.10      12] Our system has detected that this message is\n"
     "550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n"
     "550 5.7.1 this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessageError",
     C::SpamContent},
    {"gmail", "mail",
     "550-5.7.1 [203.0.113.10] The IP you're using to send mail is not authorized to\n"
     "550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n"
     "550 5.7.1 service provider instead. https://support.google.com/mail/?p=NotAuthorizedError",
     C::ReputationBlock},
    {"gmail", "rcpt",
     "421-4.7.0 [203.0.113.10      15] Our system has detected that this message is\n"
     "421-4.7.0 suspicious due to the very low reputation of the sending IP address.\n"
     "421 4.7.0 To protect our users from spam, mail sent from your IP address has been temporarily rate limited.",
     C::ReputationBlock},
    {"gmail", "content",
     "550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
     "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n"
     "550 5.7.26 https://support.google.com/mail/answer/81126#authentication",
     C::Authentication},
    {"gmail", "content",
     "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n"
     "550 5.7.26 DMARC policy. Please contact the administrator of example.com domain.",
     C::Authentication},
    {"gmail", "rcpt",
     "452-4.2.2 The email account that you tried to reach is over quota. Please direct\n"
     "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
     C::MailboxFull},
    {"gmail", "rcpt",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
     "550-5.1.1 double-checking the recipient's email address for typos or\n"
     "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
     C::InvalidRecipient},
    {"gmail", "rcpt",
     "450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n"
     "450 4.2.1 prevents additional messages from being delivered.",
     C::RateLimit},
    {"gmail", "content",
     "552-5.7.0 This message was blocked because its content presents a potential\n"
     "552 5.7.0 security issue. https://support.google.com/mail/?p=BlockedMessage",
     C::SpamContent},
    // --- Outlook.com / Exchange Online ---
    {"outlook", "rcpt",
     "550 5.7.1 Unfortunately, messages from [203.0.113.10] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3150). You "
     "can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
     C::ReputationBlock},
    {"outlook", "rcpt",
     "550 5.7.606 Access denied, banned sending IP [203.0.113.10]. To request removal from "
     "this list please visit https://sender.office.com/ and follow the directions.",
     C::ReputationBlock},
    {"outlook", "rcpt",
     "550 5.7.649 Access denied, banned sending IP [203.0.113.10]. To request removal please "
     "visit https://sender.office.com/.",
     C::ReputationBlock},
    {"outlook", "rcpt",
     "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[AM0EUR02FT012.eop-EUR02.prod.protection.outlook.com]",
     C::InvalidRecipient},
    {"outlook", "rcpt",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]",
     C::InvalidRecipient},
    {"outlook", "mail",
     "421 RP-001 (BAY004-MC1F15) Unfortunately, some messages from 203.0.113.10 weren't sent. "
     "Please try again. We have limits for how many messages can be sent per hour and per day.",
     C::RateLimit},
    {"outlook", "greeting",
     "550 OU-002 (SNT004-MC1F43) Unfortunately, messages from 203.0.113.10 weren't sent. Please "
     "contact your Internet service provider. You can tell them that Hotmail does not relay "
     "dynamically-assigned IP ranges.",
     C::ReputationBlock},
    {"exchange online", "content",
     "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification "
     "and has a DMARC policy of reject.",
     C::Authentication},
    {"exchange online", "rcpt", "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required",
     C::Policy},
    // --- Yahoo / AOL ---
    {"yahoo", "mail",
     "421 4.7.0 [TSS04] Messages from 203.0.113.10 temporarily deferred due to unexpected "
     "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     C::RateLimit},
    {"yahoo", "greeting",
     "421 4.7.0 [TSS09] All messages from 203.0.113.10 will be permanently deferred; Retrying "
     "will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
     C::ReputationBlock},
    {"yahoo", "greeting",
     "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.10, because the ip is in "
     "Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
     C::ReputationBlock},
    {"yahoo", "content",
     "554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit "
     "https://postmaster.yahooinc.com/error-codes",
     C::SpamContent},
    {"yahoo", "rcpt",
     "554 30 Sorry, your message to bob@yahoo.example cannot be delivered. This mailbox is "
     "disabled (554.30).",
     C::InvalidRecipient},
    {"yahoo", "rcpt", "552 1 Requested mail action aborted, mailbox not found",
     C::InvalidRecipient},
    {"yahoo", "content",
     "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo "
     "requires all senders to authenticate with either SPF or DKIM.",
     C::Authentication},
    {"aol", "greeting", "554- (RTR:BL) http://postmaster.info.aol.com/errors/554rtrbl.html\n554 Connecting IP: 203.0.113.10",
     C::ReputationBlock},
    {"aol", "greeting", "421 4.7.1 : (DYN:T1) http://postmaster.info.aol.com/errors/421dynt1.html",
     C::RateLimit},
    // --- Apple iCloud ---
    {"icloud", "content",
     "550 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137",
     C::SpamContent},
    {"icloud", "rcpt", "550 5.1.1 <bob@icloud.example>: user does not exist",
     C::InvalidRecipient},
    {"icloud", "rcpt",
     "421 4.7.1 Messages to bob@icloud.example deferred due to excessive volume. Try again "
     "later - https://support.apple.com/en-us/HT204137",
     C::RateLimit},
    // --- Comcast ---
    {"comcast", "greeting",
     "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 203.0.113.10 found "
     "on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000010",
     C::ReputationBlock},
    {"comcast", "greeting",
     "554 resimta-po-30v.sys.comcast.net comcast 203.0.113.10 Comcast block for spam. Please "
     "see http://postmaster.comcast.net/smtp-error-codes.php#RL000001",
     C::ReputationBlock},
    {"comcast", "rcpt", "550 5.1.1 <bob@comcast.example> Not our Customer", C::InvalidRecipient},
    // --- GMX / Web.de (United Internet: no enhanced codes) ---
    {"gmx", "greeting",
     "554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n554-No SMTP service\n"
     "554-IP address is block listed.\n"
     "554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=203.0.113.10",
     C::ReputationBlock},
    {"gmx", "greeting",
     "554-gmx.net (mxgmx117) Nemesis ESMTP Service not available\n554-No SMTP service\n"
     "554-Bad DNS PTR resource record.\n"
     "554 For explanation visit https://www.gmx.net/mail/senderguidelines?c=bt",
     C::Policy},
    {"web.de", "content",
     "554-Transaction failed\n554-Reject due to policy restrictions.\n"
     "554 For explanation visit https://postmaster.web.de/en/error-messages?ip=203.0.113.10&c=sp",
     C::SpamContent},
    {"gmx", "rcpt", "550 Requested action not taken: mailbox unavailable", C::InvalidRecipient},
    {"web.de", "content",
     "550 <bob@web.example>: Reject due to SPF policy. The originating IP of the message is not "
     "permitted by the domain owner",
     C::Authentication},
    // --- Mail.ru ---
    {"mail.ru", "content",
     "550 spam message rejected. Please visit https://help.mail.ru/notspam-support/id?c=abc or "
     "report details to abuse@corp.mail.ru. Error code: 2F1B3A. ID: 9C0D4E.",
     C::SpamContent},
    {"mail.ru", "rcpt",
     "550 Message was not accepted -- invalid mailbox.  Local mailbox bob@mail.example is "
     "unavailable: user not found",
     C::InvalidRecipient},
    {"mail.ru", "rcpt", "451 Ratelimit exceeded for mailbox bob@mail.example. Try again later.",
     C::RateLimit},
    // --- Orange ---
    {"orange", "greeting",
     "421 mwinf5c79 ME Service refuse. Veuillez essayer plus tard. Service refused, please try "
     "later. OFR_999 [999]",
     C::RateLimit},
    {"orange", "greeting",
     "421 mwinf5c08 ME Trop de connexions, veuillez verifier votre configuration. Too many "
     "connections, slow down. OFR004_104 [104]",
     C::RateLimit},
    {"orange", "rcpt",
     "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
     C::InvalidRecipient},
    // --- Zoho ---
    {"zoho", "content", "550 5.7.1 Email rejected per DMARC policy for example.com",
     C::Authentication},
    {"zoho", "content", "552 5.7.1 virus Win.Test.EICAR_HDB-1 detected by Zoho Mail",
     C::SpamContent},
    {"zoho", "rcpt", "550 5.1.1 <bob@zoho.example> User unknown", C::InvalidRecipient},
    // The shape the issue quotes for Zoho's blocklist refusal.
    {"zoho (as quoted)", "rcpt",
     "554 5.7.1 : Client host rejected: Access denied, IP 203.0.113.10 is listed in a "
     "blocklist",
     C::ReputationBlock},
    // --- Postfix ---
    {"postfix", "rcpt",
     "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in local recipient "
     "table",
     C::InvalidRecipient},
    {"postfix", "rcpt",
     "554 5.7.1 Service unavailable; Client host [203.0.113.10] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/203.0.113.10",
     C::ReputationBlock},
    {"postfix", "rcpt", "554 5.7.1 <unknown[203.0.113.10]>: Client host rejected: Access denied",
     C::Policy},
    {"postfix", "rcpt",
     "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.10]", C::Policy},
    {"postfix", "rcpt", "554 5.7.1 <bob@example.net>: Relay access denied", C::Policy},
    {"postfix", "rcpt",
     "450 4.2.0 <bob@example.net>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.net.html",
     C::Policy},
    {"postfix", "greeting", "421 4.7.0 mx.example.net Error: too many connections from 203.0.113.10",
     C::RateLimit},
    {"postfix", "rcpt",
     "552 5.2.2 <bob@example.net>: Quota exceeded (mailbox for user is full)", C::MailboxFull},
    {"postfix", "mail", "450 4.1.8 <alice@example.com>: Sender address rejected: Domain not found",
     C::Policy},
    {"postfix", "content", "552 5.3.4 Message size exceeds fixed limit", C::Policy},
    {"postfix", "mail", "503 5.5.1 Error: need MAIL command", C::Protocol},
    {"postfix", "greeting", "554 5.7.1 mx.example.net ESMTP not accepting messages",
     C::ReputationBlock},
    // --- Exim ---
    {"exim", "rcpt", "550 rejected because 203.0.113.10 is in a black list at zen.spamhaus.org",
     C::ReputationBlock},
    {"exim", "rcpt",
     "550-Verification failed for <alice@example.com>\n550-Unrouteable address\n"
     "550 Sender verify failed",
     C::Policy},
    {"exim", "rcpt", "550 Unrouteable address", C::InvalidRecipient},
    {"exim", "content", "550 This message scored 15.2 spam points.", C::SpamContent},
    {"exim", "rcpt", "550 Administrative prohibition", C::Policy},
    {"exim", "rcpt", "451 Temporary local problem - please try later", C::Other},
    // --- Exchange (on premises) ---
    {"exchange", "rcpt",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient bob@example.net not found by SMTP "
     "address lookup",
     C::InvalidRecipient},
    {"exchange", "content",
     "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
     "MapiExceptionShutoffQuotaExceeded",
     C::MailboxFull},
    {"exchange", "mail", "530 5.7.1 Client was not authenticated", C::Policy},
    {"exchange", "rcpt", "452 4.5.3 Too many recipients", C::RateLimit},
    {"exchange", "mail", "530 5.7.0 Must issue a STARTTLS command first", C::Tls},
    {"exchange", "greeting", "421 4.3.2 Service not available, closing transmission channel",
     C::Other},
    {"exchange", "content", "550 5.7.1 Message rejected as spam by Content Filtering.",
     C::SpamContent},
};

TEST(ReplyClassTable, RealProviderReplies) {
  static_assert(std::size(kRows) >= 40, "the table must cover at least 40 real replies");
  const ReplyRules& rules = *ReplyRules::defaults();
  std::set<std::string> providers;
  for (const Row& row : kRows) {
    providers.insert(row.who);
    Reply reply = wire(row.text);
    ReplyRules::Match m = rules.match(row.stage, reply);
    EXPECT_EQ(reply_class_name(m.cls), reply_class_name(row.expected))
        << row.who << " at " << row.stage << ": " << row.text << "\n  matched "
        << (m.rule ? m.rule->origin : "no rule");
  }
  for (const char* who : {"gmail", "outlook", "yahoo", "aol", "icloud", "comcast", "gmx", "web.de",
                          "mail.ru", "orange", "zoho", "postfix", "exim", "exchange"})
    EXPECT_TRUE(providers.count(who)) << who;
}

TEST(ReplyClassTable, EveryShippedExampleGetsItsRulesClass) {
  ReplyRulesLoad loaded = parse_reply_rules(builtin_reply_rules_text(), kBuiltinReplyRulesName);
  ASSERT_TRUE(loaded.rules);
  ASSERT_GE(loaded.examples.size(), loaded.rules->rules().size() / 2);
  for (const auto& [index, example] : loaded.examples) {
    const ReplyRule& rule = loaded.rules->rules()[index];
    // A rule for one stage is tried at that stage.
    std::string_view stage = "rcpt";
    for (size_t i = 0; i < reply_stage_names().size(); ++i)
      if (rule.stages & (1u << i)) stage = reply_stage_names()[i];
    EXPECT_EQ(reply_class_name(loaded.rules->classify(stage, wire(example))),
              reply_class_name(rule.cls))
        << rule.origin << ": " << example;
  }
}

TEST(ReplyClassTable, DeliveryStagesAreTheRulesStages) {
  // The rules name stages with the delivery log's words; a stage the rules do
  // not know could never be named in a rule.
  std::vector<std::string_view> log_words;
  for (Stage s : {Stage::Connect, Stage::Greeting, Stage::Hello, Stage::StartTls, Stage::Prepare,
                  Stage::Rset, Stage::Mail, Stage::Rcpt, Stage::Data, Stage::Content})
    log_words.push_back(stage_name(s));
  EXPECT_EQ(log_words, reply_stage_names());
}

TEST(ReplyClassTable, DeliveriesHaveNoClassAndUnknownRepliesAreOther) {
  const ReplyRules& rules = *ReplyRules::defaults();
  EXPECT_EQ(rules.classify("rcpt", wire("250 2.1.5 Ok")), ReplyClass::None);
  EXPECT_EQ(rules.classify("content", wire("451 4.3.0 Error: queue file write error")),
            ReplyClass::Other);
  // A bare 554 is only a refusal of our address at the greeting.
  EXPECT_EQ(rules.classify("greeting", wire("554 go away")), ReplyClass::ReputationBlock);
  EXPECT_EQ(rules.classify("rcpt", wire("554 go away")), ReplyClass::Other);
}

}  // namespace
