#include "dns/dns_types.h"

namespace poolgate {

const char* to_string(Status status) {
  switch (status) {
    case Status::Ok: return "ok";
    case Status::NoData: return "nodata";
    case Status::NxDomain: return "nxdomain";
    case Status::TempFail: return "tempfail";
    case Status::Malformed: return "malformed";
  }
  return "?";
}

const char* to_string(RecordType type) {
  switch (type) {
    case RecordType::A: return "A";
    case RecordType::PTR: return "PTR";
    case RecordType::MX: return "MX";
    case RecordType::TXT: return "TXT";
    case RecordType::AAAA: return "AAAA";
  }
  return "?";
}

}  // namespace poolgate
