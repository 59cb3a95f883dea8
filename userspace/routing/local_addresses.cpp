#include "routing/local_addresses.h"

#include <netlink/route/addr.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>

namespace poolgate {

namespace {

std::optional<boost::asio::ip::address> to_address(const nl_addr* address) {
  if (!address) return std::nullopt;
  const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(address));
  if (nl_addr_get_family(address) == AF_INET && nl_addr_get_len(address) == 4) {
    boost::asio::ip::address_v4::bytes_type v4;
    std::copy_n(bytes, v4.size(), v4.begin());
    return boost::asio::ip::address_v4(v4);
  }
  if (nl_addr_get_family(address) == AF_INET6 && nl_addr_get_len(address) == 16) {
    boost::asio::ip::address_v6::bytes_type v6;
    std::copy_n(bytes, v6.size(), v6.begin());
    return boost::asio::ip::address_v6(v6);
  }
  return std::nullopt;
}

struct Assigned {
  boost::asio::ip::address address;
  bool tentative = false;
};

}  // namespace

LocalAddresses read_local_addresses(NetlinkSession& session) {
  auto assigned = session.dump<Assigned>(
      RTM_GETADDR, [](nl_object* object, std::vector<Assigned>& out) {
        auto* addr = reinterpret_cast<rtnl_addr*>(object);
        if (auto address = to_address(rtnl_addr_get_local(addr))) {
          unsigned flags = rtnl_addr_get_flags(addr);
          out.push_back({*address, (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) != 0});
        }
      });
  LocalAddresses local;
  for (const Assigned& a : assigned) (a.tentative ? local.tentative : local.usable).insert(a.address);
  return local;
}

}  // namespace poolgate
