// A cache in front of another DnsLookup (normally the c-ares Resolver):
//  - positive answers live for their TTL, cut to max_ttl_s;
//  - NXDOMAIN and NODATA are cached too (RFC 2308): for min(SOA TTL, SOA
//    MINIMUM) when the reply's authority section had a SOA, else for
//    negative_ttl_s; also cut to max_ttl_s;
//  - TempFail and Malformed are never cached: a resolver that timed out must
//    be asked again by the next delivery attempt. What keeps a failing name
//    from being hammered is coalescing: however many callers want one
//    name/type at once, one query is in flight and all of them get its answer;
//  - at most cache_size entries, least recently used evicted first;
//  - counters for metrics; an injectable clock for tests.
// Single-threaded, like the Resolver.
#pragma once

#include "config/config.h"
#include "dns/dns_cache.h"
#include "dns/dns_lookup.h"

#include <functional>
#include <memory>
#include <unordered_map>

namespace poolgate {

struct CachePolicy {
  size_t capacity = 10000;
  uint32_t max_ttl_s = 86400;
  uint32_t negative_ttl_s = 300;
  static CachePolicy from(const DnsConfig& config);
};

struct CacheStats {
  uint64_t hits = 0;       // answered from the cache
  uint64_t misses = 0;     // sent upstream
  uint64_t coalesced = 0;  // joined a query already in flight for the same name/type
  uint64_t evictions = 0;  // live entries pushed out by the size bound
  size_t entries = 0;
};

// How long an answer may be kept; nullopt = not at all (TempFail, Malformed,
// or a TTL of zero).
std::optional<std::chrono::seconds> cache_lifetime(const Answer& answer, const CachePolicy& policy);

// The cache key part of a name: lower case, without the trailing dot.
std::string normalize_name(std::string name);

class CachingResolver : public DnsLookup {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  CachingResolver(
      DnsLookup& upstream, CachePolicy policy,
      Clock clock = [] { return std::chrono::steady_clock::now(); });
  ~CachingResolver() override;

  boost::asio::awaitable<MxResult> lookup_mx(std::string domain) override;
  boost::asio::awaitable<AddressResult> lookup_a(std::string name) override;
  boost::asio::awaitable<AddressResult> lookup_aaaa(std::string name) override;
  boost::asio::awaitable<TxtResult> lookup_txt(std::string name) override;
  boost::asio::awaitable<PtrResult> lookup_ptr(boost::asio::ip::address address) override;

  CacheStats stats() const;

 private:
  struct Flight;  // one upstream query and the callers waiting for it

  template <class Result, class Fetch>
  boost::asio::awaitable<Result> cached(RecordType type, std::string name, Fetch fetch);

  DnsLookup& upstream_;
  CachePolicy policy_;
  Clock clock_;
  DnsCache cache_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> in_flight_;
  CacheStats counters_;
};

}  // namespace poolgate
