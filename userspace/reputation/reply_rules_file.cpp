#include "reputation/reply_rules_file.h"

#include "config/toml_reader.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/stat.h>

namespace poolgate {

namespace {

// Far above any real rules file; a path to something endless (/dev/zero)
// must not hang check-config or a reload.
constexpr off_t kMaxFileBytes = 1 << 20;

class RuleReader {
 public:
  RuleReader(const std::string& path, std::vector<Diagnostic>& out) : path_(path), out_(out) {}

  void error(const toml::node& node, const std::string& key, const std::string& message) {
    out_.push_back({Diagnostic::Severity::Error, path_,
                    static_cast<int>(node.source().begin.line), key, message});
  }

  // A string or an array of strings, each element with its own key and node.
  template <class Each>
  void strings(const toml::node& node, const std::string& key, Each each) {
    if (node.is_string()) {
      each(*node.value<std::string>(), node, key);
      return;
    }
    const toml::array* array = node.as_array();
    if (!array || array->empty()) {
      error(node, key, "must be a string or a non-empty array of strings");
      return;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      std::string element_key = key + "[" + std::to_string(i) + "]";
      if (!element.is_string())
        error(element, element_key, "must be a string");
      else
        each(*element.value<std::string>(), element, element_key);
    }
  }

  std::optional<ReplyRule> rule(const toml::table& table, const std::string& key,
                                std::vector<std::string>& examples);

 private:
  const std::string& path_;
  std::vector<Diagnostic>& out_;
};

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// One part of an enhanced pattern: "*", "7", "606-649".
std::optional<EnhancedPattern::Part> enhanced_part(std::string_view text) {
  if (text == "*") return EnhancedPattern::Part{};
  size_t dash = text.find('-');
  std::string_view lo = text.substr(0, dash);
  std::string_view hi = dash == std::string_view::npos ? lo : text.substr(dash + 1);
  if (!all_digits(lo) || !all_digits(hi)) return std::nullopt;
  EnhancedPattern::Part part{std::stoi(std::string(lo)), std::stoi(std::string(hi))};
  if (part.lo > part.hi) return std::nullopt;
  return part;
}

std::optional<EnhancedPattern> enhanced_pattern(std::string_view text) {
  EnhancedPattern pattern;
  for (size_t i = 0; i < 3; ++i) {
    size_t dot = text.find('.');
    if ((i < 2) == (dot == std::string_view::npos)) return std::nullopt;
    auto part = enhanced_part(text.substr(0, dot));
    if (!part) return std::nullopt;
    pattern.parts[i] = *part;
    text = i < 2 ? text.substr(dot + 1) : std::string_view{};
  }
  const auto& cls = pattern.parts[0];
  // RFC 3463: the class is 2, 4 or 5; "*" covers both failure classes.
  if (!(cls.lo == 0 && cls.hi == 999) && !(cls.lo == cls.hi && (cls.lo == 2 || cls.lo == 4 || cls.lo == 5)))
    return std::nullopt;
  return pattern;
}

std::string class_list() {
  std::string out;
  for (ReplyClass cls : kAllReplyClasses) out += (out.empty() ? "" : ", ") + std::string(reply_class_name(cls));
  return out;
}

std::optional<ReplyRule> RuleReader::rule(const toml::table& table, const std::string& key,
                                          std::vector<std::string>& examples) {
  ReplyRule rule;
  rule.origin = path_ + ":" + std::to_string(table.source().begin.line);
  size_t errors = out_.size();
  const toml::node* cls = table.get("class");
  if (!cls) {
    error(table, key + ".class", "missing: one of " + class_list());
  } else if (auto parsed = cls->is_string() ? parse_reply_class(*cls->value<std::string>())
                                             : std::nullopt) {
    rule.cls = *parsed;
  } else {
    error(*cls, key + ".class", "must be one of " + class_list());
  }
  for (const auto& [name, node] : table) {
    std::string field(name.str());
    std::string field_key = key + "." + field;
    if (field == "class") continue;
    if (field == "codes") {
      strings(node, field_key, [&](const std::string& v, const toml::node& n, const std::string& k) {
        if (all_digits(v) && v[0] >= '2' && v[0] <= '5')
          rule.codes.push_back(v);
        else
          error(n, k, "'" + v + "' is not the start of a reply code (1 to 3 digits, 2xx to 5xx)");
      });
    } else if (field == "enhanced") {
      strings(node, field_key, [&](const std::string& v, const toml::node& n, const std::string& k) {
        if (auto p = enhanced_pattern(v))
          rule.enhanced.push_back(*p);
        else
          error(n, k, "'" + v + "' is not an enhanced status code pattern: class.subject.detail, "
                      "each a number, * or a range (5.7.1, 5.7.*, *.7.26, 5.7.606-649)");
      });
    } else if (field == "stage") {
      strings(node, field_key, [&](const std::string& v, const toml::node& n, const std::string& k) {
        const auto& names = reply_stage_names();
        for (size_t i = 0; i < names.size(); ++i)
          if (names[i] == v) {
            rule.stages |= 1u << i;
            return;
          }
        std::string known;
        for (std::string_view s : names) known += (known.empty() ? "" : ", ") + std::string(s);
        error(n, k, "unknown stage '" + v + "'; one of " + known);
      });
    } else if (field == "patterns") {
      strings(node, field_key, [&](const std::string& v, const toml::node& n, const std::string& k) {
        std::vector<std::string> pieces;
        std::string folded = fold_reply_text(v);
        for (size_t start = 0; start <= folded.size();) {
          size_t star = folded.find('*', start);
          std::string piece = folded.substr(start, star == std::string::npos ? star : star - start);
          if (!piece.empty()) pieces.push_back(piece);
          if (star == std::string::npos) break;
          start = star + 1;
        }
        if (pieces.empty())
          error(n, k, "an empty pattern (or only '*') would match every reply");
        else
          rule.patterns.push_back(std::move(pieces));
      });
    } else if (field == "example") {
      strings(node, field_key, [&](const std::string& v, const toml::node&, const std::string&) {
        examples.push_back(v);
      });
    } else {
      error(node, field_key,
            "unknown key (a rule has class, codes, enhanced, stage, patterns, example)");
    }
  }
  if (out_.size() == errors && rule.codes.empty() && rule.enhanced.empty() && rule.patterns.empty())
    error(table, key, "needs codes, enhanced or patterns: a rule without them would claim every reply");
  if (out_.size() != errors) return std::nullopt;
  return rule;
}

// The file's text, or a reason it cannot be had.
std::optional<std::string> read_file(const std::string& path, std::string& why) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return std::nullopt;
  }
  if (st.st_size > kMaxFileBytes) {
    why = "larger than " + std::to_string(kMaxFileBytes) + " bytes";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ReplyRulesLoad parse_reply_rules(std::string_view text, const std::string& path) {
  ReplyRulesLoad result;
  std::optional<toml::table> parsed = parse_toml_document(text, path, result.diagnostics);
  if (!parsed) return result;
  const toml::table& root = *parsed;
  RuleReader reader(path, result.diagnostics);
  std::vector<ReplyRule> rules;
  for (const auto& [name, node] : root) {
    if (name.str() != "rule" || !node.is_array_of_tables()) {
      reader.error(node, std::string(name.str()),
                   name.str() == "rule" ? "must be written as [[rule]] tables"
                                        : "unknown key (a rules file holds [[rule]] tables)");
      continue;
    }
    const toml::array& tables = *node.as_array();
    for (size_t i = 0; i < tables.size(); ++i) {
      std::vector<std::string> examples;
      auto rule = reader.rule(*tables.get(i)->as_table(), "rule[" + std::to_string(i) + "]", examples);
      if (!rule) continue;
      for (std::string& example : examples) result.examples.emplace_back(rules.size(), std::move(example));
      rules.push_back(std::move(*rule));
    }
  }
  if (result.diagnostics.empty()) result.rules = std::make_shared<const ReplyRules>(std::move(rules));
  return result;
}

ReplyRulesLoad load_reply_rules(const Config& config) {
  ReplyRulesLoad result;
  std::vector<ReplyRule> rules;
  const std::vector<std::string>& files = config.reputation.reply_rules;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string key = "reputation.reply_rules[" + std::to_string(i) + "]";
    if (files[i].empty() || files[i].front() != '/') continue;  // config/ reports it
    std::string why;
    std::optional<std::string> text = read_file(files[i], why);
    if (!text) {
      result.diagnostics.push_back({Diagnostic::Severity::Error, config.path, config.line_of(key),
                                    key, "cannot read " + files[i] + ": " + why});
      continue;
    }
    ReplyRulesLoad one = parse_reply_rules(*text, files[i]);
    for (Diagnostic& d : one.diagnostics) result.diagnostics.push_back(std::move(d));
    if (one.rules) rules.insert(rules.end(), one.rules->rules().begin(), one.rules->rules().end());
  }
  const auto& defaults = ReplyRules::defaults()->rules();
  rules.insert(rules.end(), defaults.begin(), defaults.end());
  if (result.diagnostics.empty()) result.rules = std::make_shared<const ReplyRules>(std::move(rules));
  return result;
}

}  // namespace poolgate
