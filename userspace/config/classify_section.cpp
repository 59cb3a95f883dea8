// [classify]: which pool ordinary mail goes out of and the rules' switches.
// Optional: every key has a default (ClassifyConfig); default_pool is
// kNormalPool, a pool every valid configuration has.
#include "config/classify_section.h"

#include "config/toml_reader.h"

#include <fmt/format.h>

namespace poolgate {

namespace {
// A week: past that, a message waiting for DNS is a queue problem, not a
// classification question; delivery gives up on it long before anyway.
constexpr uint32_t kMaxDnsUnknownAfter = 7 * 86400;
}  // namespace

void read_classify(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  ClassifyConfig& classify = config.classify;
  TomlTableReader reader(table, "classify", config, diags);
  reader.read("default_pool", classify.default_pool);
  reader.read("add_header", classify.add_header);
  reader.read("auto_replies_are_ndr", classify.auto_replies_are_ndr);
  reader.read("check_from_domain", classify.check_from_domain);
  reader.read("check_aaaa", classify.check_aaaa);
  reader.read("dns_unknown_after_s", classify.dns_unknown_after_s);
  reader.reject_unknown_keys();
}

void check_classify(const Config& config, Reporter& report) {
  const ClassifyConfig& classify = config.classify;
  // When not written, the default (kNormalPool) is missing only if the required-pool
  // check has already said so; one error is enough.
  if (report.written("classify.default_pool") && !config.find_pool(classify.default_pool))
    report.error("classify.default_pool", "no pool named \"" + classify.default_pool + "\"");

  if (classify.dns_unknown_after_s > kMaxDnsUnknownAfter) {
    report.error("classify.dns_unknown_after_s",
                 fmt::format("must be at most {} seconds (7 days)", kMaxDnsUnknownAfter));
  } else if (classify.dns_unknown_after_s == 0) {
    // Valid (never hold), but a resolver hiccup then sends every message of the
    // moment to the high-risk pool.
    report.warning("classify.dns_unknown_after_s",
                   "0 never holds a message for DNS: any DNS timeout sends mail straight to "
                   "the high-risk pool");
  } else if (report.written("classify.dns_unknown_after_s") &&
             classify.dns_unknown_after_s >= config.delivery.max_lifetime_s) {
    // Only when written: a lab's short max_lifetime_s alone is not a mistake
    // about holding.
    report.warning("classify.dns_unknown_after_s",
                   fmt::format("{} s is not shorter than delivery.max_lifetime_s ({} s): a "
                               "message held for DNS expires before it is sent high-risk",
                               classify.dns_unknown_after_s, config.delivery.max_lifetime_s));
  }
}

}  // namespace poolgate
