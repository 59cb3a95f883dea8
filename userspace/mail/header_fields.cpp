#include "mail/header_fields.h"

#include <algorithm>
#include <cctype>

namespace poolgate {
namespace {

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<HeaderField> parse_header_fields(std::string_view message) {
  std::vector<HeaderField> fields;
  bool continuing = false;  // the last line started a field that may continue
  while (!message.empty()) {
    size_t end = message.find('\n');
    std::string_view line = message.substr(0, end);
    message = end == std::string_view::npos ? std::string_view{} : message.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the header section ends at the first empty line
    if (line.front() == ' ' || line.front() == '\t') {
      // RFC 5322 2.2.3: unfolding removes the CRLF, keeps the white space.
      if (continuing) fields.back().value += std::string(line);
      continue;
    }
    size_t colon = line.find(':');
    continuing = colon != std::string_view::npos && colon > 0;
    if (continuing)
      fields.push_back({std::string(trim(line.substr(0, colon))), std::string(line.substr(colon + 1))});
  }
  for (HeaderField& field : fields) field.value = std::string(trim(field.value));
  return fields;
}

std::optional<std::string> find_header_field(std::string_view message, std::string_view name) {
  for (HeaderField& field : parse_header_fields(message))
    if (equals_ci(field.name, name)) return std::move(field.value);
  return std::nullopt;
}

}  // namespace poolgate
