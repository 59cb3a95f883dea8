// Collects diagnostics of the semantic checks (validate.cpp and the per-section
// checks) with the line of the key they are about, so a check names only the key.
#pragma once

#include "config/config.h"

#include <string>
#include <vector>

namespace poolgate {

class Reporter {
 public:
  Reporter(const Config& config, std::vector<Diagnostic>& out) : config_(config), out_(out) {}

  void error(const std::string& key, const std::string& message) {
    out_.push_back({Diagnostic::Severity::Error, config_.path, line(key), key, message});
  }
  // Valid but probably not what the operator wants; check-config still exits 0.
  void warning(const std::string& key, const std::string& message) {
    out_.push_back({Diagnostic::Severity::Warning, config_.path, line(key), key, message});
  }

  // A key's own line, else its table's (pool[1].fwmark -> pool[1]): a check may
  // be about a default the file did not write.
  int line(const std::string& key) const {
    if (int found = config_.line_of(key)) return found;
    auto dot = key.rfind('.');
    return dot == std::string::npos ? 0 : config_.line_of(key.substr(0, dot));
  }
  bool written(const std::string& key) const { return config_.lines.count(key) != 0; }

 private:
  const Config& config_;
  std::vector<Diagnostic>& out_;
};

}  // namespace poolgate
