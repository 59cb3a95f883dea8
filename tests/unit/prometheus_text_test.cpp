// The exposition writer: the exact text Prometheus parses, label escaping,
// and a family that would be written twice (an invalid scrape) refused.
#include "admin/prometheus_text.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace poolgate {
namespace {

TEST(PrometheusText, FamilyWithLabelledSamples) {
  PrometheusText m;
  m.family("poolgate_delivery_recipients_total", PrometheusText::Type::Counter,
           "Delivery outcomes");
  m.sample({{"pool", "normal"}, {"outcome", "delivered"}}, uint64_t{12});
  m.sample({{"pool", "high-risk"}, {"outcome", "bounced"}}, uint64_t{0});
  EXPECT_EQ(m.str(),
            "# HELP poolgate_delivery_recipients_total Delivery outcomes\n"
            "# TYPE poolgate_delivery_recipients_total counter\n"
            "poolgate_delivery_recipients_total{pool=\"normal\",outcome=\"delivered\"} 12\n"
            "poolgate_delivery_recipients_total{pool=\"high-risk\",outcome=\"bounced\"} 0\n");
}

TEST(PrometheusText, SingleGaugeAndDoubles) {
  PrometheusText m;
  m.single("poolgate_dns_cache_hit_ratio", PrometheusText::Type::Gauge, "ratio", 0.25);
  m.single("poolgate_start_time_seconds", PrometheusText::Type::Gauge, "start", 1795766400.0);
  EXPECT_NE(m.str().find("poolgate_dns_cache_hit_ratio 0.25\n"), std::string::npos) << m.str();
  // Never rounded to six digits (1.79577e+09 would lose the time).
  EXPECT_NE(m.str().find("poolgate_start_time_seconds 1795766400\n"), std::string::npos) << m.str();
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(PrometheusText::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(PrometheusText::escape_help("line1\nback\\slash"), "line1\\nback\\\\slash");
  PrometheusText m;
  m.family("x", PrometheusText::Type::Gauge, "h");
  m.sample({{"domain", "evil\"} 1\nx 2"}}, uint64_t{3});
  // One sample line: the injected quote and newline stay inside the label.
  EXPECT_EQ(m.str(), "# HELP x h\n# TYPE x gauge\nx{domain=\"evil\\\"} 1\\nx 2\"} 3\n");
}

TEST(PrometheusText, RefusesAFamilyTwice) {
  PrometheusText m;
  m.family("x_total", PrometheusText::Type::Counter, "h");
  EXPECT_THROW(m.family("x_total", PrometheusText::Type::Counter, "h"), std::logic_error);
}

}  // namespace
}  // namespace poolgate
