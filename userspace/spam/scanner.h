// The spam scanner classification asks about every accepted message: spamd
// (SpamAssassin's SPAMC/1.5 protocol), rspamd (HTTP /checkv2) or the
// X-Spam-* headers an upstream filter on a trusted client already added.
// Whatever goes wrong (refused, timeout, garbage) comes back as a Failed
// verdict with the reason, never as an exception: what a failure means for the
// message is [spam] on_scanner_failure, decided in classify/decide.h.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "mail/verdicts.h"
#include "config/config.h"
#include "mail/envelope.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace poolgate {

class Scanner {
 public:
  virtual ~Scanner() = default;
  // `envelope` and `content` (the message as stored, CRLF lines) must stay
  // alive until the returned awaitable completes. At most [spam]
  // max_scan_bytes of the content are scanned; [spam] timeout_ms covers the
  // whole exchange, connect included. Never throws.
  virtual boost::asio::awaitable<SpamVerdict> scan(const Envelope& envelope,
                                                            std::string_view content) = 0;
};

// The scanner [spam] asks for, or nullptr for ScannerKind::None.
// `trusted_clients` is relay.client_networks: only mail from these clients is
// believed when it already carries X-Spam-* headers (ScannerKind::Header).
std::unique_ptr<Scanner> make_scanner(boost::asio::any_io_executor executor,
                                      const SpamConfig& config,
                                      const std::vector<Network>& trusted_clients);

}  // namespace poolgate
