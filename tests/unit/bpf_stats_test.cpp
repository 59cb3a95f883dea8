// kernel/stats: counters read back from the pins alone, and their table and
// JSON forms (`poolgate stats [--json]`).
#include "bpf_test_support.h"

#include "common/operator_error.h"

#include <set>

using namespace poolgate;
using namespace poolgate::testing;

namespace {

class BpfStats : public LoadedDataPlane {
 protected:
  void generate_traffic() {
    run_tc(tc(), make_frame({kNormalV4, kPeerV4, true, 25, kSyn}), kNormalMark);       // tx+conn
    run_tc(tc(), make_frame({kNormalV4, kPeerV4, true, 25, kAck, 1000}), kNormalMark, 3);
    run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kHighRiskMark);                    // leak
    run_tc(tc(), make_frame({"198.51.100.1", kPeerV4, true, 25, kSyn}), 0);           // smtp
    run_tc(tc(), make_frame({kNormalV4, kPeerV4}), 0x300);                            // unknown
    run_xdp(xdp(), make_frame({kPeerV4, kHighRiskV4, true, 25, kSyn}));               // syn
    run_xdp(xdp(), make_frame({kPeerV6, kNormalV6, true, 40000, kAck, 200}));         // rx
  }
};

TEST_F(BpfStats, ReportsPoolNamesAndCounters) {
  generate_traffic();
  const Stats s = read_stats(pins_.path());
  ASSERT_EQ(s.pools.size(), 2u);
  const PoolStats& normal = s.pools[0];
  const PoolStats& high_risk = s.pools[1];
  EXPECT_EQ(normal.name, "normal");
  EXPECT_EQ(high_risk.name, "high-risk");
  EXPECT_EQ(normal.tx_packets, 4u);  // the SYN, then 3 GSO segments
  EXPECT_EQ(normal.connections, 1u);
  EXPECT_EQ(normal.rx_packets, 1u);
  EXPECT_EQ(normal.rx_bytes, make_frame({kPeerV6, kNormalV6, true, 40000, kAck, 200}).size());
  EXPECT_EQ(high_risk.leak_drops, 1u);
  EXPECT_EQ(high_risk.inbound_syn_drops, 1u);
  EXPECT_EQ(high_risk.rx_packets, 1u);
  EXPECT_EQ(s.unmarked_smtp_drops, 1u);
  EXPECT_EQ(s.unknown_mark_drops, 1u);
  EXPECT_EQ(s.inbound_syn_drops, 1u);

  ASSERT_EQ(s.addresses.size(), 3u);
  const AddressStats& normal_v4 = s.addresses[0];
  const AddressStats& normal_v6 = s.addresses[1];
  const AddressStats& high_risk_v4 = s.addresses[2];
  EXPECT_EQ(normal_v4.address, kNormalV4);
  EXPECT_EQ(normal_v4.pool, "normal");
  EXPECT_EQ(normal_v4.tx_packets, 4u);
  EXPECT_EQ(normal_v4.connections, 1u);
  EXPECT_EQ(normal_v4.rx_packets, 0u);
  EXPECT_EQ(normal_v6.address, kNormalV6);
  EXPECT_EQ(normal_v6.rx_packets, 1u);
  EXPECT_EQ(normal_v6.tx_packets, 0u);
  EXPECT_EQ(high_risk_v4.address, kHighRiskV4);
  EXPECT_EQ(high_risk_v4.pool, "high-risk");
  EXPECT_EQ(high_risk_v4.leak_drops, 1u);
  EXPECT_EQ(high_risk_v4.inbound_syn_drops, 1u);
}

TEST_F(BpfStats, JsonHasTheDocumentedShape) {
  generate_traffic();
  const nlohmann::ordered_json j = stats_to_json(read_stats(pins_.path()));
  std::set<std::string> top;
  for (const auto& [key, _] : j.items()) top.insert(key);
  EXPECT_EQ(top, (std::set<std::string>{"pools", "addresses", "unmarked_smtp_drops",
                                        "inbound_syn_drops", "unknown_mark_drops"}));
  ASSERT_TRUE(j["pools"].is_array());
  ASSERT_EQ(j["pools"].size(), 2u);
  const std::set<std::string> pool_keys = {"name",       "tx_packets", "tx_bytes",
                                           "connections", "leak_drops", "rx_packets",
                                           "rx_bytes",   "inbound_syn_drops"};
  for (const auto& pool : j["pools"]) {
    std::set<std::string> keys;
    for (const auto& [key, value] : pool.items()) {
      keys.insert(key);
      if (key != "name") {
        EXPECT_TRUE(value.is_number_unsigned()) << key;
      }
    }
    EXPECT_EQ(keys, pool_keys);
  }
  EXPECT_EQ(j["pools"][0].begin().key(), "name");  // documented order, name first
  EXPECT_EQ(j.begin().key(), "pools");
  EXPECT_EQ(j["pools"][0]["name"], "normal");
  EXPECT_EQ(j["pools"][0]["tx_packets"], 4u);
  EXPECT_EQ(j["pools"][1]["leak_drops"], 1u);
  EXPECT_EQ(j["unmarked_smtp_drops"], 1u);
  EXPECT_EQ(j["unknown_mark_drops"], 1u);
  EXPECT_EQ(j["inbound_syn_drops"], 1u);

  ASSERT_TRUE(j["addresses"].is_array());
  ASSERT_EQ(j["addresses"].size(), 3u);
  std::set<std::string> address_keys = pool_keys;
  address_keys.erase("name");
  address_keys.insert({"address", "pool"});
  for (const auto& address : j["addresses"]) {
    std::set<std::string> keys;
    for (const auto& [key, value] : address.items()) {
      keys.insert(key);
      if (key != "address" && key != "pool") {
        EXPECT_TRUE(value.is_number_unsigned()) << key;
      }
    }
    EXPECT_EQ(keys, address_keys);
  }
  EXPECT_EQ(std::next(j.begin()).key(), "addresses");  // right after the pools
  EXPECT_EQ(j["addresses"][0].begin().key(), "address");
  EXPECT_EQ(j["addresses"][0]["address"], kNormalV4);
  EXPECT_EQ(j["addresses"][0]["pool"], "normal");
  EXPECT_EQ(j["addresses"][0]["tx_packets"], 4u);
  EXPECT_EQ(j["addresses"][2]["address"], kHighRiskV4);
  EXPECT_EQ(j["addresses"][2]["leak_drops"], 1u);
}

TEST_F(BpfStats, TableListsPoolsAndGlobalCounters) {
  generate_traffic();
  const std::string table = format_stats_table(read_stats(pins_.path()));
  EXPECT_NE(table.find("tx_packets"), std::string::npos) << table;
  EXPECT_NE(table.find("\nnormal "), std::string::npos) << table;
  EXPECT_NE(table.find("\nhigh-risk "), std::string::npos) << table;
  EXPECT_NE(table.find("unknown_mark_drops    1"), std::string::npos) << table;
  // The per-address table: address, pool, then the same counters.
  EXPECT_NE(table.find("\naddress           pool       tx_packets"), std::string::npos) << table;
  EXPECT_NE(table.find("\n198.51.100.10     normal              4"), std::string::npos) << table;
  EXPECT_NE(table.find("\n2001:db8:100::10  normal              0"), std::string::npos) << table;
  EXPECT_NE(table.find("\n203.0.113.66      high-risk           0"), std::string::npos) << table;
}

TEST_F(BpfStats, MissingPinsTellTheOperatorToAttach) {
  const std::string missing = pins_.path() + "-nothing-here";
  try {
    read_stats(missing);
    FAIL() << "read_stats did not throw";
  } catch (const OperatorError& e) {
    EXPECT_EQ(std::string(e.what()), "no poolgate data plane pinned at " + missing +
                                         "; run `poolgate bpf attach`");
  }
}

}  // namespace
