#include "smtp/reply_parser.h"

namespace poolgate {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Length of a leading enhanced code of class `cls` followed by SP or the end, or 0.
size_t enhanced_prefix(std::string_view text, char cls) {
  size_t end = text.find(' ');
  std::string_view candidate = text.substr(0, end);
  if (candidate.empty() || candidate[0] != cls || !valid_enhanced_code(candidate)) return 0;
  return candidate.size();
}

}  // namespace

ReplyParser::Status ReplyParser::feed(std::string_view line) {
  // reply-line = Reply-code [ ( SP / "-" ) textstring ]; servers that send a bare
  // code ("250") are tolerated, as RFC 5321 4.2 asks of clients.
  if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) ||
      line[0] < '2' || line[0] > '5')
    return Status::Error;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return Status::Error;
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) return Status::Error;
  reply_.code = code;

  bool more = line.size() > 3 && line[3] == '-';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (extract_enhanced_) {
    if (size_t n = enhanced_prefix(text, line[0])) {
      if (reply_.enhanced.empty()) reply_.enhanced = std::string(text.substr(0, n));
      text.remove_prefix(n);
      if (!text.empty()) text.remove_prefix(1);
    }
  }
  reply_.lines.emplace_back(text);
  return more ? Status::NeedMore : Status::Done;
}

}  // namespace poolgate
