// Internal to dsn/: the pieces build() assembles, each in its own file.
#pragma once

#include "dsn/dsn.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace poolgate::detail {

// --- dsn_text.cpp: header-safe text ---

// RFC 5322 3.3 date-time in UTC: "Tue, 04 Mar 2025 09:05:07 +0000".
std::string rfc5322_date(int64_t unix_seconds);
// "Name: value" CRLF, folded (RFC 5322 2.2.3) before a space so that lines stay
// within 78 characters where the words allow, and never over 998 octets
// (2.1.1). Unfolding gives the value back exactly, except that a run of over
// ~900 octets without a space is cut with CRLF SP, which adds a space there.
std::string field(std::string_view name, std::string_view value);
// Text from the outside (reply texts) made safe for a header or a text part:
// control characters become '?', and so does every non-ASCII octet unless
// `utf8` (then only ill-formed UTF-8 does, RFC 6532 3.2).
std::string clean_text(std::string_view text, bool utf8);
// Word-wraps `text` to `width` columns with `indent` before continuation
// lines, CRLF after each line; words too long for any line are cut.
std::string wrap(std::string_view text, size_t width, std::string_view indent);
bool has_8bit(std::string_view text);

// --- dsn_status_fields.cpp: the message/(global-)delivery-status part ---

// What build() decided once for the whole DSN.
struct Context {
  const Envelope* original = nullptr;
  const DsnOptions* options = nullptr;
  std::string reporting_mta;  // never empty
  bool global = false;        // RFC 6533 types, UTF-8 allowed in the fields
};

// "rfc822; a@example.com", or for a non-ASCII address "utf-8; ..." with the
// RFC 6533 3 encoding (raw UTF-8 only in a global report).
std::string address_type_value(std::string_view address, bool global);
// The Original-Recipient value from a stored ORCPT ("type;address", decoded),
// or "" when it cannot be written faithfully.
std::string original_recipient_value(std::string_view orcpt, bool global);
// X.Y.Z for Status: the reply's enhanced code, else the class of its code with
// ".0.0" (RFC 3463 3.1, as with_enhanced_code() does), else by action.
std::string status_code(const RecipientReport& report);
// "<code> <enhanced> <text lines joined by spaces>", cleaned.
std::string reply_text(const Reply& reply, bool utf8);
// A reply class name fit for a header and the human part (lower case, '-').
bool class_token(std::string_view value);
// The part's body: the per-message block, then one block per report, each
// preceded by an empty line (RFC 3464 2.1).
std::string delivery_status_body(const Context& ctx, const std::vector<const RecipientReport*>& reports);

// --- dsn_returned.cpp: the third part ---

enum class ReturnKind : uint8_t {
  Full,            // the whole message
  HeadersAsked,    // RET=HDRS
  HeadersTooLarge, // RET=FULL/default, but over max_returned_bytes
  HeadersDamaged,  // the stored content is not MIME-safe, its headers are
  Omitted,         // not even the headers are MIME-safe
};

struct Returned {
  ReturnKind kind = ReturnKind::Omitted;
  std::string part_headers;  // Content-Type etc., each line CRLF, no empty line
  std::string body;          // the returned octets (at most max_bytes, or the headers)
};

Returned returned_part(const Envelope& original, std::string_view content, size_t max_bytes,
                       bool global);

// --- dsn_human.cpp: the text/plain first part ---

std::string human_body(const Context& ctx, const std::vector<const RecipientReport*>& reports,
                       const Returned& returned, size_t original_size);

}  // namespace poolgate::detail
