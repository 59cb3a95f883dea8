// The source a delivery connection leaves from: a pool address and its fwmark,
// as plan_addresses() numbers them. The pools' picker (pools/) chooses it, the
// delivery client (delivery/) marks its socket with it; the client never picks
// a source itself.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>

namespace poolgate {

struct SourceBinding {
  boost::asio::ip::address address;
  uint32_t fwmark = 0;
};

}  // namespace poolgate
