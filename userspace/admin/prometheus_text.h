// The Prometheus text exposition format (version 0.0.4), written one metric
// family at a time: `# HELP`, `# TYPE`, then its samples. Label values are
// escaped (backslash, double quote, newline) as the format requires, and a
// family is only ever opened once, so a scrape never repeats a family.
#pragma once

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poolgate {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  enum class Type { Counter, Gauge };

  // Opens a family; every sample() until the next family() belongs to it.
  // `name` must be a valid metric name; counters should end in _total.
  void family(std::string_view name, Type type, std::string_view help);
  void sample(const Labels& labels, double value);
  void sample(const Labels& labels, uint64_t value);
  // A family with one unlabelled sample.
  void single(std::string_view name, Type type, std::string_view help, double value);
  void single(std::string_view name, Type type, std::string_view help, uint64_t value);

  std::string str() const { return out_.str(); }

  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);

 private:
  void begin_sample(const Labels& labels);

  std::ostringstream out_;
  std::string current_;
  std::set<std::string> seen_;
};

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace poolgate
