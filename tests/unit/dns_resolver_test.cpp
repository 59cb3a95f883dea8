// The c-ares resolver against real servers in a private network namespace:
// dnsmasq for answers (MX, A, AAAA, TXT over UDP and TCP, PTR, NXDOMAIN,
// NODATA, null MX, SOA-based negative TTLs), a scripted responder for
// SERVFAIL and garbage, a silent socket for timeouts; the cache in front of
// it; and many lookups at once on one thread.
#include "dns/dns_caching_resolver.h"
#include "dns/dns_resolver.h"
#include "dns/dns_reverse_name.h"

#include "dns_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using namespace poolgate;
using namespace poolgate::testing;
using poolgate::DnsConfig;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Everything under .test is answered from these records only (--local): a
// name not listed is NXDOMAIN, a listed name asked for another type NODATA.
std::vector<std::string> test_zone() {
  std::string long_string(250, 'x');
  return {
      "--local=/test/", "--local-ttl=120", "--mx-host=mail.test,mx-b.mail.test,20",
      "--mx-host=mail.test,mx-a.mail.test,10", "--mx-host=nullmx.test,.,0",
      "--host-record=host.test,198.51.100.7,2001:db8::7,600",
      "--host-record=multi.test,198.51.100.8", "--host-record=multi.test,203.0.113.8",
      "--txt-record=txt.test,v=spf1 -all",
      // Three 250-octet strings: over 512 octets, so the UDP answer is
      // truncated and c-ares asks again over TCP.
      "--txt-record=long.test," + long_string + "," + long_string + "," + long_string,
      "--ptr-record=7.100.51.198.in-addr.arpa,host.test",
      "--ptr-record=" + reverse_name(asio::ip::make_address("2001:db8::7")) + ",host.test",
      "--address=/many.test/198.51.100.9",  // every name under many.test
  };
}

int thread_count() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(enter_private_network()); }
  void TearDown() override {
    dnsmasq_.stop();
    responder_.stop();
  }
  void start_dnsmasq(std::vector<std::string> records = test_zone()) {
    ASSERT_NO_FATAL_FAILURE(dnsmasq_.start(records));
  }
  Resolver& resolver(DnsConfig config) {
    resolver_.emplace(io_.get_executor(), config);
    return *resolver_;
  }
  Resolver& resolver() { return resolver(dns_config(dnsmasq_.port())); }

  template <class T>
  T run(asio::awaitable<T> work) {
    return run_until_done(io_, std::move(work));
  }

  asio::io_context io_;
  Dnsmasq dnsmasq_;
  ScriptedResponder responder_;
  std::optional<Resolver> resolver_;
};

}  // namespace

TEST_F(DnsResolverTest, MxByPreference) {
  start_dnsmasq();
  MxResult mx = run(resolver().lookup_mx("mail.test"));
  ASSERT_EQ(mx.status, Status::Ok) << mx.detail;
  ASSERT_EQ(mx.records.size(), 2u);
  EXPECT_EQ(mx.records[0].preference, 10);
  EXPECT_EQ(mx.records[0].exchange, "mx-a.mail.test");
  EXPECT_EQ(mx.records[1].exchange, "mx-b.mail.test");
  EXPECT_EQ(mx.ttl, 120u);
  EXPECT_FALSE(mx.null_mx);
  EXPECT_EQ(resolver_->channel().open_sockets(), 0u);  // c-ares closed its socket when idle
}

TEST_F(DnsResolverTest, NullMx) {
  start_dnsmasq();
  MxResult mx = run(resolver().lookup_mx("nullmx.test"));
  ASSERT_EQ(mx.status, Status::Ok) << mx.detail;
  EXPECT_TRUE(mx.null_mx);
  ASSERT_EQ(mx.records.size(), 1u);
  EXPECT_EQ(mx.records[0].exchange, ".");
}

TEST_F(DnsResolverTest, ARecordsWithTtl) {
  start_dnsmasq();
  AddressResult host = run(resolver().lookup_a("host.test"));
  ASSERT_EQ(host.status, Status::Ok) << host.detail;
  ASSERT_EQ(host.records.size(), 1u);
  EXPECT_EQ(host.records[0].address.to_string(), "198.51.100.7");
  EXPECT_EQ(host.records[0].ttl, 600u);
  EXPECT_EQ(host.ttl, 600u);

  AddressResult multi = run(resolver_->lookup_a("multi.test."));
  ASSERT_EQ(multi.status, Status::Ok) << multi.detail;
  std::vector<std::string> seen;
  for (const AddressRecord& record : multi.records) seen.push_back(record.address.to_string());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"198.51.100.8", "203.0.113.8"}));
}

TEST_F(DnsResolverTest, AaaaRecord) {
  start_dnsmasq();
  AddressResult host = run(resolver().lookup_aaaa("host.test"));
  ASSERT_EQ(host.status, Status::Ok) << host.detail;
  ASSERT_EQ(host.records.size(), 1u);
  EXPECT_EQ(host.records[0].address.to_string(), "2001:db8::7");
  EXPECT_EQ(host.records[0].ttl, 600u);
}

TEST_F(DnsResolverTest, TxtOverUdpAndLongTxtOverTcp) {
  start_dnsmasq();
  TxtResult spf = run(resolver().lookup_txt("txt.test"));
  ASSERT_EQ(spf.status, Status::Ok) << spf.detail;
  EXPECT_EQ(spf.records, std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(spf.ttl, 120u);

  TxtResult long_txt = run(resolver_->lookup_txt("long.test"));
  ASSERT_EQ(long_txt.status, Status::Ok) << long_txt.detail;
  ASSERT_EQ(long_txt.records.size(), 1u);
  EXPECT_EQ(long_txt.records[0], std::string(750, 'x'));
  EXPECT_EQ(resolver_->channel().open_sockets(), 0u);
}

TEST_F(DnsResolverTest, PtrForIpv4AndIpv6) {
  start_dnsmasq();
  PtrResult v4 = run(resolver().lookup_ptr(asio::ip::make_address("198.51.100.7")));
  ASSERT_EQ(v4.status, Status::Ok) << v4.detail;
  EXPECT_EQ(v4.names, std::vector<std::string>{"host.test"});
  PtrResult v6 = run(resolver_->lookup_ptr(asio::ip::make_address("2001:db8::7")));
  ASSERT_EQ(v6.status, Status::Ok) << v6.detail;
  EXPECT_EQ(v6.names, std::vector<std::string>{"host.test"});
}

TEST_F(DnsResolverTest, NxDomainAndNoData) {
  start_dnsmasq();
  AddressResult missing = run(resolver().lookup_a("nope.test"));
  EXPECT_EQ(missing.status, Status::NxDomain);
  EXPECT_FALSE(missing.ttl.has_value());  // dnsmasq sends no SOA outside auth mode
  MxResult no_mx = run(resolver_->lookup_mx("host.test"));  // has A and AAAA, no MX
  EXPECT_EQ(no_mx.status, Status::NoData);
  EXPECT_TRUE(no_mx.records.empty());
  AddressResult no_aaaa = run(resolver_->lookup_aaaa("multi.test"));
  EXPECT_EQ(no_aaaa.status, Status::NoData);
}

TEST_F(DnsResolverTest, NegativeAnswersTakeTheirTtlFromTheSoa) {
  // Authoritative mode: negative answers carry the zone's SOA (TTL and
  // MINIMUM both 90 here), which the cache must prefer to its 300 s default.
  start_dnsmasq({"--auth-zone=test", "--auth-server=ns.test,lo",
                 "--auth-soa=1,hostmaster.test,1200,180,1209600", "--auth-ttl=90",
                 "--host-record=host.test,198.51.100.7"});
  AddressResult missing = run(resolver().lookup_a("nope.test"));
  EXPECT_EQ(missing.status, Status::NxDomain);
  EXPECT_EQ(missing.ttl, 90u);
  MxResult no_mx = run(resolver_->lookup_mx("host.test"));
  EXPECT_EQ(no_mx.status, Status::NoData);
  EXPECT_EQ(no_mx.ttl, 90u);

  CachingResolver cache(*resolver_, CachePolicy{});
  EXPECT_EQ(run(cache.lookup_a("nope.test")).ttl, 90u);
}

// Left to itself c-ares 1.18 would wait 300 + 600 + 1200 ms here (it doubles
// the timeout on every round through the servers); the channel's deadline
// cuts that to timeout_ms x attempts = 900 ms.
TEST_F(DnsResolverTest, SilentServerIsTempFailWithinTheDeadline) {
  UdpSocket silent;  // bound, never read
  Resolver& dns = resolver(dns_config(silent.port(), 300, 3));
  EXPECT_EQ(dns.channel().deadline(), std::chrono::milliseconds(900));
  auto start = Clock::now();
  MxResult mx = run(dns.lookup_mx("mail.test"));
  auto took = Clock::now() - start;
  EXPECT_EQ(mx.status, Status::TempFail);
  EXPECT_FALSE(mx.detail.empty());
  EXPECT_GE(took, std::chrono::milliseconds(850));
  EXPECT_LT(took, std::chrono::milliseconds(1600));
}

TEST_F(DnsResolverTest, UpstreamThatNeverAnswersIsTempFailNotNxDomain) {
  // dnsmasq forwards broken.test to a port nobody listens on and, getting no
  // answer, stays silent itself: what a recursive resolver whose upstream is
  // down looks like.
  uint16_t closed = free_port();
  auto zone = test_zone();
  zone.push_back("--server=/broken.test/127.0.0.1#" + std::to_string(closed));
  start_dnsmasq(zone);
  AddressResult result =
      run(resolver(dns_config(dnsmasq_.port(), 200, 2)).lookup_a("x.broken.test"));
  EXPECT_EQ(result.status, Status::TempFail);
}

TEST_F(DnsResolverTest, ServfailIsTempFail) {
  responder_.start("servfail");
  auto start = Clock::now();
  MxResult mx = run(resolver(dns_config(responder_.port(), 1000, 2)).lookup_mx("example.test"));
  EXPECT_EQ(mx.status, Status::TempFail);
  // c-ares 1.18 discards a SERVFAIL to try the next server and, with none
  // left, reports it like an unreachable server; the detail says both.
  EXPECT_NE(mx.detail.find("SERVFAIL"), std::string::npos) << mx.detail;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));  // an answer, not a timeout
}

TEST_F(DnsResolverTest, RefusedIsTempFail) {
  start_dnsmasq();  // serves .test only; anything else it refuses
  AddressResult result = run(resolver().lookup_a("example.org"));
  EXPECT_EQ(result.status, Status::TempFail);
  EXPECT_NE(result.detail.find("REFUSED"), std::string::npos) << result.detail;
}

TEST_F(DnsResolverTest, ConnectionRefusedIsTempFailAtOnce) {
  uint16_t closed = free_port();
  auto start = Clock::now();
  AddressResult result = run(resolver(dns_config(closed, 1000, 2)).lookup_a("host.test"));
  EXPECT_EQ(result.status, Status::TempFail);
  EXPECT_NE(result.detail.find("unreachable"), std::string::npos) << result.detail;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(DnsResolverTest, GarbledAnswerIsMalformed) {
  responder_.start("garbled");
  MxResult mx = run(resolver(dns_config(responder_.port())).lookup_mx("example.test"));
  EXPECT_EQ(mx.status, Status::Malformed) << mx.detail;
}

TEST_F(DnsResolverTest, NameThatCannotBeAskedIsMalformed) {
  start_dnsmasq();
  EXPECT_EQ(run(resolver().lookup_a(std::string(64, 'a') + ".test")).status, Status::Malformed);
  EXPECT_EQ(run(resolver_->lookup_a(std::string("a\0b.test", 8))).status, Status::Malformed);
  EXPECT_EQ(run(resolver_->lookup_a("")).status, Status::Malformed);
}

TEST_F(DnsResolverTest, CacheAnswersAfterTheServerIsGone) {
  start_dnsmasq();
  CachingResolver cache(resolver(), CachePolicy{});
  MxResult first = run(cache.lookup_mx("mail.test"));
  ASSERT_EQ(first.status, Status::Ok) << first.detail;
  AddressResult missing = run(cache.lookup_a("nope.test"));
  ASSERT_EQ(missing.status, Status::NxDomain);
  dnsmasq_.stop();

  MxResult second = run(cache.lookup_mx("mail.test"));
  EXPECT_EQ(second.status, Status::Ok);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.records.size(), 2u);
  EXPECT_EQ(run(cache.lookup_a("nope.test")).status, Status::NxDomain);  // negative, cached
  EXPECT_EQ(run(cache.lookup_a("host.test")).status, Status::TempFail);  // never asked before
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 3u);
}

// 300 lookups started in one turn of the loop, all on this thread. dnsmasq's
// socket buffer overflows under the burst and drops a few dozen queries; c-ares
// retransmits those when the channel's timer fires, so this also exercises the
// ares_timeout() path (and is why the per-try timeout is short here).
TEST_F(DnsResolverTest, ManyConcurrentLookupsOnOneThread) {
  start_dnsmasq();
  Resolver& dns = resolver(dns_config(dnsmasq_.port(), 300, 2));
  constexpr int kLookups = 300;
  int ok = 0, done = 0, most_threads = 0;
  for (int i = 0; i < kLookups; ++i)
    asio::co_spawn(io_, dns.lookup_a("n" + std::to_string(i) + ".many.test"),
                   [&](std::exception_ptr error, AddressResult result) {
                     ++done;
                     ok += !error && result.status == Status::Ok && result.records.size() == 1 &&
                           result.records[0].address.to_string() == "198.51.100.9";
                     most_threads = std::max(most_threads, thread_count());
                   });
  auto start = Clock::now();
  io_.run();
  EXPECT_EQ(done, kLookups);
  EXPECT_EQ(ok, kLookups);
  EXPECT_EQ(most_threads, 1);  // c-ares and Asio both on the test's own thread
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(dns.channel().open_sockets(), 0u);
}

TEST_F(DnsResolverTest, ConcurrentIdenticalLookupsSendOneQuery) {
  start_dnsmasq();
  CachingResolver cache(resolver(), CachePolicy{});
  int ok = 0;
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(io_, cache.lookup_mx("mail.test"), [&](std::exception_ptr, MxResult result) {
      ok += result.status == Status::Ok && result.records.size() == 2;
    });
  io_.run();
  EXPECT_EQ(ok, 50);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.coalesced, 49u);
}

TEST_F(DnsResolverTest, DestroyingTheResolverFailsLookupsInFlight) {
  UdpSocket silent;
  Resolver& dns = resolver(dns_config(silent.port(), 5000, 2));
  std::optional<AddressResult> result;
  asio::co_spawn(io_, dns.lookup_a("host.test"),
                 [&](std::exception_ptr, AddressResult r) { result = r; });
  io_.poll();  // the query is sent and waiting
  auto start = Clock::now();
  resolver_.reset();
  io_.run();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, Status::TempFail);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}
