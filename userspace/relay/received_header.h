// The trace header poolgate prepends to every accepted message (RFC 5321 4.4,
// protocol names from RFC 3848 and RFC 6531 3.7.3).
#pragma once

#include "mail/envelope.h"

#include <string>

namespace poolgate {

// "Received: from HELO (IP [IP])\r\n\tby HOST (poolgate) with ESMTPS id ID\r\n
//  \tfor <rcpt>; DATE\r\n"; `for` only with a single recipient (it would leak
// the other recipients' addresses otherwise). `esmtp` false means HELO.
std::string received_header(const Envelope& envelope, const std::string& hostname, bool esmtp);

// RFC 5322 3.3 date-time in UTC, e.g. "Fri, 27 Nov 2026 03:40:00 +0000".
std::string rfc5322_date(int64_t unix_seconds);

}  // namespace poolgate
