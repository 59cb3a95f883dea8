// RFC 5321 4.1.2 address syntax for MAIL FROM / RCPT TO, extended by RFC 6531
// (SMTPUTF8) to UTF-8 local parts and U-label domains. Pure syntax: whether a
// domain exists or relaying is allowed is decided elsewhere.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace poolgate {

// RFC 5321 4.5.3.1.3: a path, brackets included, is at most 256 octets.
inline constexpr size_t kMaxPathOctets = 256;

struct PathOptions {
  bool allow_null = false;        // Reverse-path: "<>" is the null sender
  bool allow_postmaster = false;  // RCPT: "<Postmaster>" without domain (4.1.1.3)
  bool utf8 = false;              // the transaction declared SMTPUTF8
};

enum class PathStatus {
  Ok,
  Syntax,         // not "<" [A-d-l ":"] Mailbox ">" (or "<>" where allowed)
  TooLong,        // over kMaxPathOctets
  NeedsSmtputf8,  // non-ASCII octets without SMTPUTF8 (RFC 6531 3.5)
};

struct ParsedPath {
  std::string mailbox;     // without brackets and source route; "" for "<>"
  size_t length = 0;       // octets consumed from the input, brackets included
  bool source_route = false;  // an A-d-l was present and has been dropped
};

// Parses the path at the start of `in`, which must begin with '<'. The path
// ends at the first '>' outside a quoted local part; what follows (parameters)
// is left to the caller. A source route ("<@a,@b:user@c>") is accepted and
// dropped, as RFC 5321 4.1.1.3 and Appendix C allow.
PathStatus parse_path(std::string_view in, const PathOptions& options, ParsedPath& out);

// Mailbox = Local-part "@" ( Domain / address-literal ).
bool is_valid_mailbox(std::string_view mailbox, bool utf8);
// Domain = sub-domain *("." sub-domain); labels of 1..63 octets, at most 255 in
// all. With utf8, a label may be a U-label (non-ASCII UTF-8; IDNA validity is
// not checked here).
bool is_valid_domain(std::string_view domain, bool utf8);
// "[" IPv4 / "IPv6:" IPv6 / tag ":" dcontent "]" (RFC 5321 4.1.3).
bool is_valid_address_literal(std::string_view literal);

}  // namespace poolgate
