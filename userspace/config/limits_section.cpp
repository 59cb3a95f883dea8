// [limits]: optional, every key has a default (LimitsConfig); 0 turns a limit
// off. Here the types and the action's spelling; check_sender_limits() checks
// ranges once the whole file (with [relay]) is read.
#include "config/limits_section.h"

#include "config/toml_reader.h"

#include <fmt/format.h>

namespace poolgate {

std::optional<LimitAction> parse_limit_action(std::string_view text) {
  if (text == kHighRiskAction) return LimitAction::HighRisk;
  if (text == "block-for-today") return LimitAction::BlockForToday;
  if (text == "block") return LimitAction::Block;
  if (text == "alert") return LimitAction::Alert;
  return std::nullopt;
}

const char* limit_action_name(LimitAction action) {
  switch (action) {
    case LimitAction::HighRisk: return kHighRiskAction.data();  // a literal: NUL-terminated
    case LimitAction::BlockForToday: return "block-for-today";
    case LimitAction::Block: return "block";
    case LimitAction::Alert: return "alert";
  }
  return "?";
}

void read_limits(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  LimitsConfig& limits = config.limits;
  TomlTableReader reader(table, "limits", config, diags);
  reader.read("external_recipients_per_hour", limits.external_recipients_per_hour);
  reader.read("internal_recipients_per_hour", limits.internal_recipients_per_hour);
  reader.read("recipients_per_day", limits.recipients_per_day);
  reader.read("messages_per_minute", limits.messages_per_minute);
  reader.read("recipients_per_message", limits.recipients_per_message);
  std::string action;
  reader.read("action", action);
  reader.read("surge_window_s", limits.surge_window_s);
  reader.read("surge_factor", limits.surge_factor);
  reader.read("surge_min_count", limits.surge_min_count);
  reader.reject_unknown_keys();

  const toml::node* node = table.get("action");
  if (!node || !node->is_string()) return;  // absent, or a type error already reported
  if (auto parsed = parse_limit_action(action))
    limits.action = *parsed;
  else
    diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of("limits.action"),
                     "limits.action",
                     "must be \"high-risk\", \"block-for-today\", \"block\" or \"alert\""});
}

void check_sender_limits(const Config& config, Reporter& report) {
  const LimitsConfig& limits = config.limits;
  // The surge detector compares a window's NDR count with a moving baseline: a
  // window under a second has no count to speak of, one over a day reacts to a
  // bounce storm after it is over.
  if (limits.surge_window_s < 1 || limits.surge_window_s > 86400)
    report.error("limits.surge_window_s", "must be between 1 and 86400 seconds");
  // At or below 1 the ordinary NDR rate would already count as a surge.
  if (limits.surge_factor <= 1.0)
    report.error("limits.surge_factor", "must be greater than 1 (times the baseline rate)");
  if (limits.surge_min_count < 1)
    report.error("limits.surge_min_count", "must be at least 1");
  // The relay refuses the extra recipients (452) before this limit could count them.
  const uint32_t relay_max = config.relay.max_recipients;
  if (limits.recipients_per_message > relay_max)
    report.warning("limits.recipients_per_message",
                   fmt::format("{} is never reached: relay.max_recipients ({}) refuses more "
                               "recipients per message first",
                               limits.recipients_per_message, relay_max));
}

}  // namespace poolgate
