// decide(): one table row per combination of facts, in a compact spelling, with
// the action, pool and reasons (in their documented order) it must give.
#include "classify/decide.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace poolgate;
using Action = Decision::Action;

namespace {

constexpr int64_t kReceived = 1700000000;

PoolConfig pool(const char* name) {
  PoolConfig p;
  p.name = name;
  return p;
}

Config base_config() {
  Config config;
  config.pools = {pool("normal"), pool("high-risk")};
  return config;  // dns_unknown_after_s = 1800, on_scanner_failure = tempfail
}

DomainCheck domain(const char* role, const char* name, char status) {
  switch (status) {
    case 'E': return {role, name, DomainStatus::Exists, "MX"};
    case 'N': return {role, name, DomainStatus::None, "MX nxdomain"};
    default: return {role, name, DomainStatus::Unknown, "MX timeout"};
  }
}

std::optional<LimitAction> action_named(const std::string& text) {
  if (text == "high-risk") return LimitAction::HighRisk;
  if (text == "alert") return LimitAction::Alert;
  if (text == "block") return LimitAction::Block;
  if (text == "block-for-today") return LimitAction::BlockForToday;
  return std::nullopt;
}

// Facts and config from a row's spec: space-separated words, defaults for the
// rest (envelope and From: domains exist, nothing else fired, age 0, internal
// sender, no relay pool, on_scanner_failure = tempfail).
//   sender=E|N|U  from=E|N|U|-   Exists / None / Unknown / not checked
//   ndr=null|dsn|auto            the NDR reason
//   spam=clean|spam|failed       the scanner's verdict (spamd 12.3/5.0)
//   over=ACTION  over2=ACTION    one / two limits exceeded, with that action
//   blocked=ACTION               the sender was already blocked
//   fail=tempfail|normal|high-risk   [spam] on_scanner_failure
//   age=SECONDS  external  relay (a pool named relay exists)
void parse_spec(const std::string& spec, Facts& facts, Config& config) {
  facts.received_unix = kReceived;
  facts.now_unix = kReceived;
  facts.sender_domain = "s.example";
  char sender = 'E', from = 'E';
  std::istringstream words(spec);
  std::string word;
  while (words >> word) {
    size_t eq = word.find('=');
    std::string key = word.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
    if (key == "sender") sender = value[0];
    else if (key == "from") from = value[0];
    else if (key == "ndr") facts.ndr = value == "null" ? "ndr:null-sender"
                                     : value == "dsn"  ? "ndr:delivery-status"
                                                       : "ndr:auto-replied";
    else if (key == "spam") {
      facts.spam.scanner = "spamd";
      if (value == "clean") {
        facts.spam.status = SpamVerdict::Status::Clean;
        facts.spam.score = 1.2;
        facts.spam.required = 5;
      } else if (value == "spam") {
        facts.spam.status = SpamVerdict::Status::Spam;
        facts.spam.score = 12.3;
        facts.spam.required = 5;
      } else {
        facts.spam.status = SpamVerdict::Status::Failed;
        facts.spam.detail = "timeout after 10000 ms";
      }
    } else if (key == "over" || key == "over2") {
      facts.limits.exceeded.push_back("limit:external-per-hour 501>500");
      if (key == "over2") facts.limits.exceeded.push_back("limit:recipients-per-day 1001>1000");
      facts.limits.action = action_named(value).value();
    } else if (key == "blocked") {
      facts.limits.blocked = true;
      facts.limits.action = action_named(value).value();
    } else if (key == "fail") {
      config.spam.on_scanner_failure = value == "tempfail" ? ScannerFailure::TempFail
                                       : value == "normal" ? ScannerFailure::Normal
                                                           : ScannerFailure::HighRisk;
    } else if (key == "age") facts.now_unix = kReceived + std::stoll(value);
    else if (key == "external") facts.sender_internal = false;
    else if (key == "relay") config.pools.push_back(pool("relay"));
    else ADD_FAILURE() << "unknown spec word " << word;
  }
  facts.domains.push_back(domain("sender", "s.example", sender));
  if (from != '-') facts.domains.push_back(domain("from", "f.example", from));
}

struct Row {
  const char* spec;
  Action action;
  const char* pool;
  const char* reasons;  // Decision::reasons_text()
  const char* reply;    // "CODE X.Y.Z" for TempFail/Reject, else ""
};

const char* action_name(Action action) {
  switch (action) {
    case Action::Accept: return "Accept";
    case Action::Hold: return "Hold";
    case Action::TempFail: return "TempFail";
    case Action::Reject: return "Reject";
  }
  return "?";
}

// Shorthands for the reasons the rows expect.
#define SENDER_NONE "sender-domain:no-a-no-mx s.example"
#define FROM_NONE "from-domain:no-a-no-mx f.example"
#define SENDER_UNKNOWN "sender-domain:unknown s.example"
#define SENDER_UNVERIFIED "sender-domain:unverified s.example (MX timeout)"
#define FROM_UNVERIFIED "from-domain:unverified f.example (MX timeout)"
#define SPAM "spam:spamd score=12.3 required=5.0"
#define FAILED "spam:scanner-failed (spamd: timeout after 10000 ms)"
#define OVER "limit:external-per-hour 501>500"
#define OVER2 OVER ", limit:recipients-per-day 1001>1000"
#define RELAY "relay:external-sender s.example"

const Row kRows[] = {
    // The plain cases of the issue.
    {"", Action::Accept, "normal", "clean", ""},
    {"spam=clean", Action::Accept, "normal", "clean", ""},
    {"sender=N", Action::Accept, "high-risk", SENDER_NONE, ""},
    {"from=N", Action::Accept, "high-risk", FROM_NONE, ""},
    {"sender=N from=N", Action::Accept, "high-risk", SENDER_NONE ", " FROM_NONE, ""},
    {"sender=N from=-", Action::Accept, "high-risk", SENDER_NONE, ""},
    {"ndr=null", Action::Accept, "high-risk", "ndr:null-sender", ""},
    {"ndr=dsn spam=clean", Action::Accept, "high-risk", "ndr:delivery-status", ""},
    {"ndr=auto", Action::Accept, "high-risk", "ndr:auto-replied", ""},
    {"spam=spam", Action::Accept, "high-risk", SPAM, ""},
    {"ndr=null spam=spam", Action::Accept, "high-risk", "ndr:null-sender, " SPAM, ""},
    // DNS could not answer: hold while young, high-risk once old, never normal.
    {"sender=U age=60", Action::Hold, "high-risk", SENDER_UNKNOWN, ""},
    {"sender=U age=1799", Action::Hold, "high-risk", SENDER_UNKNOWN, ""},
    {"sender=U age=1800", Action::Accept, "high-risk", SENDER_UNVERIFIED, ""},
    {"sender=U age=86400", Action::Accept, "high-risk", SENDER_UNVERIFIED, ""},
    {"from=U", Action::Hold, "high-risk", "from-domain:unknown f.example", ""},
    {"sender=U from=U", Action::Hold, "high-risk",
     SENDER_UNKNOWN ", from-domain:unknown f.example", ""},
    {"sender=N from=U", Action::Accept, "high-risk", SENDER_NONE ", " FROM_UNVERIFIED, ""},
    {"from=N sender=U age=5000", Action::Accept, "high-risk", FROM_NONE ", " SENDER_UNVERIFIED,
     ""},
    // Already high-risk for another reason: holding would change nothing.
    {"sender=U ndr=null", Action::Accept, "high-risk", SENDER_UNVERIFIED ", ndr:null-sender",
     ""},
    {"sender=U spam=spam", Action::Accept, "high-risk", SENDER_UNVERIFIED ", " SPAM, ""},
    {"sender=U over=high-risk", Action::Accept, "high-risk", SENDER_UNVERIFIED ", " OVER, ""},
    {"sender=U over=alert", Action::Hold, "high-risk", SENDER_UNKNOWN ", " OVER, ""},
    {"sender=U spam=failed fail=normal", Action::Hold, "high-risk",
     FAILED ", " SENDER_UNKNOWN, ""},
    // Scanner failure, each setting.
    {"spam=failed", Action::TempFail, "normal", FAILED, "451 4.7.1"},
    {"spam=failed fail=tempfail", Action::TempFail, "normal", FAILED, "451 4.7.1"},
    {"spam=failed fail=normal", Action::Accept, "normal", FAILED, ""},
    {"spam=failed fail=high-risk", Action::Accept, "high-risk", FAILED, ""},
    {"spam=failed sender=N", Action::TempFail, "high-risk", FAILED ", " SENDER_NONE, "451 4.7.1"},
    {"spam=failed sender=U", Action::TempFail, "high-risk", FAILED ", " SENDER_UNKNOWN,
     "451 4.7.1"},
    {"spam=failed fail=normal external relay", Action::Accept, "relay", FAILED ", " RELAY, ""},
    // Limits, each action.
    {"over=high-risk", Action::Accept, "high-risk", OVER, ""},
    {"over2=high-risk", Action::Accept, "high-risk", OVER2, ""},
    {"over=alert", Action::Accept, "normal", OVER, ""},
    {"over=alert sender=N", Action::Accept, "high-risk", SENDER_NONE ", " OVER, ""},
    {"over=block", Action::Reject, "normal", OVER, "550 5.7.1"},
    {"over=block-for-today", Action::Reject, "normal", OVER, "550 5.1.8"},
    {"over2=block", Action::Reject, "normal", OVER2, "550 5.7.1"},
    {"blocked=block", Action::Reject, "normal", "limit:sender-blocked", "550 5.7.1"},
    {"blocked=block-for-today", Action::Reject, "normal", "limit:sender-blocked", "550 5.1.8"},
    {"blocked=high-risk", Action::Reject, "normal", "limit:sender-blocked", "550 5.7.1"},
    // Reject wins over everything, and every other reason is still recorded.
    {"blocked=block sender=N", Action::Reject, "high-risk",
     "limit:sender-blocked, " SENDER_NONE, "550 5.7.1"},
    {"over=block spam=failed", Action::Reject, "normal", OVER ", " FAILED, "550 5.7.1"},
    {"over=block-for-today ndr=null spam=spam", Action::Reject, "high-risk",
     OVER ", ndr:null-sender, " SPAM, "550 5.1.8"},
    {"over=block sender=U", Action::Reject, "high-risk", OVER ", " SENDER_UNKNOWN, "550 5.7.1"},
    // The optional relay pool.
    {"external", Action::Accept, "normal", "clean", ""},
    {"external relay", Action::Accept, "relay", RELAY, ""},
    {"relay", Action::Accept, "normal", "clean", ""},
    {"external relay spam=spam", Action::Accept, "high-risk", SPAM, ""},
    {"external relay sender=N", Action::Accept, "high-risk", SENDER_NONE, ""},
    {"external relay ndr=auto", Action::Accept, "high-risk", "ndr:auto-replied", ""},
    {"external relay sender=U", Action::Hold, "high-risk", SENDER_UNKNOWN, ""},
    {"external relay sender=U age=1800", Action::Accept, "high-risk", SENDER_UNVERIFIED, ""},
    {"external relay over=alert", Action::Accept, "relay", OVER ", " RELAY, ""},
    {"external relay over=high-risk", Action::Accept, "high-risk", OVER, ""},
    {"external relay over=block", Action::Reject, "relay", OVER ", " RELAY, "550 5.7.1"},
    // Everything at once: the documented order of the reasons.
    {"blocked=block spam=failed sender=N from=U ndr=null over=high-risk external relay",
     Action::Reject, "high-risk",
     "limit:sender-blocked, " OVER ", " FAILED ", " SENDER_NONE ", " FROM_UNVERIFIED
     ", ndr:null-sender",
     "550 5.7.1"},
    {"over=block-for-today spam=failed sender=N from=U ndr=null external relay", Action::Reject,
     "high-risk",
     OVER ", " FAILED ", " SENDER_NONE ", " FROM_UNVERIFIED ", ndr:null-sender", "550 5.1.8"},
    {"spam=failed fail=high-risk sender=N from=U ndr=dsn over=alert external relay",
     Action::Accept, "high-risk",
     FAILED ", " SENDER_NONE ", " FROM_UNVERIFIED ", ndr:delivery-status, " OVER, ""},
};

std::string reply_of(const Decision& decision) {
  if (decision.reply.code == 0) return "";
  return std::to_string(decision.reply.code) + " " + decision.reply.enhanced;
}

}  // namespace

TEST(Decide, Table) {
  static_assert(std::size(kRows) >= 30);
  for (const Row& row : kRows) {
    SCOPED_TRACE(std::string("spec: \"") + row.spec + "\"");
    Facts facts;
    Config config = base_config();
    parse_spec(row.spec, facts, config);
    Decision decision = decide(facts, config);
    EXPECT_STREQ(action_name(decision.action), action_name(row.action));
    EXPECT_EQ(decision.pool, row.pool);
    EXPECT_EQ(decision.reasons_text(), row.reasons);
    EXPECT_EQ(reply_of(decision), row.reply);
  }
}

TEST(Decide, ReplyTexts) {
  Facts facts;
  Config config = base_config();
  parse_spec("blocked=block", facts, config);
  EXPECT_EQ(decide(facts, config).reply.str(),
            "550 5.7.1 sender blocked by outbound spam policy");
  facts.limits.action = LimitAction::BlockForToday;
  EXPECT_EQ(decide(facts, config).reply.str(),
            "550 5.1.8 sender blocked by outbound spam policy until 00:00 UTC");
  Facts failed;
  parse_spec("spam=failed", failed, config);
  Decision decision = decide(failed, config);
  EXPECT_TRUE(decision.reply.transient());
  EXPECT_EQ(decision.reply.enhanced, "4.7.1");
}

TEST(Decide, DefaultPoolFromConfig) {
  Facts facts;
  Config config = base_config();
  config.pools.push_back(pool("bulk"));
  config.classify.default_pool = "bulk";
  parse_spec("", facts, config);
  EXPECT_EQ(decide(facts, config).pool, "bulk");
  parse_spec("spam=spam", facts, config);
  EXPECT_EQ(decide(facts, config).pool, "high-risk");
}

TEST(Decide, DnsUnknownAfterFromConfig) {
  Facts facts;
  Config config = base_config();
  config.classify.dns_unknown_after_s = 60;
  parse_spec("sender=U age=59", facts, config);
  EXPECT_EQ(decide(facts, config).action, Action::Hold);
  facts.now_unix = kReceived + 60;
  EXPECT_EQ(decide(facts, config).action, Action::Accept);
  // 0: never hold, straight to high-risk.
  config.classify.dns_unknown_after_s = 0;
  facts.now_unix = kReceived;
  Decision decision = decide(facts, config);
  EXPECT_EQ(decision.action, Action::Accept);
  EXPECT_EQ(decision.pool, "high-risk");
}

TEST(Decide, RelayReasonDomain) {
  Facts facts;
  Config config = base_config();
  parse_spec("external relay", facts, config);
  // Without sender_domain, the envelope sender's domain check names it.
  facts.sender_domain.clear();
  facts.domains[0].domain = "other.example";
  EXPECT_EQ(decide(facts, config).reasons_text(), "relay:external-sender other.example");
  facts.domains.clear();
  EXPECT_EQ(decide(facts, config).reasons_text(), "relay:external-sender");
}

TEST(Decide, NoDomainChecksAtAll) {
  // An NDR from <> has no sender domain to check.
  Facts facts;
  facts.ndr = "ndr:null-sender";
  Decision decision = decide(facts, base_config());
  EXPECT_EQ(decision.action, Action::Accept);
  EXPECT_EQ(decision.pool, "high-risk");
  EXPECT_EQ(decision.reasons, std::vector<std::string>{"ndr:null-sender"});
}

TEST(Decide, ScannerFailureWithoutDetail) {
  Facts facts;
  facts.spam.status = SpamVerdict::Status::Failed;
  Config config = base_config();
  config.spam.on_scanner_failure = ScannerFailure::Normal;
  EXPECT_EQ(decide(facts, config).reasons_text(), "spam:scanner-failed");
  facts.spam.detail = "connection refused";
  EXPECT_EQ(decide(facts, config).reasons_text(), "spam:scanner-failed (connection refused)");
}

TEST(Decision, ReasonsText) {
  Decision decision;
  EXPECT_EQ(decision.reasons_text(), "clean");
  decision.reasons = {"ndr:null-sender"};
  EXPECT_EQ(decision.reasons_text(), "ndr:null-sender");
  decision.reasons.push_back("spam:spamd score=12.3 required=5.0");
  EXPECT_EQ(decision.reasons_text(), "ndr:null-sender, spam:spamd score=12.3 required=5.0");
}
