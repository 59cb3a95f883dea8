// kernel/preflight and kernel/bpffs: the checks that turn "EPERM deep inside
// libbpf" into a message naming the capability, the BTF or the mount command.
#include "common/operator_error.h"
#include "kernel/bpffs.h"
#include "kernel/preflight.h"

#include <gtest/gtest.h>


using namespace poolgate;

namespace {

constexpr uint64_t bit(int n) { return uint64_t{1} << n; }
constexpr int kNetAdmin = 12, kSysAdmin = 21, kBpf = 39;

TEST(BpfPreflight, CapBpfOrSysAdminPlusNetAdminIsEnough) {
  EXPECT_TRUE(missing_capabilities(bit(kBpf) | bit(kNetAdmin)).empty());
  EXPECT_TRUE(missing_capabilities(bit(kSysAdmin) | bit(kNetAdmin)).empty());
  EXPECT_TRUE(missing_capabilities(~uint64_t{0}).empty());
}

TEST(BpfPreflight, NamesWhatIsMissing) {
  EXPECT_EQ(missing_capabilities(bit(kBpf)), std::vector<std::string>{"CAP_NET_ADMIN"});
  EXPECT_EQ(missing_capabilities(bit(kNetAdmin)),
            std::vector<std::string>{"CAP_BPF (or CAP_SYS_ADMIN)"});
  EXPECT_EQ(missing_capabilities(0).size(), 2u);
}

TEST(BpfPreflight, PassesAsRoot) { EXPECT_NO_THROW(preflight_check()); }

TEST(BpfPreflight, PinPathOutsideBpffsIsRefused) {
  try {
    ensure_bpffs("/tmp/poolgate-not-bpffs/pins");
    FAIL() << "ensure_bpffs accepted /tmp";
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find("mount -t bpf bpf /sys/fs/bpf"), std::string::npos)
        << e.what();
  }
}

TEST(BpfPreflight, PinPathUnderSysFsBpfIsAccepted) {
  EXPECT_NO_THROW(ensure_bpffs("/sys/fs/bpf/poolgate-preflight-test"));
  EXPECT_NO_THROW(ensure_bpffs("/sys/fs/bpf/poolgate-preflight-test/not/yet/there"));
  EXPECT_TRUE(is_on_bpffs(kBpffsMountPoint));
}

}  // namespace
