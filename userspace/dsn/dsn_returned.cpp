// The optional third part of a report (RFC 6522 3, RFC 3461 4.3): the
// original message, or its headers.
#include "dsn/dsn_parts.h"

#include "dsn/header_split.h"

namespace poolgate::detail {

Returned returned_part(const Envelope& original, std::string_view content, size_t max_bytes,
                       bool global) {
  Returned r;
  // RET=HDRS asks for headers only; RET=FULL or none for the message, which
  // RFC 3461 4.3 lets the MTA cut down to headers (it "MAY" for no RET, and an
  // MTA may always return less when the message is large; Postfix and Exim
  // both cap what they return). Content the relay would never have stored
  // (bare CR/LF, NUL, lines over 998) falls back to headers, because one bad
  // line would make the whole DSN unsendable.
  if (original.ret == DsnRet::Headers) r.kind = ReturnKind::HeadersAsked;
  else if (content.size() > max_bytes) r.kind = ReturnKind::HeadersTooLarge;
  else if (!mime_safe_lines(content)) r.kind = ReturnKind::HeadersDamaged;
  else r.kind = ReturnKind::Full;

  if (r.kind == ReturnKind::Full) {
    r.body.assign(content);
    // RFC 6532 3.7: an SMTPUTF8 message (UTF-8 in its header) travels as
    // message/global; message/rfc822 may only be 7bit/8bit/binary (RFC 2046
    // 5.2.1), and 8bit suffices because every line is within 998 octets.
    r.part_headers = global ? "Content-Type: message/global\r\n"
                            : "Content-Type: message/rfc822\r\n";
    r.part_headers += "Content-Description: Returned message\r\n";
  } else {
    std::string_view headers = split_headers(content).headers;
    if (headers.empty() || !mime_safe_lines(headers)) {
      r.kind = ReturnKind::Omitted;  // RFC 6522 3: the third part is optional
      return r;
    }
    r.body.assign(headers);
    // text/rfc822-headers (RFC 6522); message/global-headers (RFC 6533).
    r.part_headers = global ? "Content-Type: message/global-headers\r\n"
                            : "Content-Type: text/rfc822-headers\r\n";
    r.part_headers += "Content-Description: Returned message headers\r\n";
  }
  if (has_8bit(r.body)) r.part_headers += "Content-Transfer-Encoding: 8bit\r\n";
  return r;
}

}  // namespace poolgate::detail
