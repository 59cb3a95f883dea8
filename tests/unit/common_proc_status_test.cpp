// common/proc_status: the capability sets of /proc/self/status, which the BPF
// preflight, the SO_MARK check and the daemon's re-attach all read.
#include "common/operator_error.h"
#include "common/proc_status.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace poolgate;

namespace {

constexpr uint64_t bit(int n) { return uint64_t{1} << n; }
constexpr int kNetAdmin = 12;

TEST(ProcStatus, ParsesCapEff) {
  EXPECT_EQ(parse_capability_set(
                "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n",
                CapabilitySet::Effective),
            0x000001ffffffffffu);
  EXPECT_EQ(parse_capability_set("CapEff:\t0000000000001000\n", CapabilitySet::Effective),
            bit(kNetAdmin));
  EXPECT_THROW(parse_capability_set("CapPrm:\t0000000000001000\n", CapabilitySet::Effective),
               OperatorError);
}

TEST(ProcStatus, EachSetFromItsOwnLine) {
  const char* status =
      "CapInh:\t0000000000000000\nCapPrm:\t0000000000003000\nCapEff:\t0000000000001000\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";
  struct Row {
    CapabilitySet set;
    uint64_t bits;
  };
  for (const Row& row : {Row{CapabilitySet::Effective, 0x1000}, Row{CapabilitySet::Permitted, 0x3000},
                         Row{CapabilitySet::Bounding, 0x000001ffffffffff}})
    EXPECT_EQ(parse_capability_set(status, row.set), row.bits) << int(row.set);
}

TEST(ProcStatus, MalformedOrMissingLinesAreRefused) {
  for (const char* text : {"", "CapEff:\n", "CapEff:\tzz\n", "CapEffective:\t1000\n"})
    EXPECT_THROW(parse_capability_set(text, CapabilitySet::Effective), OperatorError) << text;
}

TEST(ProcStatus, ReadsThisProcess) {
  const uint64_t effective = own_capability_set(CapabilitySet::Effective);
  EXPECT_EQ(effective & ~own_capability_set(CapabilitySet::Permitted), 0u)
      << "the effective set is always within the permitted set";
  if (::geteuid() == 0) {
    EXPECT_TRUE(effective & bit(kNetAdmin));
  }
}

}  // namespace
