#include "dns/dns_cache.h"

namespace poolgate {

std::optional<DnsCache::Hit> DnsCache::get(const std::string& key, TimePoint now) {
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  auto entry = found->second;
  if (now >= entry->hit.expires) {
    erase(entry);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, entry);  // iterators stay valid
  return entry->hit;
}

void DnsCache::put(const std::string& key, CachedResult result, TimePoint now,
                   std::chrono::seconds ttl) {
  if (capacity_ == 0 || ttl <= std::chrono::seconds::zero()) return;
  if (auto found = index_.find(key); found != index_.end()) erase(found->second);
  while (index_.size() >= capacity_) {
    auto oldest = std::prev(entries_.end());
    if (now < oldest->hit.expires) ++evictions_;
    erase(oldest);
  }
  entries_.push_front({key, {std::move(result), now, now + ttl}});
  index_.emplace(key, entries_.begin());
}

void DnsCache::erase(std::list<Entry>::iterator entry) {
  index_.erase(entry->key);
  entries_.erase(entry);
}

}  // namespace poolgate
