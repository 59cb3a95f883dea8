#include "spam/scan_limit.h"

#include <algorithm>

namespace poolgate {

std::string ScanPart::note() const {
  if (!truncated) return "";
  return "scanned the first " + std::to_string(content.size()) + " of " +
         std::to_string(original_size) + " bytes";
}

ScanPart limit_scan(std::string_view content, uint64_t max_bytes, uint64_t whole_size) {
  ScanPart part{content, whole_size > content.size(),
                std::max<uint64_t>(whole_size, content.size())};
  if (max_bytes == 0 || content.size() <= max_bytes) return part;
  std::string_view head = content.substr(0, max_bytes);
  // RFC 5322 lines are at most 1000 bytes, so a line end is that close unless
  // the content is not line-structured; then cut where the limit falls.
  size_t last_newline = head.rfind('\n');
  if (last_newline != std::string_view::npos && head.size() - last_newline <= 1000)
    head = head.substr(0, last_newline + 1);
  part.content = head;
  part.truncated = true;
  return part;
}

}  // namespace poolgate
