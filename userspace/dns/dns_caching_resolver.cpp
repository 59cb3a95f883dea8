#include "dns/dns_caching_resolver.h"

#include "dns/dns_reverse_name.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>

namespace poolgate {

namespace asio = boost::asio;
using std::chrono::seconds;
using TimePoint = DnsCache::TimePoint;

// Followers sleep on `done` (set to never expire); the leader fills `result`
// and cancels it. Asio 1.74 has no channels or awaitable operators; a
// cancelled timer is its simplest one-to-many wake-up.
struct CachingResolver::Flight {
  explicit Flight(const asio::any_io_executor& executor) : done(executor, TimePoint::max()) {}
  asio::steady_timer done;
  std::optional<CachedResult> result;
};

namespace {

uint32_t whole_seconds(std::chrono::steady_clock::duration duration, bool round_up) {
  auto count =
      round_up ? std::chrono::ceil<seconds>(duration) : std::chrono::floor<seconds>(duration);
  return static_cast<uint32_t>(std::max<seconds::rep>(0, count.count()));
}

// The answer as it goes out: its TTL is what is left of its life, and no
// record claims more. `elapsed` is how long it has been in the cache.
template <class Result>
void set_ttls(Result& result, uint32_t left, uint32_t elapsed) {
  result.ttl = left;
  if constexpr (std::is_same_v<Result, AddressResult>)
    for (AddressRecord& record : result.records)
      record.ttl = std::min(record.ttl > elapsed ? record.ttl - elapsed : 0, left);
}

}  // namespace

CachePolicy CachePolicy::from(const DnsConfig& config) {
  return {config.cache_size, config.max_ttl_s, config.negative_ttl_s};
}

std::optional<seconds> cache_lifetime(const Answer& answer, const CachePolicy& policy) {
  uint32_t ttl = 0;
  switch (answer.status) {
    case Status::Ok: ttl = answer.ttl.value_or(0); break;
    case Status::NoData:
    case Status::NxDomain: ttl = answer.ttl.value_or(policy.negative_ttl_s); break;
    case Status::TempFail:
    case Status::Malformed: return std::nullopt;
  }
  ttl = std::min(ttl, policy.max_ttl_s);
  if (ttl == 0) return std::nullopt;
  return seconds(ttl);
}

std::string normalize_name(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

CachingResolver::CachingResolver(DnsLookup& upstream, CachePolicy policy, Clock clock)
    : upstream_(upstream), policy_(policy), clock_(std::move(clock)), cache_(policy.capacity) {}

CachingResolver::~CachingResolver() = default;

CacheStats CachingResolver::stats() const {
  CacheStats stats = counters_;
  stats.evictions = cache_.evictions();
  stats.entries = cache_.size();
  return stats;
}

template <class Result, class Fetch>
asio::awaitable<Result> CachingResolver::cached(RecordType type, std::string name, Fetch fetch) {
  const std::string key = std::string(to_string(type)) + " " + name;
  const TimePoint now = clock_();
  if (auto hit = cache_.get(key, now)) {
    ++counters_.hits;
    Result result = std::get<Result>(std::move(hit->result));
    set_ttls(result, whole_seconds(hit->expires - now, true),
             whole_seconds(now - hit->stored, false));
    result.from_cache = true;
    co_return result;
  }

  if (auto found = in_flight_.find(key); found != in_flight_.end()) {
    ++counters_.coalesced;
    std::shared_ptr<Flight> flight = found->second;
    boost::system::error_code ignored;  // cancelled is the expected wake-up
    co_await flight->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (flight->result) co_return std::get<Result>(*flight->result);
    Result abandoned;  // only if the timer was cancelled some other way
    abandoned.detail = "the lookup this one waited for was abandoned";
    co_return abandoned;  // status defaults to TempFail
  }

  ++counters_.misses;
  auto flight = std::make_shared<Flight>(co_await asio::this_coro::executor);
  in_flight_.emplace(key, flight);
  Result result;
  try {
    result = co_await fetch();
  } catch (const std::exception& e) {  // followers must wake up whatever happens
    result = Result{};
    result.status = Status::TempFail;
    result.detail = e.what();
  }
  if (auto lifetime = cache_lifetime(result, policy_)) {
    set_ttls(result, static_cast<uint32_t>(lifetime->count()), 0);
    cache_.put(key, result, clock_(), *lifetime);
  }
  flight->result = result;
  in_flight_.erase(key);
  flight->done.cancel();
  co_return result;
}

asio::awaitable<MxResult> CachingResolver::lookup_mx(std::string domain) {
  std::string name = normalize_name(std::move(domain));
  co_return co_await cached<MxResult>(RecordType::MX, name,
                                      [&] { return upstream_.lookup_mx(name); });
}

asio::awaitable<AddressResult> CachingResolver::lookup_a(std::string name) {
  name = normalize_name(std::move(name));
  co_return co_await cached<AddressResult>(RecordType::A, name,
                                           [&] { return upstream_.lookup_a(name); });
}

asio::awaitable<AddressResult> CachingResolver::lookup_aaaa(std::string name) {
  name = normalize_name(std::move(name));
  co_return co_await cached<AddressResult>(RecordType::AAAA, name,
                                           [&] { return upstream_.lookup_aaaa(name); });
}

asio::awaitable<TxtResult> CachingResolver::lookup_txt(std::string name) {
  name = normalize_name(std::move(name));
  co_return co_await cached<TxtResult>(RecordType::TXT, name,
                                       [&] { return upstream_.lookup_txt(name); });
}

asio::awaitable<PtrResult> CachingResolver::lookup_ptr(asio::ip::address address) {
  co_return co_await cached<PtrResult>(RecordType::PTR, reverse_name(address),
                                       [&] { return upstream_.lookup_ptr(address); });
}

}  // namespace poolgate
