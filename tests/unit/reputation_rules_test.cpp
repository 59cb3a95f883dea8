// Reply-class rules files: the conditions a rule may have, an operator's own
// file taking precedence over the shipped defaults, and every malformed file
// reported with its file, line and key, as check-config prints it.
#include "config/config.h"
#include "reputation/reply_rules.h"
#include "reputation/reply_rules_file.h"

#include "config_test_support.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace poolgate;

namespace {

std::shared_ptr<const ReplyRules> parsed(const std::string& text) {
  ReplyRulesLoad loaded = parse_reply_rules(text, "t.toml");
  for (const Diagnostic& d : loaded.diagnostics) ADD_FAILURE() << d.to_string();
  return loaded.rules;
}

// The only error of `text`, as check-config prints it.
std::string only_error(const std::string& text) {
  ReplyRulesLoad loaded = parse_reply_rules(text, "t.toml");
  EXPECT_FALSE(loaded.rules);
  EXPECT_EQ(loaded.diagnostics.size(), 1u);
  return loaded.diagnostics.empty() ? "" : loaded.diagnostics.front().to_string();
}

// A private directory for rules files, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pg-rules-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

TEST(ReplyRules, ConditionsAllMustHoldAnyValueMay) {
  auto rules = parsed(R"(
[[rule]]
class = "rate-limit"
codes = ["421", "45"]
stage = "rcpt"
patterns = ["slow * down", "too fast"]
)");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->classify("rcpt", make_reply(421, "4.7.0", "Please SLOW   right down")),
            ReplyClass::RateLimit);
  EXPECT_EQ(rules->classify("rcpt", make_reply(452, "", "you are too fast")), ReplyClass::RateLimit);
  EXPECT_EQ(rules->classify("mail", make_reply(421, "4.7.0", "too fast")), ReplyClass::Other);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "5.7.0", "too fast")), ReplyClass::Other);
  // The pieces of "slow * down" in that order only.
  EXPECT_EQ(rules->classify("rcpt", make_reply(421, "4.7.0", "down, then slow")), ReplyClass::Other);
}

TEST(ReplyRules, EnhancedWildcardsAndRanges) {
  auto rules = parsed(R"(
[[rule]]
class = "reputation-block"
enhanced = ["5.7.606-649"]
[[rule]]
class = "authentication"
enhanced = "*.7.26"
[[rule]]
class = "policy"
enhanced = "5.7.*"
)");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "5.7.606", "x")), ReplyClass::ReputationBlock);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "5.7.649", "x")), ReplyClass::ReputationBlock);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "5.7.650", "x")), ReplyClass::Policy);
  EXPECT_EQ(rules->classify("rcpt", make_reply(421, "4.7.26", "x")), ReplyClass::Authentication);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "5.7.26", "x")), ReplyClass::Authentication);
  EXPECT_EQ(rules->classify("rcpt", make_reply(550, "", "x")), ReplyClass::Other);
  auto m = rules->match("rcpt", make_reply(550, "5.7.1", "x"));
  ASSERT_TRUE(m.rule);
  EXPECT_EQ(m.rule->origin, "t.toml:8");
}

TEST(ReplyRules, OperatorFileTakesPrecedenceOverTheDefaults) {
  // The defaults call "User unknown" invalid-recipient; this site's own
  // experience says its upstream lies about it, and its file says so first.
  TempDir dir;
  std::string mine = dir.write("my-replies.toml", R"(
[[rule]]
class = "policy"
patterns = "user unknown in local recipient table"
)");
  std::string second = dir.write("second.toml", R"(
[[rule]]
class = "spam-content"
patterns = "user unknown"
)");
  Reply reply = make_reply(550, "5.1.1",
                           "<bob@example.net>: Recipient address rejected: User unknown in local "
                           "recipient table");
  EXPECT_EQ(ReplyRules::defaults()->classify("rcpt", reply), ReplyClass::InvalidRecipient);

  Config config;
  config.path = "poolgate.toml";
  config.reputation.reply_rules = {mine, second};
  ReplyRulesLoad loaded = load_reply_rules(config);
  ASSERT_TRUE(loaded.rules);
  EXPECT_TRUE(loaded.diagnostics.empty());
  auto m = loaded.rules->match("rcpt", reply);
  EXPECT_EQ(m.cls, ReplyClass::Policy);
  ASSERT_TRUE(m.rule);
  EXPECT_EQ(m.rule->origin, mine + ":2");
  // Files in the order given: the second comes before the defaults too.
  EXPECT_EQ(loaded.rules->classify("rcpt", make_reply(550, "5.1.1", "User unknown")),
            ReplyClass::SpamContent);
  // What no operator rule matches still gets the defaults.
  EXPECT_EQ(loaded.rules->classify("rcpt", make_reply(452, "4.2.2", "Mailbox full")),
            ReplyClass::MailboxFull);
  EXPECT_EQ(loaded.rules->rules().size(), ReplyRules::defaults()->rules().size() + 2);
}

TEST(ReplyRules, UnreadableOperatorFileIsAnErrorAtItsConfigLine) {
  Config config;
  config.path = "poolgate.toml";
  config.reputation.reply_rules = {"/nonexistent/poolgate-rules.toml"};
  config.lines["reputation.reply_rules[0]"] = 42;
  ReplyRulesLoad loaded = load_reply_rules(config);
  EXPECT_FALSE(loaded.rules);
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_EQ(loaded.diagnostics[0].to_string(),
            "poolgate.toml:42: reputation.reply_rules[0]: cannot read "
            "/nonexistent/poolgate-rules.toml: No such file or directory");
  // Something endless is refused, not read.
  config.reputation.reply_rules = {"/dev/zero"};
  loaded = load_reply_rules(config);
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_NE(loaded.diagnostics[0].message.find("not a regular file"), std::string::npos);
}

TEST(ReplyRules, MalformedFilesNameFileLineAndKey) {
  // TOML itself: toml++'s words, our file and line.
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\npatterns = [\"a\" \"b\"]\ncodes = \"5\"\n")
                .rfind("t.toml:3: (syntax): ", 0),
            0u);
  EXPECT_EQ(only_error("[[rule]]\npatterns = \"x\"\n"),
            "t.toml:1: rule[0].class: missing: one of reputation-block, rate-limit, "
            "invalid-recipient, mailbox-full, spam-content, authentication, policy, dns, tls, "
            "protocol, other");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\npatterns = \"x\"\n\n[[rule]]\n"
                       "class = \"blocked\"\npatterns = \"y\"\n"),
            "t.toml:6: rule[1].class: must be one of reputation-block, rate-limit, "
            "invalid-recipient, mailbox-full, spam-content, authentication, policy, dns, tls, "
            "protocol, other");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\nenhanced = [\"5.7.1\",\n  \"5.7\"]\n"),
            "t.toml:4: rule[0].enhanced[1]: '5.7' is not an enhanced status code pattern: "
            "class.subject.detail, each a number, * or a range (5.7.1, 5.7.*, *.7.26, 5.7.606-649)");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\nenhanced = \"3.1.1\"\n"),
            "t.toml:3: rule[0].enhanced: '3.1.1' is not an enhanced status code pattern: "
            "class.subject.detail, each a number, * or a range (5.7.1, 5.7.*, *.7.26, 5.7.606-649)");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\ncodes = [\"5x\"]\n"),
            "t.toml:3: rule[0].codes[0]: '5x' is not the start of a reply code (1 to 3 digits, "
            "2xx to 5xx)");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\ncodes = \"5\"\nstage = \"ehlo\"\n"),
            "t.toml:4: rule[0].stage: unknown stage 'ehlo'; one of connect, greeting, hello, "
            "starttls, prepare, rset, mail, rcpt, data, content");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\npatterns = [\"a\", \"**\"]\n"),
            "t.toml:3: rule[0].patterns[1]: an empty pattern (or only '*') would match every reply");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\nstage = \"rcpt\"\n"),
            "t.toml:1: rule[0]: needs codes, enhanced or patterns: a rule without them would "
            "claim every reply");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\ncodes = \"5\"\npattern = \"x\"\n"),
            "t.toml:4: rule[0].pattern: unknown key (a rule has class, codes, enhanced, stage, "
            "patterns, example)");
  EXPECT_EQ(only_error("[rule]\nclass = \"policy\"\n"),
            "t.toml:1: rule: must be written as [[rule]] tables");
  EXPECT_EQ(only_error("[[rule]]\nclass = \"policy\"\ncodes = []\npatterns = \"x\"\n"),
            "t.toml:3: rule[0].codes: must be a string or a non-empty array of strings");
}

TEST(ReplyRules, BrokenOperatorFileRefusesTheWholeSet) {
  // Half a file would classify by rules the operator did not finish writing.
  TempDir dir;
  std::string broken = dir.write("broken.toml", "[[rule]]\nclass = \"policy\"\ncodes = \"5\"\n"
                                                "[[rule]]\nclass = \"nonsense\"\ncodes = \"4\"\n");
  Config config;
  config.path = "poolgate.toml";
  config.reputation.reply_rules = {broken};
  ReplyRulesLoad loaded = load_reply_rules(config);
  EXPECT_FALSE(loaded.rules);
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_EQ(loaded.diagnostics[0].file, broken);
  EXPECT_EQ(loaded.diagnostics[0].line, 5);
  EXPECT_EQ(loaded.diagnostics[0].key, "rule[1].class");
}

TEST(ReplyRules, ReputationSectionInTheConfig) {
  const std::string text = config_test::kTwoPools + R"(
[reputation]
reply_rules = ["/etc/poolgate/a.toml",
               "relative.toml"]
)";
  LoadResult ok = parse_config(text, "p.toml");
  ASSERT_FALSE(ok.config);
  ASSERT_TRUE(ok.with_errors);
  EXPECT_EQ(ok.with_errors->reputation.reply_rules.size(), 2u);
  ASSERT_EQ(ok.diagnostics.size(), 1u);
  EXPECT_EQ(ok.diagnostics[0].to_string(),
            "p.toml:" + std::to_string(config_test::line_in(text, "\"relative.toml\"")) +
                ": reputation.reply_rules[1]: 'relative.toml' must be an absolute path");
}

TEST(ReplyRules, FoldingForPatterns) {
  EXPECT_EQ(fold_reply_text("  Mailbox\tFULL \r\n  now "), "mailbox full now");
  EXPECT_EQ(fold_reply_text(""), "");
}

}  // namespace
