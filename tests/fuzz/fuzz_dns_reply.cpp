// Fuzzes the DNS reply parsers (dns_reply_parser: c-ares' record parsers plus
// the TTL scan) on a raw message from a server. Byte 0 picks the record type
// and the c-ares status; the rest is the message. Besides memory safety it
// checks that Ok comes only from a successful query, that only Ok carries
// records, that MX records come by preference and addresses in the family
// asked for. (An MX "Ok" without records is possible, from c-ares; the
// consumers treat it as NoData, mx/next_hops.cpp.)
#include "dns/dns_reply_parser.h"
#include "dns/dns_ttl_scan.h"
#include "fuzz_check.h"

#include <ares.h>

#include <cstdint>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  RawReply reply;
  // Mostly ARES_SUCCESS, where the parsers run; the rest for the negative paths.
  static constexpr int kStatuses[] = {ARES_SUCCESS, ARES_SUCCESS, ARES_SUCCESS, ARES_ENODATA,
                                      ARES_ENOTFOUND, ARES_ETIMEOUT, ARES_EBADRESP, ARES_SUCCESS};
  reply.ares_status = kStatuses[(data[0] >> 3) & 7];
  reply.message.assign(data + 1, data + size);

  std::optional<ReplyTtls> ttls = scan_ttls(reply.message);
  (void)ttls;

  switch (data[0] & 7) {
    case 0: case 5: {
      MxResult r = parse_mx(reply);
      for (size_t i = 1; i < r.records.size(); ++i)
        FUZZ_CHECK(r.records[i - 1].preference <= r.records[i].preference);
      if (r.status != Status::Ok) FUZZ_CHECK(r.records.empty());
      FUZZ_CHECK(r.status != Status::Ok || reply.ares_status == ARES_SUCCESS);
      return 0;
    }
    case 1: case 2: {
      AddressResult r = data[0] & 1 ? parse_a(reply) : parse_aaaa(reply);
      for (const AddressRecord& a : r.records)
        FUZZ_CHECK((data[0] & 1) ? a.address.is_v4() : a.address.is_v6());
      if (r.status != Status::Ok) FUZZ_CHECK(r.records.empty());
      FUZZ_CHECK(r.status != Status::Ok || reply.ares_status == ARES_SUCCESS);
      FUZZ_CHECK(r.status != Status::Ok || !r.records.empty());
      return 0;
    }
    case 3: case 6: {
      TxtResult r = parse_txt(reply);
      if (r.status != Status::Ok) FUZZ_CHECK(r.records.empty());
      FUZZ_CHECK(r.status != Status::Ok || reply.ares_status == ARES_SUCCESS);
      return 0;
    }
    default: {
      PtrResult r = parse_ptr(reply);
      if (r.status != Status::Ok) FUZZ_CHECK(r.names.empty());
      FUZZ_CHECK(r.status != Status::Ok || reply.ares_status == ARES_SUCCESS);
      return 0;
    }
  }
}
