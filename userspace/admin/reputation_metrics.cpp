#include "admin/reputation_metrics.h"

#include "pools/address_plan.h"
#include "queue/delivery_engine.h"

#include <map>

namespace poolgate {

void reputation_metrics(PrometheusText& m, const Config& config, const DeliveryEngine& engine) {
  struct PerAddress {
    uint64_t resting = 0, backing_off = 0, blocks = 0, rate_limits = 0;
  };
  std::map<std::string, PerAddress> by_address;
  for (const SourceSiteView& v : engine.reputation()) {
    PerAddress& a = by_address[v.source];
    a.resting += v.suspended_until > 0;
    a.backing_off += v.backing_off;
    a.blocks += v.blocks;
    a.rate_limits += v.rate_limits;
  }
  std::vector<PoolAddress> addresses = plan_addresses(config);
  struct Family {
    const char* name;
    PrometheusText::Type type;
    const char* help;
    uint64_t PerAddress::*member;
  } families[] = {
      {"poolgate_address_resting_sites", PrometheusText::Type::Gauge,
       "Sites the address rests at after a reputation-block reply", &PerAddress::resting},
      {"poolgate_address_backing_off_sites", PrometheusText::Type::Gauge,
       "Sites the address backs off at after a rate-limit reply", &PerAddress::backing_off},
      {"poolgate_address_blocks_total", PrometheusText::Type::Counter,
       "reputation-block replies the address got (any site, any stage)", &PerAddress::blocks},
      {"poolgate_address_rate_limits_total", PrometheusText::Type::Counter,
       "rate-limit replies the address got (any site, any stage)", &PerAddress::rate_limits},
  };
  for (const Family& family : families) {
    m.family(family.name, family.type, family.help);
    for (const PoolAddress& a : addresses) {
      std::string address = a.address.to_string();
      auto it = by_address.find(address);
      m.sample({{"pool", config.pools[a.pool_id].name}, {"address", address}},
               it == by_address.end() ? 0 : it->second.*family.member);
    }
  }
}

}  // namespace poolgate
