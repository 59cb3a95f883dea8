// Reads reply-class rules files (TOML): an array of [[rule]] tables, in the
// order they are to be tried.
//
//   [[rule]]
//   class = "reputation-block"           # required: a name from reply_class.h
//   codes = ["5", "421"]                 # optional, see reply_rules.h
//   enhanced = ["5.7.1", "5.7.606-649"]  # optional
//   stage = ["greeting", "hello"]        # optional
//   patterns = ["blocked using", "rejected because * black list"]  # optional
//   example = "554 5.7.1 ... blocked using zen.spamhaus.org"       # optional: the reply text the rule is for
//
// A rule needs codes, enhanced or patterns (a stage alone would claim every
// reply there). Every problem is a Diagnostic naming the file, the line and
// the key ("rule[3].enhanced[0]"), as check-config prints config errors.
#pragma once

#include "config/config.h"
#include "reputation/reply_rules.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct ReplyRulesLoad {
  std::shared_ptr<const ReplyRules> rules;  // null when anything had an error
  std::vector<Diagnostic> diagnostics;
  // Every rule's example text, in file order, for tests of a rules file:
  // (rule index in `rules`, the example).
  std::vector<std::pair<size_t, std::string>> examples;
};

// The rules of one file's text, alone; `path` names it in diagnostics.
ReplyRulesLoad parse_reply_rules(std::string_view text, const std::string& path);

// What the daemon uses: the operator's files of `config.reputation.reply_rules`
// in order, then the shipped defaults. A file that cannot be read is an error
// at its line in the config file.
ReplyRulesLoad load_reply_rules(const Config& config);

}  // namespace poolgate
