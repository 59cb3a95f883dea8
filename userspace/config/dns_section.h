// Reads the [dns] section (see config/poolgate.toml for every key).
#pragma once

#include "config/config.h"

#include <toml++/toml.h>

namespace poolgate {

void read_dns(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);

}  // namespace poolgate
