#include "smtp/dot_stuffer.h"

namespace poolgate {

void DotStuffer::feed(std::string_view content, std::string& out) {
  out.reserve(out.size() + content.size() + content.size() / 64 + 8);
  for (char c : content) {
    empty_ = false;
    if (pending_cr_) {
      pending_cr_ = false;
      out += "\r\n";  // the CR's line ends here, whether or not c is its LF
      line_start_ = true;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (c == '\n') {  // bare LF
      out += "\r\n";
      line_start_ = true;
      continue;
    }
    if (line_start_ && c == '.') out += '.';
    line_start_ = false;
    out += c;
  }
}

void DotStuffer::finish(std::string& out) {
  if (pending_cr_) {
    out += "\r\n";
  } else if (!empty_ && !line_start_) {
    out += "\r\n";  // content did not end in a line break
  }
  // An empty message is just "." CRLF: the CRLF of the DATA command (or of the
  // 354 exchange) starts the line (RFC 5321 4.1.1.4).
  out += ".\r\n";
  *this = DotStuffer{};
}

std::string dot_stuff(std::string_view content) {
  std::string out;
  DotStuffer stuffer;
  stuffer.feed(content, out);
  stuffer.finish(out);
  return out;
}

}  // namespace poolgate
