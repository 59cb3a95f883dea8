// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. Logs, access
// control, Received: headers and PTR names all want the plain IPv4 address, so
// every place that takes an address from the network unwraps it here.
#pragma once

#include <boost/asio/ip/address.hpp>

namespace poolgate {

inline boost::asio::ip::address plain_address(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return address;
}

}  // namespace poolgate
