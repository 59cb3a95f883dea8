// The name a PTR lookup asks for: 7.100.51.198.in-addr.arpa for 198.51.100.7,
// nibbles under ip6.arpa for IPv6 (RFC 3596 2.5). An IPv4-mapped IPv6 address
// (a dual-stack socket's view of an IPv4 peer) is looked up as the IPv4 one.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>

namespace poolgate {

std::string reverse_name(const boost::asio::ip::address& address);

}  // namespace poolgate
