// The rspamd client: one HTTP/1.1 POST /checkv2 per message over plain TCP
// (Boost.Beast), rspamd_protocol.h for what goes in and comes out, all of it
// under one deadline.
#pragma once

#include "spam/scanner.h"

namespace poolgate {

class RspamdScanner : public Scanner {
 public:
  RspamdScanner(boost::asio::any_io_executor executor, SpamConfig config);
  boost::asio::awaitable<SpamVerdict> scan(const Envelope& envelope,
                                                    std::string_view content) override;

 private:
  boost::asio::awaitable<SpamVerdict> exchange(const Envelope& envelope,
                                                         std::string_view content);

  boost::asio::any_io_executor executor_;
  SpamConfig config_;
};

}  // namespace poolgate
