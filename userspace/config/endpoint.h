// ADDRESS:PORT as written in the configuration, shared by [relay] listen and
// [dns] servers so both accept exactly the same spellings.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace poolgate {

// "198.51.100.1:25" or "[2001:db8::1]:25". With a default port, a bare address
// ("198.51.100.53", "2001:db8::53") is accepted too and gets that port.
// Port 0 and anything else are rejected.
std::optional<Endpoint> parse_endpoint(const std::string& text,
                                       std::optional<uint16_t> default_port = std::nullopt);

}  // namespace poolgate
