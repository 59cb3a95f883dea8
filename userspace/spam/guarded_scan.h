// The frame every network scanner's scan() shares: the message cut to
// [spam] max_scan_bytes (scan_limit.h), any exception from the exchange
// turned into a failed verdict (a scan always ends in a verdict, so
// on_scanner_failure decides, never a crash), and the truncation noted in the
// verdict's detail.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "mail/verdicts.h"
#include "spam/failure.h"
#include "spam/scan_limit.h"

#include <boost/asio/awaitable.hpp>

#include <exception>
#include <string>
#include <string_view>

namespace poolgate {

// `exchange(std::string_view part)` returns awaitable<SpamVerdict>: the
// scanner's own protocol over the part it may send. `whole_size`: the
// message's size (Envelope::size) when `content` may be only its head, as
// limit_scan() takes it.
template <class Exchange>
boost::asio::awaitable<SpamVerdict> guarded_scan(const char* scanner,
                                                           std::string_view content,
                                                           uint64_t max_scan_bytes,
                                                           uint64_t whole_size,
                                                           Exchange exchange) {
  ScanPart part = limit_scan(content, max_scan_bytes, whole_size);
  SpamVerdict verdict;
  std::string error;
  try {
    verdict = co_await exchange(part.content);
  } catch (const std::exception& e) {  // allocation failure and the like: still a verdict
    error = e.what();
  }
  if (!error.empty()) verdict = failed_verdict(scanner, "internal error: " + error);
  if (part.truncated)
    verdict.detail = part.note() + (verdict.detail.empty() ? "" : "; " + verdict.detail);
  co_return verdict;
}

}  // namespace poolgate
