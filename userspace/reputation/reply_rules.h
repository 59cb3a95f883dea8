// The rules that give a next hop's reply its class (reply_class.h): an ordered
// list, first match wins. Operators' files come first, then the defaults
// shipped in config/reply-classes.toml (built into the binary, so a package
// cannot lose them). reply_rules_file.h reads the files.
//
// A rule matches when every condition it has holds; within one condition any
// value may match:
//   codes     prefixes of the three-digit reply code: "5", "55", "421"
//   enhanced  RFC 3463 code patterns, each part a number, "*" or a range:
//             "5.1.1", "5.7.*", "*.7.26", "5.7.606-649"
//   stage     where the reply came: the delivery log's stage= words
//             (connect, greeting, hello, starttls, prepare, rset, mail, rcpt,
//             data, content)
//   patterns  case-insensitive substrings of the reply's text (its lines
//             joined by one space, runs of white space as one); "*" inside a
//             pattern stands for any text, so "rejected because * black list"
//             needs both pieces in that order
// Substrings, not regular expressions: a reply is classified on every failed
// recipient and connection, and its text comes from a stranger. Matching is a
// few memchr-driven searches per rule, linear in the text, with nothing a
// hostile reply (or a careless rule) can make backtrack.
#pragma once

#include "reputation/reply_class.h"
#include "smtp/reply.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

// One RFC 3463 code pattern: per part an inclusive range (lo > hi never
// happens; "*" is 0..999).
struct EnhancedPattern {
  struct Part {
    int lo = 0, hi = 999;
  };
  std::array<Part, 3> parts;
  bool matches(const std::array<int, 3>& code) const;
};

struct ReplyRule {
  ReplyClass cls = ReplyClass::Other;
  std::vector<std::string> codes;
  std::vector<EnhancedPattern> enhanced;
  uint32_t stages = 0;  // a bit per reply_stage_names() entry; 0 = any stage
  // Each pattern as its lower-case pieces between the "*"s, in order.
  std::vector<std::vector<std::string>> patterns;
  std::string origin;  // "FILE:LINE", for `why` questions and tests
};

// The stage words a rule may name, in delivery order (delivery/result.h
// stage_name() spells the same words).
const std::vector<std::string_view>& reply_stage_names();

class ReplyRules {
 public:
  explicit ReplyRules(std::vector<ReplyRule> rules) : rules_(std::move(rules)) {}

  // The shipped defaults alone (parsed once). Throws std::runtime_error if the
  // built-in file does not parse, which a unit test rules out.
  static std::shared_ptr<const ReplyRules> defaults();

  struct Match {
    ReplyClass cls = ReplyClass::Other;
    const ReplyRule* rule = nullptr;  // null: no rule matched (Other), or a 2xx (None)
  };
  // The class of `reply`, received at `stage`. A 2xx is None; a reply no rule
  // matches is Other.
  Match match(std::string_view stage, const Reply& reply) const;
  ReplyClass classify(std::string_view stage, const Reply& reply) const {
    return match(stage, reply).cls;
  }

  const std::vector<ReplyRule>& rules() const { return rules_; }

 private:
  std::vector<ReplyRule> rules_;
};

// The reply text as patterns see it: lower case (ASCII), white space runs as
// one space, lines joined by a space. Patterns are folded the same way.
std::string fold_reply_text(std::string_view text);

}  // namespace poolgate
