// The part of a message a scanner is given: at most [spam] max_scan_bytes.
// Note: spamc -s does not scan larger messages at all; poolgate scans their
// start instead (the headers and the first part of the body carry nearly every
// signal), so a big message can still be found to be spam.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace poolgate {

struct ScanPart {
  std::string_view content;  // what to send to the scanner
  bool truncated = false;
  uint64_t original_size = 0;
  // For the verdict's detail when truncated: "scanned the first 524288 of 900000 bytes".
  std::string note() const;
};

// Cuts `content` to at most `max_bytes`, at the end of the last whole line
// inside the limit when there is one (a scanner should not see half a line).
// max_bytes 0 means no limit. `whole_size`: the message's size when `content`
// is only its head (the relay keeps relay.stream_threshold_bytes, at least
// max_scan_bytes, in memory and streams the rest to the spool), so the note
// names the real size; 0 = `content` is the whole message.
ScanPart limit_scan(std::string_view content, uint64_t max_bytes, uint64_t whole_size = 0);

}  // namespace poolgate
