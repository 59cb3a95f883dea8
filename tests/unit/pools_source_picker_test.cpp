// SourcePicker: smooth weighted round robin per address family, with the
// marks plan_addresses() gives.
#include "pools/source_picker.h"

#include "pools/address_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace poolgate;
namespace asio = boost::asio;

namespace {

PoolConfig pool(std::vector<const char*> addresses, std::vector<uint32_t> weights) {
  PoolConfig config;
  config.name = "normal";
  config.fwmark = 0x100;
  config.table = 100;
  for (const char* text : addresses) config.addresses.push_back(asio::ip::make_address(text));
  config.weights = std::move(weights);
  return config;
}

std::string pick_text(SourcePicker& picker, bool v6) {
  std::optional<SourceBinding> source = picker.pick(v6);
  return source ? source->address.to_string() : "none";
}

}  // namespace

TEST(SourcePicker, ExactProportionsOverAThousandPicks) {
  SourcePicker picker(pool({"198.51.100.10", "198.51.100.11"}, {3, 1}));
  std::map<std::string, int> counts;
  for (int i = 0; i < 1000; ++i) ++counts[pick_text(picker, false)];
  EXPECT_EQ(counts["198.51.100.10"], 750);
  EXPECT_EQ(counts["198.51.100.11"], 250);
}

TEST(SourcePicker, EveryWindowOfSumWeightsPicksIsExact) {
  const std::vector<uint32_t> weights = {5, 3, 2};
  SourcePicker picker(pool({"198.51.100.10", "198.51.100.11", "198.51.100.12"}, weights));
  std::vector<std::string> sequence;
  for (int i = 0; i < 100; ++i) sequence.push_back(pick_text(picker, false));
  for (size_t start = 0; start + 10 <= sequence.size(); ++start) {
    std::map<std::string, int> counts;
    for (size_t i = start; i < start + 10; ++i) ++counts[sequence[i]];
    EXPECT_EQ(counts["198.51.100.10"], 5) << "window at " << start;
    EXPECT_EQ(counts["198.51.100.11"], 3) << "window at " << start;
    EXPECT_EQ(counts["198.51.100.12"], 2) << "window at " << start;
  }
}

TEST(SourcePicker, DrainedAddressIsNeverPicked) {
  SourcePicker picker(pool({"198.51.100.10", "198.51.100.11", "198.51.100.12"}, {1, 0, 1}));
  std::map<std::string, int> counts;
  for (int i = 0; i < 100; ++i) ++counts[pick_text(picker, false)];
  EXPECT_EQ(counts.count("198.51.100.11"), 0u);
  EXPECT_EQ(counts["198.51.100.10"], 50);
  EXPECT_EQ(counts["198.51.100.12"], 50);
}

TEST(SourcePicker, MarksFollowTheAddressPlan) {
  PoolConfig config = pool({"198.51.100.10", "2001:db8::10", "198.51.100.11"}, {1, 1, 1});
  Config whole;
  whole.pools.push_back(config);
  std::map<std::string, uint32_t> planned;
  for (const PoolAddress& entry : plan_addresses(whole))
    planned[entry.address.to_string()] = entry.fwmark;

  SourcePicker picker(config);
  for (int i = 0; i < 4; ++i) {
    for (bool v6 : {false, true}) {
      std::optional<SourceBinding> source = picker.pick(v6);
      ASSERT_TRUE(source);
      EXPECT_EQ(source->fwmark, planned.at(source->address.to_string()));
    }
  }
  EXPECT_EQ(planned.at("2001:db8::10"), 0x101u);  // index 1, whatever its family
}

TEST(SourcePicker, FamiliesAreSeparate) {
  SourcePicker picker(pool({"198.51.100.10", "2001:db8::10", "2001:db8::11"}, {1, 2, 1}));
  EXPECT_TRUE(picker.has_family(false));
  EXPECT_TRUE(picker.has_family(true));
  std::map<std::string, int> v4, v6;
  for (int i = 0; i < 12; ++i) {
    ++v4[pick_text(picker, false)];
    ++v6[pick_text(picker, true)];
  }
  EXPECT_EQ(v4, (std::map<std::string, int>{{"198.51.100.10", 12}}));
  EXPECT_EQ(v6, (std::map<std::string, int>{{"2001:db8::10", 8}, {"2001:db8::11", 4}}));
}

TEST(SourcePicker, MissingFamilyOrAllDrainedIsNullopt) {
  SourcePicker v4_only(pool({"198.51.100.10"}, {1}));
  EXPECT_FALSE(v4_only.has_family(true));
  EXPECT_FALSE(v4_only.pick(true));

  SourcePicker drained(pool({"198.51.100.10", "2001:db8::10"}, {0, 0}));
  EXPECT_FALSE(drained.has_family(false));
  EXPECT_FALSE(drained.has_family(true));
  EXPECT_FALSE(drained.pick(false));
  EXPECT_FALSE(drained.pick(true));

  SourcePicker empty(pool({}, {}));
  EXPECT_FALSE(empty.pick(false));
}

TEST(SourcePicker, MissingWeightsCountAsOne) {
  SourcePicker picker(pool({"198.51.100.10", "198.51.100.11"}, {}));
  std::map<std::string, int> counts;
  for (int i = 0; i < 10; ++i) ++counts[pick_text(picker, false)];
  EXPECT_EQ(counts["198.51.100.10"], 5);
  EXPECT_EQ(counts["198.51.100.11"], 5);
}

TEST(SourcePicker, PicksInterleaveWithoutBursts) {
  // {2,1}: A,B,A repeating; the longest run of A is 2 (across the cycle edge).
  SourcePicker two_one(pool({"198.51.100.10", "198.51.100.11"}, {2, 1}));
  std::vector<std::string> first;
  for (int i = 0; i < 3; ++i) first.push_back(pick_text(two_one, false));
  EXPECT_EQ(first, (std::vector<std::string>{"198.51.100.10", "198.51.100.11", "198.51.100.10"}));

  // {5,1,1}: nginx's own example (ngx_http_upstream_round_robin.c): a, a, b,
  // a, c, a, a rather than plain WRR's burst of five. The light addresses are
  // spread apart; the heavy one's longest run is 4, across the cycle edge.
  SourcePicker heavy(pool({"198.51.100.10", "198.51.100.11", "198.51.100.12"}, {5, 1, 1}));
  std::string sequence;
  for (int i = 0; i < 14; ++i) {
    std::optional<SourceBinding> source = heavy.pick(false);
    ASSERT_TRUE(source);
    sequence += static_cast<char>('a' + (source->address.to_v4().to_uint() & 0xff) - 10);
  }
  EXPECT_EQ(sequence, "aabacaaaabacaa");
}
