// The lookups poolgate needs, as coroutines. Implemented by the c-ares
// resolver (dns_resolver.h) and by the cache in front of it
// (dns_caching_resolver.h), so callers and tests can hold either.
// Single-threaded: call from the thread running the io_context the
// implementation was made with.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "dns/dns_types.h"

#include <boost/asio/awaitable.hpp>

namespace poolgate {

class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
  // Names are asked as given (no search domains); a trailing dot is allowed.
  virtual boost::asio::awaitable<MxResult> lookup_mx(std::string domain) = 0;
  virtual boost::asio::awaitable<AddressResult> lookup_a(std::string name) = 0;
  virtual boost::asio::awaitable<AddressResult> lookup_aaaa(std::string name) = 0;
  virtual boost::asio::awaitable<TxtResult> lookup_txt(std::string name) = 0;
  // The PTR records of in-addr.arpa / ip6.arpa for the address.
  virtual boost::asio::awaitable<PtrResult> lookup_ptr(boost::asio::ip::address address) = 0;
};

}  // namespace poolgate
