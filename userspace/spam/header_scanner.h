// ScannerKind::Header ([spam] scanner = "trusted_header"): no scanner of our
// own. A client inside relay.client_networks (say, a mail server whose own
// SpamAssassin already looked at the message) marks spam with X-Spam-Flag: YES
// or X-Spam-Status: Yes, score=..., and poolgate believes it. The same headers
// from any other client are ignored: anyone can write them.
#pragma once

#include "spam/scanner.h"

namespace poolgate {

// The verdict the X-Spam-* fields of `message` give, for a trusted client:
// Spam when any X-Spam-Flag is YES or any X-Spam-Status starts with Yes
// (case-insensitive); otherwise Clean. score= and required= are taken from
// X-Spam-Status when present. scanner = "header".
SpamVerdict judge_spam_headers(std::string_view message);

class HeaderScanner : public Scanner {
 public:
  explicit HeaderScanner(std::vector<Network> trusted_clients);
  boost::asio::awaitable<SpamVerdict> scan(const Envelope& envelope,
                                                    std::string_view content) override;
  // The verdict without the coroutine: what scan() returns.
  SpamVerdict judge(const Envelope& envelope, std::string_view content) const;

 private:
  bool trusted(const std::string& client_address) const;

  std::vector<Network> trusted_clients_;
};

}  // namespace poolgate
