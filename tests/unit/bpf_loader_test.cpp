// The loader (kernel/data_plane, kernel/map_sync): pins are reused across loads
// so counters survive, and writing a new config leaves nothing of the old one.
#include "bpf_test_support.h"

#include "common/operator_error.h"
#include "kernel/unique_fd.h"

#include <cstring>

using namespace poolgate;
using namespace poolgate::testing;

namespace {

class BpfLoader : public LoadedDataPlane {
 protected:
  // Every key of a pinned hash map.
  template <class Key>
  std::vector<Key> keys(const char* map) const {
    UniqueFd fd = open_pinned_map(pins_.path(), map);
    EXPECT_TRUE(fd.valid()) << map;
    std::vector<Key> out;
    Key key{}, next{};
    const void* prev = nullptr;
    while (fd.valid() && bpf_map_get_next_key(fd.get(), prev, &next) == 0) {
      out.push_back(next);
      key = next;
      prev = &key;
    }
    return out;
  }
};

TEST_F(BpfLoader, PinsEveryMapUnderThePinRoot) {
  for (const char* map : kPinnedMaps)
    EXPECT_TRUE(std::filesystem::exists(pin_file(pins_.path(), map))) << map;
}

TEST_F(BpfLoader, ReloadKeepsCountersAndEntries) {
  run_tc(tc(), make_frame({kNormalV4, kPeerV4, true, 25, kSyn}), kNormalMark);
  run_tc(tc(), make_frame({kNormalV4, kPeerV4}), 0x300);  // unknown mark
  run_xdp(xdp(), make_frame({kPeerV4, kHighRiskV4, true, 25, kSyn}));

  plane_.reset();  // the pins hold the maps alone now
  plane_ = std::make_unique<DataPlane>(pins_.path());
  EXPECT_EQ(pool("normal").tx_packets, 1u);
  EXPECT_EQ(pool("normal").connections, 1u);
  EXPECT_EQ(pool("high-risk").inbound_syn_drops, 1u);
  EXPECT_EQ(stats().unknown_mark_drops, 1u);
  EXPECT_EQ(stats().inbound_syn_drops, 1u);

  // The reloaded programs use the same maps: no sync_maps needed.
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark), kTcActOk);
  EXPECT_EQ(pool("normal").tx_packets, 2u);

  apply(config_);  // re-syncing an unchanged config keeps the counters too
  EXPECT_EQ(pool("normal").tx_packets, 2u);
  EXPECT_EQ(address(kNormalV4).tx_packets, 2u);
  EXPECT_EQ(address(kNormalV4).connections, 1u);
  EXPECT_EQ(address(kHighRiskV4).inbound_syn_drops, 1u);
}

TEST_F(BpfLoader, EveryPoolAddressHasZeroedCounters) {
  const Stats s = stats();
  std::vector<std::pair<std::string, std::string>> rows;
  for (const AddressStats& a : s.addresses) {
    rows.emplace_back(a.address, a.pool);
    EXPECT_EQ(a.tx_packets + a.tx_bytes + a.connections + a.leak_drops + a.rx_packets +
                  a.rx_bytes + a.inbound_syn_drops,
              0u)
        << a.address;
  }
  // Pool order, IPv4 before IPv6.
  EXPECT_EQ(rows, (std::vector<std::pair<std::string, std::string>>{
                      {kNormalV4, "normal"}, {kNormalV6, "normal"}, {kHighRiskV4, "high-risk"}}));
}

TEST_F(BpfLoader, AddressThatMovesPoolStartsFromZero) {
  run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark);
  run_tc(tc(), make_frame({kNormalV6, kPeerV6}), kNormalMark + 1);
  Config moved = config_;
  moved.pools[0].addresses.pop_back();  // 2001:db8:100::10 now sends for high-risk
  moved.pools[1].addresses.push_back(boost::asio::ip::make_address(kNormalV6));
  apply(moved);
  EXPECT_EQ(address(kNormalV6).pool, "high-risk");
  EXPECT_EQ(address(kNormalV6).tx_packets, 0u);  // normal's traffic not shown as high-risk's
  EXPECT_EQ(address(kNormalV4).tx_packets, 1u);  // the address that stayed keeps counting
}

TEST_F(BpfLoader, AddressOfRenamedPoolStartsFromZero) {
  run_tc(tc(), make_frame({kHighRiskV4, kPeerV4}), kHighRiskMark);
  run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark);
  Config renamed = config_;
  renamed.pools[1].name = "bulk";
  apply(renamed);
  EXPECT_EQ(address(kHighRiskV4).pool, "bulk");
  EXPECT_EQ(address(kHighRiskV4).tx_packets, 0u);
  EXPECT_EQ(address(kNormalV4).tx_packets, 1u);
}

TEST_F(BpfLoader, PinsWithoutAddressCountersStillReadable) {
  // Pins left by a poolgate before pg1_addr_stats: stats reads the rest.
  std::filesystem::remove(pin_file(pins_.path(), PG_MAP_ADDR_STATS));
  run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark);
  const Stats s = stats();
  EXPECT_TRUE(s.addresses.empty());
  ASSERT_EQ(s.pools.size(), 2u);
  EXPECT_EQ(s.pools[0].tx_packets, 1u);
}

TEST_F(BpfLoader, StaleEntriesRemoved) {
  EXPECT_EQ(keys<uint32_t>(PG_MAP_MARKS).size(), 3u);
  EXPECT_EQ(keys<pg_addr>(PG_MAP_ADDRS).size(), 3u);
  EXPECT_EQ(keys<pg_addr>(PG_MAP_ADDR_STATS).size(), 3u);

  Config smaller = config_;
  smaller.pools.pop_back();                  // high-risk gone
  smaller.pools[0].addresses.pop_back();     // and normal's IPv6 address
  apply(smaller);

  EXPECT_EQ(keys<uint32_t>(PG_MAP_MARKS), std::vector<uint32_t>{kNormalMark});
  const auto addrs = keys<pg_addr>(PG_MAP_ADDRS);
  ASSERT_EQ(addrs.size(), 1u);
  const pg_addr normal = to_pg_addr(boost::asio::ip::make_address(kNormalV4));
  EXPECT_EQ(std::memcmp(&addrs[0], &normal, sizeof normal), 0);
  const auto counted = keys<pg_addr>(PG_MAP_ADDR_STATS);
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_EQ(std::memcmp(&counted[0], &normal, sizeof normal), 0);
  const Stats s = stats();
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0].name, "normal");

  // The removed mark and address are now unknown to the programs.
  EXPECT_EQ(run_tc(tc(), make_frame({kHighRiskV4, kPeerV4}), kHighRiskMark), kTcActShot);
  EXPECT_EQ(stats().unknown_mark_drops, 1u);
  run_xdp(xdp(), make_frame({kPeerV4, kHighRiskV4}));
  EXPECT_EQ(pool("normal").rx_packets, 0u);
}

TEST_F(BpfLoader, RenamedPoolSlotStartsFromZero) {
  run_tc(tc(), make_frame({kHighRiskV4, kPeerV4}), kHighRiskMark);
  EXPECT_EQ(pool("high-risk").tx_packets, 1u);
  Config renamed = config_;
  renamed.pools[1].name = "bulk";
  apply(renamed);
  EXPECT_EQ(pool("bulk").tx_packets, 0u);
  EXPECT_EQ(pool("normal").tx_packets, 0u);
}

TEST_F(BpfLoader, RefusesMarksOutsideTheMask) {
  Config bad = config_;
  bad.routing.fwmark_mask = 0xff00;  // normal's second address has 0x101
  EXPECT_THROW(apply(bad), OperatorError);
}

TEST_F(BpfLoader, RefusesMorePoolsThanTheMapsHold) {
  Config big = config_;
  for (int i = 0; big.pools.size() <= PG_MAX_POOLS; ++i)
    big.pools.push_back({"extra" + std::to_string(i), 0x400u + i, 400u + i, "x.example.com", {}});
  EXPECT_THROW(apply(big), OperatorError);
}

}  // namespace
