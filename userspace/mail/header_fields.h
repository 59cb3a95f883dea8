// The header fields of a message (RFC 5322 2.2), unfolded: the one reader the
// classifier (NDR detection, From: domain) and the header spam scanner share,
// enough for a few named fields without a MIME parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded (continuation lines joined with their white space), trimmed
};

// Every field up to the first empty line (or the end); lines that are neither
// "name: value" nor a continuation are skipped.
std::vector<HeaderField> parse_header_fields(std::string_view message);

// The first field called `name` (case-insensitive), unfolded and trimmed.
std::optional<std::string> find_header_field(std::string_view message, std::string_view name);

}  // namespace poolgate
