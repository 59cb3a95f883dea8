// The lookups, answered by the DNS servers through c-ares (dns_ares_channel.h)
// and parsed into typed results (dns_reply_parser.h). No cache: put a
// CachingResolver (dns_caching_resolver.h) in front of it.
#pragma once

#include "dns/dns_ares_channel.h"
#include "dns/dns_lookup.h"

namespace poolgate {

class Resolver : public DnsLookup {
 public:
  Resolver(boost::asio::any_io_executor executor, const DnsConfig& config);

  boost::asio::awaitable<MxResult> lookup_mx(std::string domain) override;
  boost::asio::awaitable<AddressResult> lookup_a(std::string name) override;
  boost::asio::awaitable<AddressResult> lookup_aaaa(std::string name) override;
  boost::asio::awaitable<TxtResult> lookup_txt(std::string name) override;
  boost::asio::awaitable<PtrResult> lookup_ptr(boost::asio::ip::address address) override;

  const AresChannel& channel() const { return channel_; }

 private:
  boost::asio::awaitable<RawReply> ask(std::string name, RecordType type);

  AresChannel channel_;
};

}  // namespace poolgate
