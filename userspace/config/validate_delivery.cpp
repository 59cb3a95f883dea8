#include "config/validate_delivery.h"

#include <fmt/format.h>

#include <map>
#include <regex>

namespace poolgate {
namespace {

// A finding about two keys is reported at the one the file wrote (the other
// being a default), so its line points at what the operator changed.
std::string either(const Reporter& report, const char* first, const char* second) {
  return report.written(first) || !report.written(second) ? first : second;
}

void at_least_one_second(Reporter& report, uint32_t value, const char* key) {
  if (value < 1) report.error(key, "must be at least 1 second");
}

void check_retries(const Config& config, Reporter& report) {
  const DeliveryConfig& d = config.delivery;
  if (d.retry_intervals_s.empty()) {
    report.error("delivery.retry_intervals_s",
                 "must list at least one interval (the last one repeats)");
  } else {
    for (size_t i = 0; i < d.retry_intervals_s.size(); ++i)
      if (d.retry_intervals_s[i] == 0)
        report.error(fmt::format("delivery.retry_intervals_s[{}]", i),
                     "must be at least 1 second");
    uint32_t first = d.retry_intervals_s.front();
    // Large receivers count connections per source address; hammering them after
    // a 4xx is what gets an address rate-limited or listed.
    if (first > 0 && first < 60)
      report.warning("delivery.retry_intervals_s[0]",
                     fmt::format("first retry after {} s: retries this fast get an IP "
                                 "throttled; 300 or more is usual",
                                 first));
    if (d.max_lifetime_s > 0 && d.max_lifetime_s < first)
      report.warning(either(report, "delivery.max_lifetime_s", "delivery.retry_intervals_s[0]"),
                     fmt::format("max_lifetime_s ({} s) is shorter than the first retry "
                                 "interval ({} s): a message that fails once bounces without "
                                 "a retry",
                                 d.max_lifetime_s, first));
  }
  // RFC 5321 4.5.4.1: give up after 4-5 days.
  if (d.max_lifetime_s < 1)
    report.error("delivery.max_lifetime_s", "must be at least 1 second");
  if (d.delay_warning_s > 0 && d.max_lifetime_s > 0 && d.delay_warning_s >= d.max_lifetime_s)
    report.warning(either(report, "delivery.delay_warning_s", "delivery.max_lifetime_s"),
                   fmt::format("delay_warning_s ({} s) is not shorter than max_lifetime_s ({} "
                               "s): no delay warning is ever sent (delay_warning_s = 0 turns "
                               "them off explicitly)",
                               d.delay_warning_s, d.max_lifetime_s));
}

void check_limits(const Config& config, Reporter& report) {
  const DeliveryConfig& d = config.delivery;
  if (d.connections_per_destination < 1)
    report.error("delivery.connections_per_destination", "must be at least 1");
  if (d.messages_per_second < 0)
    report.error("delivery.messages_per_second", "must be at least 0 (0 = no limit)");
  if (d.max_messages_per_connection < 1)
    report.error("delivery.max_messages_per_connection", "must be at least 1");
  if (d.max_concurrent_connections < 1)
    report.error("delivery.max_concurrent_connections", "must be at least 1");
}

void check_timeouts(const Config& config, Reporter& report) {
  const DeliveryConfig& d = config.delivery;
  at_least_one_second(report, d.connect_timeout_s, "delivery.connect_timeout_s");
  at_least_one_second(report, d.command_timeout_s, "delivery.command_timeout_s");
  at_least_one_second(report, d.data_timeout_s, "delivery.data_timeout_s");
  // Shorter client timeouts than RFC 5321 4.5.3.2 asks for give up on slow but
  // working servers; after the final dot that means the server may have taken
  // the message while we retry it: a duplicate.
  if (d.command_timeout_s >= 1 && d.command_timeout_s < 300)
    report.warning("delivery.command_timeout_s",
                   fmt::format("{} s is below the 5 minutes of RFC 5321 section 4.5.3.2: slow "
                               "servers will see their mail deferred",
                               d.command_timeout_s));
  if (d.data_timeout_s >= 1 && d.data_timeout_s < 600)
    report.warning("delivery.data_timeout_s",
                   fmt::format("{} s is below the 10 minutes of RFC 5321 section 4.5.3.2.6: a "
                               "server still checking the message may get it twice",
                               d.data_timeout_s));
}

void check_destinations(const Config& config, Reporter& report) {
  // ASCII labels only: recipient domains are compared as written in the
  // envelope, so internationalized names go in as xn-- A-labels.
  static const std::regex domain_pattern(
      "([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  std::map<std::string, size_t> first_of;  // domain -> index of its first table
  const auto& destinations = config.delivery.destinations;
  for (size_t i = 0; i < destinations.size(); ++i) {
    const DestinationConfig& dest = destinations[i];
    auto key = [i](const char* field) {
      return fmt::format("delivery.destination[{}].{}", i, field);
    };
    if (!std::regex_match(dest.domain, domain_pattern) || dest.domain.size() > 253)
      report.error(key("domain"), "'" + dest.domain +
                                      "' is not a domain name (internationalized names as "
                                      "xn-- A-labels)");
    else if (auto [it, inserted] = first_of.emplace(dest.domain, i); !inserted)
      report.error(key("domain"),
                   fmt::format("'{}' is already configured at line {} (one table per domain)",
                               dest.domain,
                               report.line(fmt::format("delivery.destination[{}].domain",
                                                       it->second))));
    if (dest.connections && *dest.connections < 1)
      report.error(key("connections"), "must be at least 1");
    if (dest.messages_per_second && *dest.messages_per_second < 0)
      report.error(key("messages_per_second"), "must be at least 0 (0 = no limit)");
  }
}

void check_sites(const Config& config, Reporter& report) {
  static const std::regex name_pattern("[a-z0-9][a-z0-9._-]{0,62}");
  static const std::regex host_pattern(
      "(\\*\\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*");
  std::map<std::string, size_t> first_of;
  const auto& sites = config.delivery.sites;
  for (size_t i = 0; i < sites.size(); ++i) {
    const SiteConfig& site = sites[i];
    auto key = [i](const char* field) { return fmt::format("delivery.site[{}].{}", i, field); };
    if (!std::regex_match(site.name, name_pattern))
      report.error(key("name"), "'" + site.name + "' must be 1-63 lower-case letters, digits, "
                                "'.', '-' or '_'");
    else if (auto [it, inserted] = first_of.emplace(site.name, i); !inserted)
      report.error(key("name"), fmt::format("'{}' is already a site at line {}", site.name,
                                            report.line(fmt::format("delivery.site[{}].name",
                                                                    it->second))));
    if (site.mx.empty()) report.error(key("mx"), "must name at least one MX host or *.pattern");
    for (const std::string& pattern : site.mx)
      if (!std::regex_match(pattern, host_pattern))
        report.error(key("mx"), "'" + pattern + "' is not a host name or *.domain pattern");
    if (site.connections && *site.connections < 1)
      report.error(key("connections"), "must be at least 1");
    if (site.messages_per_second && *site.messages_per_second < 0)
      report.error(key("messages_per_second"), "must be at least 0 (0 = no limit)");
  }
}

}  // namespace

void check_delivery(const Config& config, Reporter& report) {
  check_retries(config, report);
  check_limits(config, report);
  check_timeouts(config, report);
  check_destinations(config, report);
  check_sites(config, report);
}

}  // namespace poolgate
