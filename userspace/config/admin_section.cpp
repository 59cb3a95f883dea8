#include "config/admin_section.h"

#include "config/endpoint.h"
#include "config/toml_reader.h"

#include <pwd.h>

namespace poolgate {

void read_admin(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "admin", config, diags);
  std::string listen = "\x01";  // sentinel: absent keeps the default
  reader.read("listen", listen);
  reader.reject_unknown_keys();
  if (listen == "\x01") return;
  if (listen.empty()) {
    config.admin.listen.reset();
    return;
  }
  if (auto endpoint = parse_endpoint(listen))
    config.admin.listen = *endpoint;
  else
    diags.push_back({Diagnostic::Severity::Error, config.path, config.line_of("admin.listen"),
                     "admin.listen",
                     "'" + listen + "' is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6), or \"\" "
                                    "for no admin API"});
}

void check_admin(const Config& config, Reporter& report) {
  // No authentication: the queue's senders and recipients are personal data.
  if (config.admin.listen && !config.admin.listen->address.is_loopback())
    report.warning("admin.listen",
                   "the admin API has no authentication; listening on " +
                       config.admin.listen->to_string() +
                       " lets anyone who reaches it read the queue and release senders");
}

void read_daemon(const toml::table& table, Config& config, std::vector<Diagnostic>& diags) {
  TomlTableReader reader(table, "daemon", config, diags);
  reader.read("user", config.daemon.user);
  reader.read("kernel_setup", config.daemon.kernel_setup);
  reader.read("route_check_s", config.daemon.route_check_s);
  reader.reject_unknown_keys();
}

void check_daemon(const Config& config, Reporter& report) {
  const std::string& user = config.daemon.user;
  // An unknown user would only show at start, after routes and BPF are set up.
  if (!user.empty() && getpwnam(user.c_str()) == nullptr)
    report.error("daemon.user", "no such user '" + user + "' on this host");
  if (config.daemon.route_check_s > 86400)
    report.error("daemon.route_check_s", "must be at most 86400 seconds (0 = events only)");
}

}  // namespace poolgate
