// Reads and checks the [limits] section (see config/poolgate.toml): the
// outbound spam policy per sender, what happens to a sender over it, and the
// NDR surge detector's bounds. The counting is limits/sender_limits.h; what the
// action means for a message is classify/decide.h.
#pragma once

#include "config/reporter.h"

#include <toml++/toml.h>

#include <optional>
#include <string_view>

namespace poolgate {

// kHighRiskAction (the pool's name), "block-for-today", "block", "alert" (exactly,
// like every enum key).
std::optional<LimitAction> parse_limit_action(std::string_view text);
const char* limit_action_name(LimitAction action);

void read_limits(const toml::table& table, Config& config, std::vector<Diagnostic>& diags);
void check_sender_limits(const Config& config, Reporter& report);

}  // namespace poolgate
