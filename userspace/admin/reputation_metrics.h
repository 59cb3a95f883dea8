// Per pool address, what the receivers' feedback did to it
// (reputation/source_site_book.h): sites it rests at, sites it backs off at,
// blocks and rate limits heard. Labels {pool, address} only (at most 256
// addresses): the sites are in /pools, not in label values, so a receiver
// with many MX sets cannot blow up the series count.
#pragma once

#include "admin/prometheus_text.h"
#include "config/config.h"

namespace poolgate {

class DeliveryEngine;

void reputation_metrics(PrometheusText& m, const Config& config, const DeliveryEngine& engine);

}  // namespace poolgate
