#include "config/reputation_section.h"

#include "config/toml_reader.h"

namespace poolgate {

void read_reputation(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "reputation", config, diags);
  reader.read("reply_rules", config.reputation.reply_rules);
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
  const std::vector<std::string>& files = config.reputation.reply_rules;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string key = "reputation.reply_rules[" + std::to_string(i) + "]";
    // The daemon's working directory is no place to look a file up in.
    if (files[i].empty() || files[i].front() != '/')
      report.error(key, "'" + files[i] + "' must be an absolute path");
  }
}

}  // namespace poolgate
