// Reports are values with a lines() form (one line each, no newline); the CLI
// prints them as text, the daemon logs them line by line.
#pragma once

#include <string>
#include <vector>

namespace poolgate {

inline std::string as_text(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace poolgate
