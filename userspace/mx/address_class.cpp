#include "mx/address_class.h"

namespace poolgate {

namespace {

// 127/8 loopback and 0/8 "this network" (connecting to 0.0.0.0 reaches this host).
bool is_this_host_v4(const boost::asio::ip::address_v4& address) {
  const uint32_t first_octet = address.to_uint() >> 24;
  return first_octet == 127 || first_octet == 0;
}

AddressClass classify_builtin(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const boost::asio::ip::address_v4 v4 = address.to_v4();
    if (is_this_host_v4(v4)) return AddressClass::Loop;
    if (v4.is_multicast() || v4 == boost::asio::ip::address_v4::broadcast())
      return AddressClass::Unusable;
    return AddressClass::Usable;
  }
  const boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_loopback() || v6.is_unspecified()) return AddressClass::Loop;
  if (v6.is_v4_mapped()) {
    return is_this_host_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6))
               ? AddressClass::Loop
               : AddressClass::Unusable;
  }
  if (v6.is_multicast() || v6.is_link_local()) return AddressClass::Unusable;
  return AddressClass::Usable;
}

}  // namespace

const char* to_string(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::Usable: return "usable";
    case AddressClass::Loop: return "this host";
    case AddressClass::Unusable: return "unusable";
  }
  return "?";
}

AddressClass classify_address(const boost::asio::ip::address& address, const IsLocal& is_local) {
  AddressClass builtin = classify_builtin(address);
  if (builtin != AddressClass::Usable) return builtin;
  if (is_local && is_local(address)) return AddressClass::Loop;
  return AddressClass::Usable;
}

}  // namespace poolgate
