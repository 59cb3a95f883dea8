// One query's outcome as c-ares hands it over: its status and, when a server
// answered, the reply itself (also for NXDOMAIN and NODATA, whose authority
// section carries the SOA that says how long the negative answer holds).
#pragma once

#include <vector>

namespace poolgate {

struct RawReply {
  int ares_status = 0;                 // ARES_SUCCESS, ARES_ENOTFOUND, ARES_ETIMEOUT, ...
  std::vector<unsigned char> message;  // empty when no server answered
};

}  // namespace poolgate
