// The store behind CachingResolver: answers by key, each with its expiry, at
// most `capacity` of them, the least recently used going first when full.
// It decides nothing about DNS (what to keep for how long is
// dns_caching_resolver.cpp's job) and reads no clock: callers pass `now`, so
// tests drive time by hand.
#pragma once

#include "dns/dns_types.h"

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

namespace poolgate {

using CachedResult = std::variant<MxResult, AddressResult, TxtResult, PtrResult>;

class DnsCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Hit {
    CachedResult result;
    TimePoint stored;   // when it was put
    TimePoint expires;  // first instant it is no longer returned
  };

  explicit DnsCache(size_t capacity) : capacity_(capacity) {}

  // The live entry for `key`, which becomes the most recently used; an
  // expired one is dropped and reported absent.
  std::optional<Hit> get(const std::string& key, TimePoint now);
  // Stores (or replaces) an entry living `ttl`; a zero TTL or capacity stores
  // nothing. Evicts the least recently used entry when full.
  void put(const std::string& key, CachedResult result, TimePoint now, std::chrono::seconds ttl);

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }  // live entries pushed out for room

 private:
  struct Entry {
    std::string key;
    Hit hit;
  };
  void erase(std::list<Entry>::iterator entry);

  size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t evictions_ = 0;
};

}  // namespace poolgate
