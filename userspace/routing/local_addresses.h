// The addresses assigned to this host's interfaces, as the kernel sees them
// when it checks a route's preferred source: an IPv6 address still in (or
// failed) duplicate address detection is assigned but not usable.
#pragma once

#include "routing/netlink_session.h"

#include <boost/asio/ip/address.hpp>

#include <set>

namespace poolgate {

struct LocalAddresses {
  std::set<boost::asio::ip::address> usable;
  std::set<boost::asio::ip::address> tentative;  // IPv6 DAD pending or failed
};

LocalAddresses read_local_addresses(NetlinkSession& session);

}  // namespace poolgate
