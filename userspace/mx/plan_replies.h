// The replies a next-hop plan gives recipients when it finds nowhere to
// deliver. Codes and enhanced codes in one place (RFC 3463, RFC 7505); texts
// follow Postfix where operators and senders know them. TempFail replies are
// 4xx: the message is retried, never bounced, because the answer may change.
#pragma once

#include "smtp/reply.h"

#include <string_view>

namespace poolgate::plan_replies {

Reply null_mx();                                // 556 5.1.10 (RFC 7505 4.2)
Reply domain_not_found(std::string_view domain);      // 550 5.1.2 (MX NXDOMAIN)
Reply no_mx_and_no_address(std::string_view domain);  // 550 5.1.2 (implicit MX empty)
Reply bad_domain(std::string_view domain);      // 550 5.1.2 (empty name)
Reply bad_literal(std::string_view literal);    // 550 5.1.3 (malformed domain literal)
Reply dns_tempfail(std::string_view domain);    // 451 4.4.3
Reply no_route(std::string_view domain);        // 550 5.4.4
Reply loops_back(std::string_view domain);      // 554 5.4.6
// 451 4.4.4: the next hops have addresses only in a family the pool has no
// (weight > 0) source address in; `family` is "IPv4" or "IPv6".
Reply missing_family(std::string_view domain, std::string_view family);

}  // namespace poolgate::plan_replies
