#include "common/utc_text.h"

#include <fmt/chrono.h>

#include <ctime>

namespace poolgate {

std::string utc_text(int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

}  // namespace poolgate
