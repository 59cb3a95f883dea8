// Writes a Config into the data plane's maps: the one place that turns the
// address plan (pools/address_plan.h) into pg1_settings, pg1_marks, pg1_addrs,
// pg1_pool_names and the key set of pg1_addr_stats. Works on plain map fds, so
// it does not care whether they came from a freshly loaded object or from pins.
#pragma once

#include "config/config.h"
#include "poolgate_maps.h"

namespace poolgate {

struct MapFds {
  int settings = -1;
  int marks = -1;
  int addrs = -1;
  int pool_names = -1;
  int pool_stats = -1;
  int global = -1;
  int attach = -1;
  int addr_stats = -1;
};

struct pg_addr to_pg_addr(const boost::asio::ip::address& address);

// Makes the maps describe `config`, and nothing else:
//  - marks/addrs entries are upserted, then entries of addresses no longer in
//    the config are deleted (after the upserts, so a live mark never vanishes);
//  - pool name slots are written, unused ones cleared; a slot whose name changes
//    has its counters zeroed, so a removed pool's traffic is not credited to the
//    pool that takes its slot;
//  - every address gets a pg1_addr_stats entry: kept (counting on) while the
//    address stays in the same pool, zeroed when it is new or its pool changed
//    (moved, or its slot renamed), deleted when it leaves the config;
//  - settings last, so a new mask never applies before its marks exist.
// Throws OperatorError when the config exceeds the maps (PG_MAX_*).
void sync_maps(const MapFds& maps, const Config& config);

}  // namespace poolgate
