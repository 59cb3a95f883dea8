#include "dns/dns_resolver.h"

#include "dns/dns_reply_parser.h"
#include "dns/dns_reverse_name.h"

#include <ares.h>

namespace poolgate {

namespace asio = boost::asio;

Resolver::Resolver(asio::any_io_executor executor, const DnsConfig& config)
    : channel_(std::move(executor), config) {}

asio::awaitable<RawReply> Resolver::ask(std::string name, RecordType type) {
  // c-ares takes a C string: an embedded NUL would silently ask for a
  // different name, and an empty one for the root.
  if (name.empty() || name.find('\0') != std::string::npos) co_return RawReply{ARES_EBADNAME, {}};
  co_return co_await channel_.query(std::move(name), type);
}

asio::awaitable<MxResult> Resolver::lookup_mx(std::string domain) {
  co_return parse_mx(co_await ask(std::move(domain), RecordType::MX));
}

asio::awaitable<AddressResult> Resolver::lookup_a(std::string name) {
  co_return parse_a(co_await ask(std::move(name), RecordType::A));
}

asio::awaitable<AddressResult> Resolver::lookup_aaaa(std::string name) {
  co_return parse_aaaa(co_await ask(std::move(name), RecordType::AAAA));
}

asio::awaitable<TxtResult> Resolver::lookup_txt(std::string name) {
  co_return parse_txt(co_await ask(std::move(name), RecordType::TXT));
}

asio::awaitable<PtrResult> Resolver::lookup_ptr(asio::ip::address address) {
  co_return parse_ptr(co_await ask(reverse_name(address), RecordType::PTR));
}

}  // namespace poolgate
