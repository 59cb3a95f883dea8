// The one way the delivery client gets a socket: marked with its pool
// address's fwmark before it connects, so that policy routing (ip rule fwmark
// -> pool table) sends it from that address. An unmarked delivery socket would
// leave from the host's main address and spend the wrong reputation, so there
// is no fallback: if the mark cannot be set, nothing is sent.
#pragma once

#include <utility>  // Boost 1.74 asio headers use std::exchange without it

#include "mail/source_binding.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace poolgate {

// Opens a TCP socket of `destination`'s family, sets SO_MARK and reads it back,
// and with `bind_source` binds it to the pool address (IP_BIND_ADDRESS_NO_PORT
// first, so the port is chosen at connect and a busy host does not run out of
// ports at bind). nullopt with `error` set to what failed, worded for a 4.4.0
// reply: "cannot set fwmark 0x100 on the socket: Operation not permitted ...".
// A mark of 0 is refused the same way (it would mean "unmarked"), and so is a
// source of the other address family than the destination (its mark's rules
// would not match, and the packets would leave through the main table).
std::optional<boost::asio::ip::tcp::socket> open_marked_socket(
    const boost::asio::any_io_executor& executor, const SourceBinding& source,
    const boost::asio::ip::tcp::endpoint& destination, bool bind_source, std::string& error);

}  // namespace poolgate
