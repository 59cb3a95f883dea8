// What a DNS lookup returns: a status that keeps "does not exist" apart from
// "could not find out" (delivery bounces on the first and defers on the
// second), the records, and how long they may be believed.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poolgate {

enum class Status {
  Ok,         // records follow
  NoData,     // the name exists but has no records of this type (NOERROR, empty answer)
  NxDomain,   // the name does not exist
  TempFail,   // no usable answer: timeout, SERVFAIL, REFUSED, network error
  Malformed,  // an answer came but could not be parsed, or the name cannot be asked
};
const char* to_string(Status status);

enum class RecordType : uint16_t { A = 1, PTR = 12, MX = 15, TXT = 16, AAAA = 28 };
const char* to_string(RecordType type);

// Common to every lookup's result.
struct Answer {
  Status status = Status::TempFail;
  // Seconds the answer may be believed. From the server: Ok, the smallest
  // TTL in the answer section (CNAMEs included); NoData/NxDomain, RFC 2308's
  // min(SOA TTL, SOA MINIMUM) when the server sent a SOA, else unset. Through
  // the CachingResolver: how long it keeps the answer (clamped to max_ttl_s,
  // negative_ttl_s when unset), counting down on every hit.
  std::optional<uint32_t> ttl;
  std::string detail;  // why, for TempFail and Malformed (for logs)
  bool from_cache = false;
};

struct MxRecord {
  uint16_t preference = 0;
  std::string exchange;  // "." for a null MX
};

struct MxResult : Answer {
  std::vector<MxRecord> records;  // by preference, lowest first; equal ones in server order
  // RFC 7505: the domain accepts no mail (one MX, preference 0, exchange ".").
  // records then holds that one record, so "no MX records, fall back to the
  // A record" (RFC 5321 5.1) can never be taken by mistake.
  bool null_mx = false;
};

struct AddressRecord {
  boost::asio::ip::address address;
  uint32_t ttl = 0;  // this record's own TTL (capped by a CNAME chain's)
};

struct AddressResult : Answer {
  std::vector<AddressRecord> records;
};

struct TxtResult : Answer {
  // One string per TXT record, its character-strings joined (SPF and DKIM
  // records longer than 255 octets are split into several).
  std::vector<std::string> records;
};

struct PtrResult : Answer {
  std::vector<std::string> names;
};

}  // namespace poolgate
