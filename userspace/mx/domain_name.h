// The recipient domain as delivery asks DNS about it: normalised host names,
// and domain literals (RFC 5321 4.1.3), which name an address and skip MX
// lookup altogether.
#pragma once

#include "mail/domain_name.h"  // normalize_domain, is_domain_literal

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// "[203.0.113.5]" and "[IPv6:2001:db8::5]" (the tag in any case). nullopt for
// anything else: an IPv6 address without the tag or an IPv4 one with it (both
// malformed by RFC 5321 4.1.3), a General-address-literal "[tag:...]".
std::optional<boost::asio::ip::address> parse_domain_literal(std::string_view literal);

// The canonical literal for an address: "[203.0.113.5]", "[IPv6:2001:db8::5]".
std::string format_domain_literal(const boost::asio::ip::address& address);

// An MX exchange that is an address instead of a host name ("192.0.2.1",
// "[192.0.2.1]", "2001:db8::1"). RFC 5321 5.1 forbids them; resolving one as a
// name would only cost a lookup that cannot succeed, so they are skipped.
bool is_address_exchange(std::string_view exchange);

}  // namespace poolgate
