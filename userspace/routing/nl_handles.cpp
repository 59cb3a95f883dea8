#include "routing/nl_handles.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdexcept>

namespace poolgate {

std::string address_text(const nl_addr* address, const char* when_empty) {
  if (!address || nl_addr_get_len(address) == 0) return when_empty;
  const int family = nl_addr_get_family(address);
  char text[INET6_ADDRSTRLEN] = {};
  if (!::inet_ntop(family, nl_addr_get_binary_addr(address), text, sizeof(text)))
    return "(unprintable address)";
  const unsigned full = family == AF_INET6 ? 128 : 32;
  const unsigned prefixlen = nl_addr_get_prefixlen(address);
  return prefixlen < full ? std::string(text) + "/" + std::to_string(prefixlen) : text;
}

NlAddrPtr parse_address(const std::string& text, int family) {
  nl_addr* address = nullptr;
  if (nl_addr_parse(text.c_str(), family, &address) < 0)
    throw std::invalid_argument("not an address: " + text);
  return NlAddrPtr(address);
}

}  // namespace poolgate
