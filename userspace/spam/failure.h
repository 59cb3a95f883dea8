// Failed verdicts and the words for why: both network scanners report the same
// kinds of failure ("timeout after 10000 ms", "connection refused by
// 127.0.0.1:783", "unparseable reply: ...") so logs read the same whichever
// scanner is configured.
#pragma once

#include "mail/verdicts.h"
#include "config/config.h"

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace poolgate {

SpamVerdict failed_verdict(std::string scanner, std::string detail);

// Why an I/O step (`what`: "connect", "send", "read") failed. A beast
// tcp_stream deadline (beast::error::timeout) is reported as the whole
// exchange's timeout.
std::string describe_io_error(const boost::system::error_code& ec, std::string_view what,
                              uint32_t timeout_ms, const Endpoint& server);

// At most `max` bytes of a peer's reply for a detail, control characters as '?'.
std::string printable_excerpt(std::string_view text, size_t max = 120);

}  // namespace poolgate
