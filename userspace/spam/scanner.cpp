#include "spam/scanner.h"

#include "spam/header_scanner.h"
#include "spam/rspamd_scanner.h"
#include "spam/spamd_scanner.h"

namespace poolgate {

std::unique_ptr<Scanner> make_scanner(boost::asio::any_io_executor executor,
                                      const SpamConfig& config,
                                      const std::vector<Network>& trusted_clients) {
  switch (config.scanner) {
    case ScannerKind::None: return nullptr;
    case ScannerKind::Spamd: return std::make_unique<SpamdScanner>(std::move(executor), config);
    case ScannerKind::Rspamd: return std::make_unique<RspamdScanner>(std::move(executor), config);
    case ScannerKind::Header: return std::make_unique<HeaderScanner>(trusted_clients);
  }
  return nullptr;
}

}  // namespace poolgate
