// [classify]: which pool mail goes out of. Optional: default_pool is "normal",
// a pool every valid configuration has.
#include "config/classify_section.h"

#include "config/toml_reader.h"

namespace poolgate {

void read_classify(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "classify", config, diags);
  reader.read("default_pool", config.classify.default_pool);
  reader.reject_unknown_keys();
}

void check_classify(const Config& config, Reporter& report) {
  // When not written, the default "normal" is missing only if the required-pool
  // check has already said so; one error is enough.
  if (!report.written("classify.default_pool")) return;
  if (!config.find_pool(config.classify.default_pool))
    report.error("classify.default_pool",
                 "no pool named \"" + config.classify.default_pool + "\"");
}

}  // namespace poolgate
