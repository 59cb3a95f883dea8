#include "dns/dns_reply_parser.h"

#include "dns/dns_ttl_scan.h"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>
#include <memory>

namespace poolgate {
namespace {

// Owns what an ares_parse_* function allocated.
struct AresDataFree {
  void operator()(void* data) const { ares_free_data(data); }
};
struct HostentFree {
  void operator()(hostent* host) const { ares_free_hostent(host); }
};

// Why a query failed, for logs. c-ares 1.18 drops SERVFAIL, REFUSED and NOTIMP
// replies to try the next server and, when none is left, reports
// ARES_ECONNREFUSED as if no server could be reached: the RCODE is lost.
std::string describe_failure(int ares_status) {
  if (ares_status == ARES_ECONNREFUSED)
    return "no server gave a usable answer (unreachable, SERVFAIL or REFUSED)";
  return ares_strerror(ares_status);
}

// The part every record type shares: the status, the TTL, and what to say
// when the records themselves do not parse. `fill` runs the type's c-ares
// parser into the result's records and returns its ARES_* code.
template <class Result, class Fill>
Result interpret(const RawReply& reply, Fill fill) {
  Result result;
  std::optional<ReplyTtls> ttls = scan_ttls(reply.message);
  if (reply.ares_status != ARES_SUCCESS) {
    result.status = status_of(reply.ares_status);
    if (result.status == Status::NoData || result.status == Status::NxDomain) {
      if (ttls) result.ttl = ttls->negative;
    } else {
      result.detail = describe_failure(reply.ares_status);
    }
    return result;
  }
  if (!ttls) {
    result.status = Status::Malformed;
    result.detail = "the reply is cut short or garbled";
    return result;
  }
  int parsed = fill(result);
  if (parsed == ARES_SUCCESS) {
    result.status = Status::Ok;
    result.ttl = ttls->answer;
  } else if (parsed == ARES_ENODATA) {  // e.g. only a CNAME whose target has no such record
    result = Result{};
    result.status = Status::NoData;
    result.ttl = ttls->negative;
  } else {
    result = Result{};
    result.status = Status::Malformed;
    result.detail = ares_strerror(parsed);
  }
  return result;
}

int message_length(const RawReply& reply) { return static_cast<int>(reply.message.size()); }

// A and AAAA differ only in the c-ares struct and parser: `Parse` is
// ares_parse_a_reply or ares_parse_aaaa_reply, `ToAddress` converts one entry.
template <class TtlEntry, class Parse, class ToAddress>
AddressResult parse_addresses(const RawReply& reply, Parse parse, ToAddress to_address) {
  return interpret<AddressResult>(reply, [&](AddressResult& result) {
    // Every address record takes more than 11 octets, so this many always fit.
    std::vector<TtlEntry> entries(reply.message.size() / 11 + 1);
    int count = static_cast<int>(entries.size());
    int status =
        parse(reply.message.data(), message_length(reply), nullptr, entries.data(), &count);
    if (status != ARES_SUCCESS) return status;
    for (int i = 0; i < count; ++i)
      result.records.push_back(
          {to_address(entries[i]), static_cast<uint32_t>(std::max(0, entries[i].ttl))});
    return result.records.empty() ? ARES_ENODATA : ARES_SUCCESS;
  });
}

}  // namespace

Status status_of(int ares_status) {
  switch (ares_status) {
    case ARES_SUCCESS: return Status::Ok;
    case ARES_ENODATA: return Status::NoData;
    case ARES_ENOTFOUND: return Status::NxDomain;
    case ARES_EBADRESP:
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
    case ARES_EBADSTR: return Status::Malformed;
    default: return Status::TempFail;
  }
}

MxResult parse_mx(const RawReply& reply) {
  return interpret<MxResult>(reply, [&](MxResult& result) {
    ares_mx_reply* head = nullptr;
    int status = ares_parse_mx_reply(reply.message.data(), message_length(reply), &head);
    std::unique_ptr<ares_mx_reply, AresDataFree> owner(head);
    if (status != ARES_SUCCESS) return status;
    for (const ares_mx_reply* mx = head; mx; mx = mx->next) {
      std::string exchange = mx->host;
      result.records.push_back({mx->priority, exchange.empty() ? "." : exchange});  // root is ""
    }
    std::stable_sort(
        result.records.begin(), result.records.end(),
        [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    result.null_mx = result.records.size() == 1 && result.records[0].preference == 0 &&
                     result.records[0].exchange == ".";
    return ARES_SUCCESS;
  });
}

AddressResult parse_a(const RawReply& reply) {
  return parse_addresses<ares_addrttl>(reply, ares_parse_a_reply, [](const ares_addrttl& entry) {
    return boost::asio::ip::address(boost::asio::ip::address_v4(ntohl(entry.ipaddr.s_addr)));
  });
}

AddressResult parse_aaaa(const RawReply& reply) {
  return parse_addresses<ares_addr6ttl>(
      reply, ares_parse_aaaa_reply, [](const ares_addr6ttl& entry) {
        boost::asio::ip::address_v6::bytes_type bytes;
        std::copy_n(entry.ip6addr._S6_un._S6_u8, bytes.size(), bytes.begin());
        return boost::asio::ip::address(boost::asio::ip::address_v6(bytes));
      });
}

TxtResult parse_txt(const RawReply& reply) {
  return interpret<TxtResult>(reply, [&](TxtResult& result) {
    ares_txt_ext* head = nullptr;
    int status = ares_parse_txt_reply_ext(reply.message.data(), message_length(reply), &head);
    std::unique_ptr<ares_txt_ext, AresDataFree> owner(head);
    if (status != ARES_SUCCESS) return status;
    // c-ares lists character-strings; record_start marks each record's first.
    for (const ares_txt_ext* part = head; part; part = part->next) {
      if (part->record_start || result.records.empty()) result.records.emplace_back();
      result.records.back().append(reinterpret_cast<const char*>(part->txt), part->length);
    }
    return ARES_SUCCESS;
  });
}

PtrResult parse_ptr(const RawReply& reply) {
  return interpret<PtrResult>(reply, [&](PtrResult& result) {
    hostent* host = nullptr;
    // The address is only copied into the hostent (whose names are all we
    // want), but 1.18 allocates room for it, so it must not be empty.
    static const unsigned char kUnused[4] = {};
    int status = ares_parse_ptr_reply(reply.message.data(), message_length(reply), kUnused,
                                      sizeof kUnused, AF_INET, &host);
    std::unique_ptr<hostent, HostentFree> owner(host);
    if (status != ARES_SUCCESS) return status;
    // c-ares 1.18 lists every PTR target in h_aliases, in answer order.
    for (char** alias = host->h_aliases; alias && *alias; ++alias)
      result.names.emplace_back(*alias);
    return result.names.empty() ? ARES_ENODATA : ARES_SUCCESS;
  });
}

}  // namespace poolgate
