// Encodings of DSN parameter values (RFC 3461 4, RFC 6533 3): ENVID and ORCPT
// travel encoded on the MAIL/RCPT line; poolgate stores them decoded and
// encodes them again when relaying.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// xtext (RFC 3461 4): "!".."~" except "+" and "=" stand for themselves, every
// other octet is "+" and two upper-case hex digits.
std::string xtext_encode(std::string_view raw);
// nullopt on anything that is not xtext: an octet outside "!".."~", a raw "=",
// a "+" without two hex digits. Lower-case hex digits are accepted (RFC 3461
// asks for upper case, but nothing is ambiguous about them).
std::optional<std::string> xtext_decode(std::string_view encoded);

// The "utf-8" address type of ORCPT (RFC 6533 3): printable ASCII except "+",
// "=", "\" stands for itself, anything else is written "\x{HEX}" with the
// Unicode code point in hex. With unitext (the transaction uses SMTPUTF8),
// non-ASCII characters may also appear as raw UTF-8.
std::string utf8_addr_encode(std::string_view utf8, bool unitext);
// nullopt on malformed escapes, surrogates, ill-formed UTF-8, or raw UTF-8 when
// !unitext.
std::optional<std::string> utf8_addr_decode(std::string_view encoded, bool unitext);

}  // namespace poolgate
