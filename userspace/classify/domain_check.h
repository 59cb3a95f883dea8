// The sender-domain rule's lookup: does a domain exist for mail, i.e. has it
// an MX or an A record (AAAA too when asked)? Through the delivery engine's
// resolver and cache, so the check costs nothing for domains seen recently.
//
// NXDOMAIN and NODATA mean "none"; so does a null MX (RFC 7505: the domain
// says it accepts no mail, so nothing can be returned to it). A timeout,
// SERVFAIL or an unparseable answer is "unknown", never "none": a resolver
// having a bad moment must not send a legitimate sender to the high-risk pool.
#pragma once

#include "mail/domain_name.h"  // address_domain

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "mail/verdicts.h"
#include "dns/dns_lookup.h"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace poolgate {

boost::asio::awaitable<DomainCheck> check_domain(DnsLookup& dns, std::string role,
                                                 std::string domain, bool check_aaaa);


}  // namespace poolgate
