#include "config/reputation_section.h"

#include "config/toml_reader.h"

namespace poolgate {

void read_reputation(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "reputation", config, diags);
  reader.read("reply_rules", config.reputation.reply_rules);
  reader.read("block_suspend_s", config.reputation.block_suspend_s);
  reader.read("block_suspend_max_s", config.reputation.block_suspend_max_s);
  reader.read("rate_limit_quiet_s", config.reputation.rate_limit_quiet_s);
  reader.reject_unknown_keys();
  // Each file's own line, so an unreadable one is reported where it is named.
  if (const toml::node* node = table.get("reply_rules"); node && node->is_array()) {
    const toml::array& files = *node->as_array();
    for (size_t i = 0; i < files.size(); ++i)
      config.lines["reputation.reply_rules[" + std::to_string(i) + "]"] =
          line_of_node(*files.get(i));
  }
}

void check_reputation(const Config& config, Reporter& report) {
  const ReputationConfig& r = config.reputation;
  if (r.block_suspend_s < 1) report.error("reputation.block_suspend_s", "must be at least 1 second");
  if (r.block_suspend_max_s < r.block_suspend_s)
    report.error("reputation.block_suspend_max_s", "must be at least block_suspend_s (" +
                                                       std::to_string(r.block_suspend_s) + ")");
  if (r.rate_limit_quiet_s < 1)
    report.error("reputation.rate_limit_quiet_s", "must be at least 1 second");
  const std::vector<std::string>& files = config.reputation.reply_rules;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string key = "reputation.reply_rules[" + std::to_string(i) + "]";
    // The daemon's working directory is no place to look a file up in.
    if (files[i].empty() || files[i].front() != '/')
      report.error(key, "'" + files[i] + "' must be an absolute path");
  }
}

}  // namespace poolgate
