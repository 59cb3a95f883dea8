// Turns what c-ares returned for one query into a typed result. Record data is
// decoded by c-ares' own parsers (ares_parse_*_reply); TTLs the 1.18 parsers do
// not give come from dns_ttl_scan.h.
#pragma once

#include "dns/dns_raw_reply.h"
#include "dns/dns_types.h"

namespace poolgate {

// ARES_SUCCESS -> Ok, ARES_ENODATA -> NoData, ARES_ENOTFOUND -> NxDomain; a
// reply that cannot be parsed or a name that cannot be asked -> Malformed;
// everything else (timeout, SERVFAIL, REFUSED, connection errors, ...) ->
// TempFail, so that no failure to get an answer reads as "does not exist".
Status status_of(int ares_status);

MxResult parse_mx(const RawReply& reply);
AddressResult parse_a(const RawReply& reply);
AddressResult parse_aaaa(const RawReply& reply);
TxtResult parse_txt(const RawReply& reply);
PtrResult parse_ptr(const RawReply& reply);

}  // namespace poolgate
