#include "dns/dns_reverse_name.h"
#include "net/plain_address.h"

namespace poolgate {

std::string reverse_name(const boost::asio::ip::address& address) {
  namespace ip = boost::asio::ip;
  ip::address plain = address;
  plain = plain_address(plain);
  std::string name;
  if (plain.is_v4()) {
    auto bytes = plain.to_v4().to_bytes();
    for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) name += std::to_string(*it) + ".";
    return name + "in-addr.arpa";
  }
  static const char kHex[] = "0123456789abcdef";
  auto bytes = plain.to_v6().to_bytes();
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    name += kHex[*it & 0x0f];
    name += '.';
    name += kHex[*it >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

}  // namespace poolgate
