// Domain names as poolgate compares them: the one normaliser every folder uses
// (recipient domains for delivery, sender and internal domains for limits and
// classification, [[delivery.destination]] keys in the config), so the same
// domain can never be two destinations or two limit keys.
#pragma once

#include <string>
#include <string_view>

namespace poolgate {

// Surrounding white space and one final dot removed, ASCII letters in lower
// case (DNS names are case-insensitive, RFC 4343), and a name with non-ASCII
// labels (U-labels, as SMTPUTF8 mail carries them, RFC 6531) turned into its
// A-labels ("Bücher.Example" -> "xn--bcher-kva.example", IDNA2008 with the
// UTS #46 mapping), which is what DNS is asked and what an ASCII spelling of
// the same domain normalises to. A name that is not a valid IDN keeps its
// bytes, lower-cased where ASCII. A domain literal ("[203.0.113.5]") is only
// trimmed.
std::string normalize_domain(std::string_view domain);

// "[...]": an address literal rather than a name (RFC 5321 4.1.3).
bool is_domain_literal(std::string_view domain);

// The normalised domain of an address ("user@Example.ORG" -> "example.org");
// "" when it has no '@'. The domain is what follows the last '@'.
std::string address_domain(std::string_view address);

}  // namespace poolgate
