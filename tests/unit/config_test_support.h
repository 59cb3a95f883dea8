// Shared by the config section tests: parse text as "t.toml" and check what
// the loader says, down to the line a diagnostic points at.
#pragma once

#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

namespace poolgate::config_test {

// The smallest valid pool section: the two pools every configuration needs,
// one IPv4 address each; and the relay's name (check-config warns on the
// default "localhost").
inline const std::string kTwoPools = R"(
[[pool]]
name      = "normal"
fwmark    = 0x100
table     = 100
addresses = ["198.51.100.10"]

[[pool]]
name      = "high-risk"
fwmark    = 0x200
table     = 200
addresses = ["203.0.113.66"]

[relay]
hostname  = "relay.example.net"
)";

// 1-based line of the first occurrence of `needle` in `text`.
inline int line_in(const std::string& text, const std::string& needle) {
  auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// "^t\.toml:LINE: " for the line holding `needle`.
inline std::string line_prefix(const std::string& text, const std::string& needle) {
  return "^t\\.toml:" + std::to_string(line_in(text, needle)) + ": ";
}

inline std::string all_diagnostics(const LoadResult& result) {
  std::string all;
  for (const Diagnostic& d : result.diagnostics) all += d.to_string() + "\n";
  return all;
}

// `text` must fail with a diagnostic matching `pattern`; with `any_line`, a
// leading ^ may match any diagnostic, not only the first.
inline void expect_error(const std::string& text, const std::string& pattern,
                         bool any_line = true) {
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_FALSE(result.config.has_value());
  std::string all = all_diagnostics(result);
  auto flags = any_line ? std::regex::ECMAScript | std::regex::multiline : std::regex::ECMAScript;
  EXPECT_TRUE(std::regex_search(all, std::regex(pattern, flags)))
      << "wanted /" << pattern << "/ in:\n" << all;
}

// `text` must load, with exactly one diagnostic: a warning matching `pattern`.
inline void expect_warning(const std::string& text, const std::string& pattern) {
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_TRUE(result.config.has_value()) << all_diagnostics(result);
  ASSERT_EQ(result.diagnostics.size(), 1u) << all_diagnostics(result);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Warning);
  EXPECT_TRUE(std::regex_search(result.diagnostics[0].to_string(), std::regex(pattern)))
      << "wanted /" << pattern << "/ in:\n" << all_diagnostics(result);
}

// `text` must load without any diagnostic.
inline Config load(const std::string& text) {
  LoadResult result = parse_config(text, "t.toml");
  EXPECT_TRUE(result.config.has_value()) << all_diagnostics(result);
  EXPECT_TRUE(result.diagnostics.empty()) << all_diagnostics(result);
  return result.config ? *result.config : Config{};
}

}  // namespace poolgate::config_test
