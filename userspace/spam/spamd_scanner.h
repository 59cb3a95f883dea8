// The spamd client: one connection per message (spamd closes after each
// reply), the SPAMC/1.5 exchange of spamd_protocol.h under one deadline.
#pragma once

#include "spam/scanner.h"

namespace poolgate {

class SpamdScanner : public Scanner {
 public:
  SpamdScanner(boost::asio::any_io_executor executor, SpamConfig config);
  boost::asio::awaitable<SpamVerdict> scan(const Envelope& envelope,
                                                    std::string_view content) override;

 private:
  boost::asio::awaitable<SpamVerdict> exchange(std::string_view content);

  boost::asio::any_io_executor executor_;
  SpamConfig config_;
};

}  // namespace poolgate
