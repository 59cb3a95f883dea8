// Reads the [relay] section (see config/poolgate.toml for every key).
#pragma once

#include "config/config.h"

#include <toml++/toml.h>

namespace poolgate {

// Loopback listeners on 2525 and loopback clients: safe when [relay] is absent.
RelayConfig default_relay();
void read_relay(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);

}  // namespace poolgate
