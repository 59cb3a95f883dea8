#include "dsn/header_split.h"

namespace poolgate {

namespace {

// field-name = 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322 3.6.8), then ":".
bool is_field_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

bool is_continuation(std::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

}  // namespace

HeaderSplit split_headers(std::string_view message) {
  size_t pos = 0;
  bool first = true;
  while (pos < message.size()) {
    size_t eol = message.find("\r\n", pos);
    size_t line_end = eol == std::string_view::npos ? message.size() : eol;
    std::string_view line = message.substr(pos, line_end - pos);
    if (line.empty()) {
      // The empty line: headers before it, body after it (RFC 5322 2.1).
      return {message.substr(0, pos), message.substr(line_end + 2), true};
    }
    // A continuation is only one after a field; a leading one starts the body.
    bool header = is_field_line(line) || (!first && is_continuation(line));
    if (!header) return {message.substr(0, pos), message.substr(pos), false};
    first = false;
    if (eol == std::string_view::npos) break;
    pos = eol + 2;
  }
  return {message, {}, false};
}

bool mime_safe_lines(std::string_view text) {
  size_t line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\0') return false;
    if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;  // bare CR
      if (i - line_start > 998) return false;
      ++i;
      line_start = i + 1;
    } else if (c == '\n') {
      return false;  // bare LF
    }
  }
  return text.size() - line_start <= 998;
}

}  // namespace poolgate
