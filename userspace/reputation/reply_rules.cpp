#include "reputation/reply_rules.h"

#include "reputation/builtin_rules.h"
#include "reputation/reply_rules_file.h"

#include <stdexcept>

namespace poolgate {

namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// "5.7.26" -> {5, 7, 26}; false for anything else (an empty code included).
bool parse_code(std::string_view text, std::array<int, 3>& out) {
  size_t part = 0;
  int value = 0, digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
      value = value * 10 + (c - '0');
    } else if (c == '.' && digits > 0 && part < 2) {
      out[part++] = value;
      value = digits = 0;
    } else {
      return false;
    }
  }
  if (part != 2 || digits == 0) return false;
  out[2] = value;
  return true;
}

// The pieces of one pattern in order, each found after the one before.
bool pattern_matches(std::string_view text, const std::vector<std::string>& pieces) {
  size_t from = 0;
  for (const std::string& piece : pieces) {
    size_t at = text.find(piece, from);
    if (at == std::string_view::npos) return false;
    from = at + piece.size();
  }
  return true;
}

uint32_t stage_bit(std::string_view stage) {
  const auto& names = reply_stage_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == stage) return 1u << i;
  return 0;  // an unknown stage matches only rules without a stage condition
}

}  // namespace

bool EnhancedPattern::matches(const std::array<int, 3>& code) const {
  for (size_t i = 0; i < 3; ++i)
    if (code[i] < parts[i].lo || code[i] > parts[i].hi) return false;
  return true;
}

const std::vector<std::string_view>& reply_stage_names() {
  static const std::vector<std::string_view> names{
      "connect", "greeting", "hello", "starttls", "prepare",
      "rset",    "mail",     "rcpt",  "data",     "content"};
  return names;
}

std::string fold_reply_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  return out;
}

ReplyRules::Match ReplyRules::match(std::string_view stage, const Reply& reply) const {
  if (reply.code >= 200 && reply.code < 300) return {ReplyClass::None, nullptr};
  const uint32_t bit = stage_bit(stage);
  const std::string code = std::to_string(reply.code);
  std::array<int, 3> enhanced{};
  const bool has_enhanced = parse_code(reply.enhanced, enhanced);
  std::string text;  // folded on the first rule that needs it
  bool folded = false;
  for (const ReplyRule& rule : rules_) {
    if (rule.stages != 0 && (rule.stages & bit) == 0) continue;
    if (!rule.codes.empty()) {
      bool any = false;
      for (const std::string& prefix : rule.codes) any = any || code.starts_with(prefix);
      if (!any) continue;
    }
    if (!rule.enhanced.empty()) {
      bool any = false;
      for (const EnhancedPattern& p : rule.enhanced) any = any || (has_enhanced && p.matches(enhanced));
      if (!any) continue;
    }
    if (!rule.patterns.empty()) {
      if (!folded) {
        std::string joined;
        for (const std::string& line : reply.lines) joined += line + " ";
        text = fold_reply_text(joined);
        folded = true;
      }
      bool any = false;
      for (const auto& pieces : rule.patterns) any = any || pattern_matches(text, pieces);
      if (!any) continue;
    }
    return {rule.cls, &rule};
  }
  return {ReplyClass::Other, nullptr};
}

std::shared_ptr<const ReplyRules> ReplyRules::defaults() {
  static const std::shared_ptr<const ReplyRules> rules = [] {
    ReplyRulesLoad loaded = parse_reply_rules(builtin_reply_rules_text(), kBuiltinReplyRulesName);
    if (!loaded.rules) {
      std::string why;
      for (const Diagnostic& d : loaded.diagnostics) why += "\n" + d.to_string();
      throw std::runtime_error("the built-in reply rules do not parse:" + why);
    }
    return loaded.rules;
  }();
  return rules;
}

}  // namespace poolgate
