// Reads the [delivery] section and its [[delivery.destination]] tables (see
// config/poolgate.toml for every key). Ranges and advice: validate_delivery.h.
#pragma once

#include "config/config.h"

#include <toml++/toml.h>

#include <optional>
#include <string_view>

namespace poolgate {

// "opportunistic", "required", "off" (exactly; like every other enum key).
std::optional<TlsMode> parse_tls_mode(std::string_view text);
const char* tls_mode_name(TlsMode mode);

void read_delivery(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);

}  // namespace poolgate
