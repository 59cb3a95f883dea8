// Unix seconds as ISO 8601 in UTC, "2026-11-27T03:40:00Z": the one spelling of
// a time in JSON views, log lines and CLI tables.
#pragma once

#include <cstdint>
#include <string>

namespace poolgate {

std::string utc_text(int64_t unix_seconds);

}  // namespace poolgate
