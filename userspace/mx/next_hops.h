// Where to deliver mail for a domain (RFC 5321 5.1, RFC 7505): the MX hosts in
// preference order and their addresses, or the reason there is nowhere to go
// and whether that is worth retrying. The delivery engine asks once per
// attempt and connects to the hops in order until one accepts.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "dns/dns_lookup.h"
#include "smtp/reply.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace poolgate {

struct NextHop {
  std::string host;  // the MX host name (lower case, no trailing dot); for a
                     // domain literal the canonical literal, "[IPv6:2001:db8::5]"
  uint16_t preference = 0;
  boost::asio::ip::address address;
  // No MX record behind this hop: the domain's own address (implicit MX,
  // RFC 5321 5.1) or a domain literal. TLS policy and logs may care.
  bool implicit = false;
};

enum class PlanStatus { Ok, TempFail, PermFail };

struct NextHopPlan {
  PlanStatus status = PlanStatus::TempFail;
  std::vector<NextHop> hops;  // in the order to try them (Ok only)
  Reply reply;          // TempFail/PermFail: the reply recipients get, with an enhanced code
  std::string detail;         // for logs: which lookup said what
};

// Which families the pool has usable (weight > 0) source addresses in
// (SourcePicker::has_family).
struct Families {
  bool v4 = true;
  bool v6 = true;
};

// Caps, so that a hostile or careless record set cannot make one attempt
// cost hundreds of lookups and connects. At most kMaxMxHosts (mx_hosts.h, 10)
// mail exchangers are resolved; each contributes at most
// kMaxAddressesPerFamily addresses per family (shuffled before the cut, so a
// host with more gets all of them tried over successive attempts); and the
// plan stops at kMaxHops, the most preferred first, without resolving the
// hosts after that. The engine tries the hops in order, so kMaxHops also
// bounds one attempt's connects (Postfix stops at 5: smtp_mx_address_limit).
inline constexpr size_t kMaxAddressesPerFamily = 5;
inline constexpr size_t kMaxHops = 20;

// `is_local(addr)`: true for this host's own addresses (the engine passes one
// built from netlink); may be empty. Loopback, unspecified, multicast and
// v4-mapped-loopback are always skipped regardless (mx/address_class.h).
// `dns` and `rng` must outlive the returned awaitable; the rest is copied.
boost::asio::awaitable<NextHopPlan> resolve_next_hops(
    DnsLookup& dns, std::string domain, Families families,
    std::function<bool(const boost::asio::ip::address&)> is_local, std::mt19937& rng);

}  // namespace poolgate
