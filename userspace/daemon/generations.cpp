#include "daemon/generations.h"

#include "common/operator_error.h"
#include "reputation/reply_rules_file.h"

#include <spdlog/spdlog.h>

#include <functional>

namespace poolgate {

Generations::Generations(boost::asio::any_io_executor executor, Config first)
    : executor_(std::move(executor)) {
  ReplyRulesLoad rules = load_reply_rules(first);
  if (!rules.rules) {
    std::string why;
    for (const Diagnostic& d : rules.diagnostics) why += "\n" + d.to_string();
    throw OperatorError("the reply rules files do not load (poolgate check-config):" + why);
  }
  generations_.push_back(make(std::move(first), std::move(rules.rules)));
}

Generation Generations::make(Config config, std::shared_ptr<const ReplyRules> rules) {
  Generation generation;
  generation.reply_rules = std::move(rules);
  generation.config = std::make_unique<Config>(std::move(config));
  generation.scanner =
      make_scanner(executor_, generation.config->spam, generation.config->relay.client_networks);
  return generation;
}

const Generation* Generations::load(const std::string& path) {
  LoadResult loaded = load_config(path);
  for (const Diagnostic& d : loaded.diagnostics) {
    if (d.severity == Diagnostic::Severity::Error)
      spdlog::error("reload: {}", d.to_string());
    else
      spdlog::warn("reload: {}", d.to_string());
  }
  if (!loaded.config) return nullptr;
  ReplyRulesLoad rules = load_reply_rules(*loaded.config);
  for (const Diagnostic& d : rules.diagnostics) spdlog::error("reload: {}", d.to_string());
  if (!rules.rules) return nullptr;
  generations_.push_back(make(std::move(*loaded.config), std::move(rules.rules)));
  return &generations_.back();
}

namespace {

template <class T>
std::string joined(const std::vector<T>& items) {
  std::string out;
  for (const T& item : items) out += item.to_string() + ",";
  return out;
}

}  // namespace

std::vector<std::string> restart_only_changes(const Config& running, const Config& next) {
  auto admin = [](const Config& c) { return c.admin.listen ? c.admin.listen->to_string() : ""; };
  auto surge = [](const Config& c) {
    return std::to_string(c.limits.surge_window_s) + "/" + std::to_string(c.limits.surge_factor) +
           "/" + std::to_string(c.limits.surge_min_count);
  };
  const std::pair<const char*, std::function<std::string(const Config&)>> keys[] = {
      {"relay.listen", [](const Config& c) { return joined(c.relay.listen); }},
      {"relay.spool", [](const Config& c) { return c.relay.spool; }},
      {"relay.spool_min_free_mb",
       [](const Config& c) { return std::to_string(c.relay.spool_min_free_mb); }},
      {"relay.tls_certificate", [](const Config& c) { return c.relay.tls_certificate + c.relay.tls_key; }},
      {"dns.servers", [](const Config& c) { return joined(c.dns.servers); }},
      {"kernel.pin_path", [](const Config& c) { return c.kernel.pin_path; }},
      {"admin.listen", admin},
      {"daemon.user", [](const Config& c) { return c.daemon.user; }},
      {"limits.surge_*", surge},
  };
  std::vector<std::string> changed;
  for (const auto& [name, value] : keys)
    if (value(running) != value(next)) changed.push_back(name);
  return changed;
}

}  // namespace poolgate
