// The DNS cache's policy, with a scripted upstream and a clock moved by hand:
// TTL expiry and clamping, RFC 2308 negative caching, no caching of
// failures, the LRU bound, name normalisation and coalescing of concurrent
// identical lookups.
#include "dns/dns_cache.h"
#include "dns/dns_caching_resolver.h"

#include "dns_test_support.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

using namespace poolgate;
using poolgate::testing::run_until_done;
namespace asio = boost::asio;
using std::chrono::seconds;

namespace {

AddressResult addresses(Status status, std::optional<uint32_t> ttl,
                        std::vector<std::pair<const char*, uint32_t>> records = {}) {
  AddressResult result;
  result.status = status;
  result.ttl = ttl;
  for (auto [text, record_ttl] : records)
    result.records.push_back({asio::ip::make_address(text), record_ttl});
  return result;
}

// Answers from a script, counting what it is asked. With `delay`, every
// answer takes that long (real time, short) so that callers overlap.
class ScriptedLookup : public DnsLookup {
 public:
  std::map<std::string, AddressResult> a;  // by name as asked
  MxResult mx;
  PtrResult ptr;
  std::chrono::milliseconds delay{0};
  bool throw_instead = false;
  std::map<std::string, int> calls;  // "A name", "MX name", "PTR address"

  asio::awaitable<MxResult> lookup_mx(std::string domain) override {
    co_await answer_after_delay("MX " + domain);
    co_return mx;
  }
  asio::awaitable<AddressResult> lookup_a(std::string name) override {
    co_await answer_after_delay("A " + name);
    auto it = a.find(name);
    co_return it == a.end() ? addresses(Status::NxDomain, std::nullopt) : it->second;
  }
  asio::awaitable<AddressResult> lookup_aaaa(std::string name) override {
    co_await answer_after_delay("AAAA " + name);
    co_return addresses(Status::NoData, std::nullopt);
  }
  asio::awaitable<TxtResult> lookup_txt(std::string name) override {
    co_await answer_after_delay("TXT " + name);
    co_return TxtResult{};
  }
  asio::awaitable<PtrResult> lookup_ptr(asio::ip::address address) override {
    co_await answer_after_delay("PTR " + address.to_string());
    co_return ptr;
  }

 private:
  asio::awaitable<void> answer_after_delay(std::string what) {
    ++calls[what];
    if (delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (throw_instead) throw std::runtime_error("upstream broke");
  }
};

class DnsCacheTest : public ::testing::Test {
 protected:
  CachingResolver make(CachePolicy policy = {}) {
    return CachingResolver(upstream_, policy, [this] { return now_; });
  }
  AddressResult a(CachingResolver& cache, const std::string& name) {
    return run_until_done(io_, cache.lookup_a(name));
  }
  void advance(seconds by) { now_ += by; }

  asio::io_context io_;
  ScriptedLookup upstream_;
  std::chrono::steady_clock::time_point now_{seconds(1000)};
};

}  // namespace

TEST_F(DnsCacheTest, PositiveAnswerLivesForItsTtl) {
  upstream_.a["host.example.org"] = addresses(Status::Ok, 60, {{"198.51.100.7", 60}});
  CachingResolver cache = make();
  AddressResult first = a(cache, "host.example.org");
  EXPECT_EQ(first.status, Status::Ok);
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(first.ttl, 60u);

  advance(seconds(59));
  AddressResult second = a(cache, "host.example.org");
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.ttl, 1u);
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(second.records[0].ttl, 1u);
  EXPECT_EQ(upstream_.calls["A host.example.org"], 1);

  advance(seconds(1));  // expired exactly at its TTL
  EXPECT_FALSE(a(cache, "host.example.org").from_cache);
  EXPECT_EQ(upstream_.calls["A host.example.org"], 2);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST_F(DnsCacheTest, RecordTtlsCountDownAndNeverOutliveTheEntry) {
  upstream_.a["host.example.org"] =
      addresses(Status::Ok, 50, {{"198.51.100.7", 50}, {"198.51.100.8", 100}});
  CachingResolver cache = make();
  a(cache, "host.example.org");
  advance(seconds(20));
  AddressResult hit = a(cache, "host.example.org");
  EXPECT_EQ(hit.ttl, 30u);
  EXPECT_EQ(hit.records[0].ttl, 30u);
  EXPECT_EQ(hit.records[1].ttl, 30u);  // 80 left of its own, but the entry goes in 30
}

TEST_F(DnsCacheTest, TtlIsClampedToMax) {
  upstream_.a["host.example.org"] = addresses(Status::Ok, 7 * 86400, {{"198.51.100.7", 7 * 86400}});
  CachingResolver cache = make({.capacity = 10, .max_ttl_s = 3600, .negative_ttl_s = 300});
  EXPECT_EQ(a(cache, "host.example.org").ttl, 3600u);
  advance(seconds(3599));
  EXPECT_TRUE(a(cache, "host.example.org").from_cache);
  advance(seconds(1));
  EXPECT_FALSE(a(cache, "host.example.org").from_cache);
}

TEST_F(DnsCacheTest, NegativeAnswerUsesTheSoaTtl) {
  upstream_.a["gone.example.org"] = addresses(Status::NxDomain, 30);
  CachingResolver cache = make();
  EXPECT_EQ(a(cache, "gone.example.org").ttl, 30u);
  advance(seconds(29));
  AddressResult hit = a(cache, "gone.example.org");
  EXPECT_EQ(hit.status, Status::NxDomain);
  EXPECT_TRUE(hit.from_cache);
  advance(seconds(1));
  EXPECT_FALSE(a(cache, "gone.example.org").from_cache);
}

TEST_F(DnsCacheTest, NegativeAnswerWithoutSoaUsesTheConfiguredTtl) {
  CachingResolver cache = make({.capacity = 10, .max_ttl_s = 86400, .negative_ttl_s = 120});
  // The scripted upstream says NXDOMAIN without a TTL for unknown A names, and
  // NODATA without one for every AAAA.
  EXPECT_EQ(a(cache, "unknown.example.org").ttl, 120u);
  AddressResult nodata = run_until_done(io_, cache.lookup_aaaa("host.example.org"));
  EXPECT_EQ(nodata.status, Status::NoData);
  EXPECT_EQ(nodata.ttl, 120u);
  advance(seconds(119));
  EXPECT_TRUE(a(cache, "unknown.example.org").from_cache);
  EXPECT_TRUE(run_until_done(io_, cache.lookup_aaaa("host.example.org")).from_cache);
  advance(seconds(1));
  EXPECT_FALSE(a(cache, "unknown.example.org").from_cache);
}

TEST_F(DnsCacheTest, TempFailAndMalformedAreNeverCached) {
  upstream_.a["flaky.example.org"] = addresses(Status::TempFail, std::nullopt);
  upstream_.a["broken.example.org"] = addresses(Status::Malformed, std::nullopt);
  CachingResolver cache = make();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a(cache, "flaky.example.org").status, Status::TempFail);
    EXPECT_EQ(a(cache, "broken.example.org").status, Status::Malformed);
  }
  EXPECT_EQ(upstream_.calls["A flaky.example.org"], 3);
  EXPECT_EQ(upstream_.calls["A broken.example.org"], 3);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(DnsCacheTest, ZeroTtlIsNotCached) {
  upstream_.a["zero.example.org"] = addresses(Status::Ok, 0, {{"198.51.100.7", 0}});
  CachingResolver cache = make();
  a(cache, "zero.example.org");
  a(cache, "zero.example.org");
  EXPECT_EQ(upstream_.calls["A zero.example.org"], 2);
}

TEST_F(DnsCacheTest, LeastRecentlyUsedIsEvictedFirst) {
  for (const char* name : {"a.example.org", "b.example.org", "c.example.org"})
    upstream_.a[name] = addresses(Status::Ok, 300, {{"198.51.100.7", 300}});
  CachingResolver cache = make({.capacity = 2, .max_ttl_s = 86400, .negative_ttl_s = 300});
  a(cache, "a.example.org");
  a(cache, "b.example.org");
  EXPECT_TRUE(a(cache, "a.example.org").from_cache);  // a is now the most recent
  a(cache, "c.example.org");                          // full: b goes
  EXPECT_TRUE(a(cache, "a.example.org").from_cache);
  EXPECT_TRUE(a(cache, "c.example.org").from_cache);
  EXPECT_FALSE(a(cache, "b.example.org").from_cache);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.evictions, 2u);  // b for c, then a (least recent by then) for b
}

TEST_F(DnsCacheTest, ZeroCapacityCachesNothingButStillAnswers) {
  upstream_.a["host.example.org"] = addresses(Status::Ok, 300, {{"198.51.100.7", 300}});
  CachingResolver cache = make({.capacity = 0, .max_ttl_s = 86400, .negative_ttl_s = 300});
  EXPECT_EQ(a(cache, "host.example.org").status, Status::Ok);
  EXPECT_FALSE(a(cache, "host.example.org").from_cache);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(DnsCacheTest, NamesAreCaseAndTrailingDotInsensitiveTypesAreNot) {
  upstream_.a["host.example.org"] = addresses(Status::Ok, 300, {{"198.51.100.7", 300}});
  CachingResolver cache = make();
  a(cache, "Host.Example.ORG.");
  EXPECT_TRUE(a(cache, "host.example.org").from_cache);
  EXPECT_FALSE(run_until_done(io_, cache.lookup_aaaa("host.example.org")).from_cache);
  EXPECT_FALSE(run_until_done(io_, cache.lookup_mx("host.example.org")).from_cache);
  EXPECT_EQ(upstream_.calls["A host.example.org"], 1);
}

TEST_F(DnsCacheTest, PtrIsCachedByAddressIncludingV4Mapped) {
  upstream_.ptr.status = Status::Ok;
  upstream_.ptr.ttl = 300;
  upstream_.ptr.names = {"host.example.org"};
  CachingResolver cache = make();
  run_until_done(io_, cache.lookup_ptr(asio::ip::make_address("198.51.100.7")));
  PtrResult hit =
      run_until_done(io_, cache.lookup_ptr(asio::ip::make_address("::ffff:198.51.100.7")));
  EXPECT_TRUE(hit.from_cache);
  EXPECT_EQ(hit.names, std::vector<std::string>{"host.example.org"});
}

TEST_F(DnsCacheTest, ConcurrentIdenticalLookupsShareOneUpstreamQuery) {
  upstream_.mx.status = Status::Ok;
  upstream_.mx.ttl = 300;
  upstream_.mx.records = {{10, "mx.example.org"}};
  upstream_.delay = std::chrono::milliseconds(20);
  CachingResolver cache = make();
  std::vector<MxResult> results;
  for (int i = 0; i < 10; ++i)
    asio::co_spawn(io_, cache.lookup_mx(i % 2 ? "example.org" : "EXAMPLE.org."),
                   [&](std::exception_ptr, MxResult result) { results.push_back(result); });
  io_.run();
  ASSERT_EQ(results.size(), 10u);
  for (const MxResult& result : results) {
    EXPECT_EQ(result.status, Status::Ok);
    ASSERT_EQ(result.records.size(), 1u);
    EXPECT_EQ(result.records[0].exchange, "mx.example.org");
  }
  EXPECT_EQ(upstream_.calls["MX example.org"], 1);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.coalesced, 9u);
}

TEST_F(DnsCacheTest, ConcurrentLookupsShareATempFailWhichIsThenForgotten) {
  upstream_.a["flaky.example.org"] = addresses(Status::TempFail, std::nullopt);
  upstream_.delay = std::chrono::milliseconds(20);
  CachingResolver cache = make();
  int tempfails = 0;
  for (int i = 0; i < 5; ++i)
    asio::co_spawn(
        io_, cache.lookup_a("flaky.example.org"),
        [&](std::exception_ptr, AddressResult r) { tempfails += r.status == Status::TempFail; });
  io_.run();
  EXPECT_EQ(tempfails, 5);
  EXPECT_EQ(upstream_.calls["A flaky.example.org"], 1);
  a(cache, "flaky.example.org");  // not cached: asked again
  EXPECT_EQ(upstream_.calls["A flaky.example.org"], 2);
}

TEST_F(DnsCacheTest, UpstreamExceptionWakesEveryWaiterWithTempFail) {
  upstream_.throw_instead = true;
  upstream_.delay = std::chrono::milliseconds(5);
  CachingResolver cache = make();
  std::vector<AddressResult> results;
  for (int i = 0; i < 3; ++i)
    asio::co_spawn(io_, cache.lookup_a("host.example.org"),
                   [&](std::exception_ptr, AddressResult r) { results.push_back(r); });
  io_.run();
  ASSERT_EQ(results.size(), 3u);
  for (const AddressResult& r : results) {
    EXPECT_EQ(r.status, Status::TempFail);
    EXPECT_EQ(r.detail, "upstream broke");
  }
}

TEST(DnsCacheStore, ExpiresAtTheInstantAndReplacesInPlace) {
  DnsCache cache(4);
  auto t0 = std::chrono::steady_clock::time_point(seconds(50));
  cache.put("A x", addresses(Status::Ok, 10), t0, seconds(10));
  EXPECT_TRUE(cache.get("A x", t0 + seconds(9)).has_value());
  EXPECT_FALSE(cache.get("A x", t0 + seconds(10)).has_value());
  EXPECT_EQ(cache.size(), 0u);  // dropped when found expired

  cache.put("A x", addresses(Status::Ok, 10), t0, seconds(10));
  cache.put("A x", addresses(Status::NxDomain, 20), t0, seconds(20));
  EXPECT_EQ(cache.size(), 1u);
  auto hit = cache.get("A x", t0 + seconds(15));
  ASSERT_TRUE(hit);
  EXPECT_EQ(std::get<AddressResult>(hit->result).status, Status::NxDomain);
}

TEST(DnsCacheStore, ExpiredEntriesMakeRoomWithoutCountingAsEvictions) {
  DnsCache cache(1);
  auto t0 = std::chrono::steady_clock::time_point(seconds(50));
  cache.put("A x", addresses(Status::Ok, 5), t0, seconds(5));
  cache.put("A y", addresses(Status::Ok, 5), t0 + seconds(6), seconds(5));
  EXPECT_EQ(cache.evictions(), 0u);
  cache.put("A z", addresses(Status::Ok, 5), t0 + seconds(7), seconds(5));
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DnsCachePolicy, Lifetimes) {
  CachePolicy policy{.capacity = 1, .max_ttl_s = 1000, .negative_ttl_s = 300};
  auto lifetime = [&](Status status, std::optional<uint32_t> ttl) {
    Answer answer;
    answer.status = status;
    answer.ttl = ttl;
    return cache_lifetime(answer, policy);
  };
  EXPECT_EQ(lifetime(Status::Ok, 60), seconds(60));
  EXPECT_EQ(lifetime(Status::Ok, 5000), seconds(1000));
  EXPECT_EQ(lifetime(Status::Ok, 0), std::nullopt);
  EXPECT_EQ(lifetime(Status::NxDomain, std::nullopt), seconds(300));
  EXPECT_EQ(lifetime(Status::NoData, 45), seconds(45));
  EXPECT_EQ(lifetime(Status::NoData, 99999), seconds(1000));
  EXPECT_EQ(lifetime(Status::TempFail, 60), std::nullopt);
  EXPECT_EQ(lifetime(Status::Malformed, 60), std::nullopt);
}
