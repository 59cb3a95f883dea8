// The header fields of a message (RFC 5322 2.2), unfolded: enough to read the
// X-Spam-* fields an upstream filter added, without a MIME parser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace poolgate::spam {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded (continuation lines joined with their white space), trimmed
};

// Every field up to the first empty line (or the end); lines that are neither
// "name: value" nor a continuation are skipped.
std::vector<HeaderField> parse_header_fields(std::string_view message);

}  // namespace poolgate::spam
