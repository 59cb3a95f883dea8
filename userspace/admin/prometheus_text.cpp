#include "admin/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace poolgate {

std::string PrometheusText::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string PrometheusText::escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  current_ = std::string(name);
  // Two families of one name would make the whole scrape invalid: a bug here,
  // not something to hand to Prometheus.
  if (!seen_.insert(current_).second)
    throw std::logic_error("metric family written twice: " + current_);
  out_ << "# HELP " << current_ << ' ' << escape_help(help) << '\n';
  out_ << "# TYPE " << current_ << ' ' << (type == Type::Counter ? "counter" : "gauge") << '\n';
}

void PrometheusText::begin_sample(const Labels& labels) {
  out_ << current_;
  if (!labels.empty()) {
    out_ << '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ << ',';
      out_ << labels[i].first << "=\"" << escape_label_value(labels[i].second) << '"';
    }
    out_ << '}';
  }
  out_ << ' ';
}

void PrometheusText::sample(const Labels& labels, double value) {
  begin_sample(labels);
  if (std::isnan(value)) out_ << "NaN";
  else if (std::isinf(value)) out_ << (value > 0 ? "+Inf" : "-Inf");
  else out_ << fmt::format("{}", value);  // shortest exact form, never 1.2e+06 rounding
  out_ << '\n';
}

void PrometheusText::sample(const Labels& labels, uint64_t value) {
  begin_sample(labels);
  out_ << value << '\n';
}

void PrometheusText::single(std::string_view name, Type type, std::string_view help, double value) {
  family(name, type, help);
  sample({}, value);
}

void PrometheusText::single(std::string_view name, Type type, std::string_view help,
                            uint64_t value) {
  family(name, type, help);
  sample({}, value);
}

}  // namespace poolgate
