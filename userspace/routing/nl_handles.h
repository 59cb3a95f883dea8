// Owning handles for libnl objects and addresses, and the conversion between
// nl_addr and the address text entries.h carries ("198.51.100.1",
// "2001:db8::/32", "default"), so no caller juggles reference counts.
#pragma once

#include <netlink/addr.h>
#include <netlink/object.h>

#include <memory>
#include <string>

namespace poolgate {

template <class T>
struct NlObjectPut {
  void operator()(T* object) const { nl_object_put(reinterpret_cast<nl_object*>(object)); }
};
// For rtnl_rule, rtnl_route, ...: anything that is an nl_object.
template <class T>
using NlObjectPtr = std::unique_ptr<T, NlObjectPut<T>>;

struct NlAddrPut {
  void operator()(nl_addr* address) const { nl_addr_put(address); }
};
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

// "default" (or "") for an absent/zero-length address; otherwise the address,
// with "/LEN" when it is a prefix shorter than a host address.
std::string address_text(const nl_addr* address, const char* when_empty = "");

// Parses text written by address_text (or "default"); throws std::invalid_argument
// on text that is not an address of `family` (a bug: entries come from the plan
// or from the kernel).
NlAddrPtr parse_address(const std::string& text, int family);

}  // namespace poolgate
