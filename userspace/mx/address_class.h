// Which resolved addresses delivery may connect to. An MX or A record pointing
// at this host (a typo, a parked domain "127.0.0.1", a misconfigured split
// horizon) would make poolgate deliver to itself: the message would come back
// in and loop. Those are skipped, and when nothing else is left the plan says
// "loops back to myself" (Postfix's wording) instead of retrying for days.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <functional>

namespace poolgate {

using IsLocal = std::function<bool(const boost::asio::ip::address&)>;

enum class AddressClass {
  Usable,
  Loop,      // this host: loopback, unspecified, 0.0.0.0/8, or is_local() says so
  Unusable,  // cannot be a next hop: multicast, broadcast, IPv6 link-local
             // (needs a scope id DNS cannot carry), IPv4-mapped IPv6 (a v6
             // socket to one sends IPv4 packets, which the v6 source's mark
             // rules would not route: the tc program would drop them as leaks)
};

const char* to_string(AddressClass address_class);

// `is_local` may be empty (nothing beyond the built-in checks is local).
AddressClass classify_address(const boost::asio::ip::address& address, const IsLocal& is_local);

}  // namespace poolgate
