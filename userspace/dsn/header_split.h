// Finding the header section of a stored message (RFC 5322 2.1), for
// text/rfc822-headers returns (RFC 6522 4) and for deciding whether a returned
// message needs message/global (RFC 6532 3.7).
#pragma once

#include <string_view>

namespace poolgate {

struct HeaderSplit {
  // The header fields, each with its CRLF, without the empty line. May lack
  // the final CRLF when the message is only headers and its last line has none.
  std::string_view headers;
  std::string_view body;   // after the empty line; empty when there is none
  bool separator = false;  // an empty line was found
};

// RFC 5322 2.1: the body is optional, and so is the empty line before it, so a
// message may be all headers. The header section ends at the first empty line,
// or at the first line that is neither a field (name ":") nor a continuation
// (starting with WSP, 2.2.3), since a reader treats such a line as the start of
// the body (as Python's email and most MUAs do); or at the end.
HeaderSplit split_headers(std::string_view message);

// True when `text` can go into a MIME part as 7bit/8bit (RFC 2045 2.7, 2.8):
// every line ends in CRLF (the last one may have none), no bare CR or LF, no
// NUL, no line over 998 octets. The relay stores only such content; this is
// checked anyway, because a part that breaks the rule would break the DSN.
bool mime_safe_lines(std::string_view text);

}  // namespace poolgate
