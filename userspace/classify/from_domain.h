// Reading the few header fields classification needs (Content-Type,
// Auto-Submitted, From:) straight from the stored message, without a MIME
// parser: only the header block (RFC 5322 2.1: up to the first empty line) is
// looked at, so a body that quotes headers (a forwarded bounce, a pasted
// message) can never change a verdict, and the cost does not grow with the body.
#pragma once

#include "mail/header_fields.h"  // find_header_field

#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// The header block of `message`: everything before the first empty line (LF or
// CRLF line ends), or the whole text when there is none.
std::string_view header_block(std::string_view message);


// `text` without RFC 5322 comments "(...)" (nested, with quoted-pairs), each
// replaced by one space; quoted strings are kept as they are.
std::string strip_comments(std::string_view text);

// The domain of the first mailbox in a From: value: `"Name" <a@b.example>`,
// `a@b.example (Name)`, `Group: a@b.example, c@d.example;`. Lower case, final
// dot removed; "" when there is no mailbox with a domain. Display names,
// quoted strings and comments never contribute (a display name "x@y" is not an
// address). A domain literal is returned with its brackets ("[192.0.2.1]").
std::string mailbox_domain(std::string_view from_value);

// mailbox_domain() of the message's first From: field; "" without one.
std::string from_domain(std::string_view message);

}  // namespace poolgate
