// bpf_attach / bpf_detach on a veth pair in a private network namespace (root):
// what gets attached, that attaching again replaces, and that detach removes
// exactly poolgate's filter, XDP program, clsact (only if poolgate created it)
// and pins, and nothing of anybody else's.
#include "bpf_test_support.h"

#include "common/operator_error.h"
#include "common/text_lines.h"
#include "kernel/attach.h"
#include "kernel/prog_info.h"
#include "kernel/tc_hook.h"
#include "kernel/unique_fd.h"
#include "kernel/xdp_hook.h"

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>

#include <cstdio>

using namespace poolgate;
using namespace poolgate::testing;

namespace {

// Runs a shell command, returning its stdout and stderr.
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (!pipe) return out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  return out;
}

// Occurrences of `what` in `text`.
size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class BpfAttach : public ::testing::Test {
 protected:
  void SetUp() override {
    // A fresh netns per test (ctest runs each test in its own process; running
    // the binary directly still gets one per test): nothing leaks to the host.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << strerror(errno);
    ASSERT_EQ(std::system("ip link add pgv0 type veth peer name pgv1 && "
                          "ip link set pgv0 up && ip link set pgv1 up"),
              0);
    config_ = two_pool_config(pins_.path());
    config_.kernel.interfaces = {"pgv0"};
    config_.kernel.xdp_mode = XdpMode::Generic;
  }

  std::string attach() {
    return as_text(bpf_attach(config_).lines());
  }
  std::string detach() {
    return as_text(bpf_detach(config_).lines());
  }
  static int index(const char* name) { return static_cast<int>(if_nametoindex(name)); }
  static bool has_clsact(const char* dev) {
    return sh(std::string("tc qdisc show dev ") + dev).find("clsact") != std::string::npos;
  }
  static std::string egress_filters(const char* dev) {
    return sh(std::string("tc filter show dev ") + dev + " egress");
  }
  // poolgate filters as `tc filter show` lists them (one "name X" per filter).
  static size_t our_filters(const char* dev) {
    return count(egress_filters(dev), std::string("name ") + PG_PROG_TC_EGRESS);
  }
  static std::string xdp_name(const char* dev) {
    const XdpProgIds ids = xdp_prog_ids(index(dev));
    return prog_name_by_id(ids.native ? ids.native : ids.generic);
  }
  void expect_clean(const char* dev) {
    EXPECT_EQ(our_filters(dev), 0u) << dev;
    const XdpProgIds ids = xdp_prog_ids(index(dev));
    EXPECT_EQ(ids.native, 0u) << dev;
    EXPECT_EQ(ids.generic, 0u) << dev;
  }

  PinRoot pins_;
  Config config_;
};

TEST_F(BpfAttach, AttachThenDetachRemovesEverything) {
  const std::string out = attach();
  EXPECT_NE(out.find("pgv0: tc egress attached (clsact created), xdp attached in generic mode"),
            std::string::npos) << out;
  EXPECT_TRUE(has_clsact("pgv0"));
  EXPECT_EQ(our_filters("pgv0"), 1u) << egress_filters("pgv0");
  EXPECT_TRUE(tc_egress_attached(index("pgv0")));
  EXPECT_NE(xdp_prog_ids(index("pgv0")).generic, 0u);
  EXPECT_EQ(xdp_name("pgv0"), PG_PROG_XDP_INGRESS);
  for (const char* map : kPinnedMaps)
    EXPECT_TRUE(std::filesystem::exists(pin_file(pins_.path(), map))) << map;

  const std::string gone = detach();
  EXPECT_NE(gone.find("pgv0: tc egress detached, clsact removed, xdp detached"),
            std::string::npos) << gone;
  expect_clean("pgv0");
  EXPECT_FALSE(has_clsact("pgv0"));  // poolgate created it, poolgate removes it
  EXPECT_FALSE(std::filesystem::exists(pins_.path()));
}

TEST_F(BpfAttach, ForeignClsactSurvivesDetach) {
  ASSERT_EQ(std::system("tc qdisc add dev pgv0 clsact"), 0);
  const std::string out = attach();
  EXPECT_NE(out.find("(existing clsact)"), std::string::npos) << out;
  detach();
  expect_clean("pgv0");
  EXPECT_TRUE(has_clsact("pgv0"));
}

TEST_F(BpfAttach, AttachingTwiceReplaces) {
  attach();
  const std::string again = attach();
  EXPECT_NE(again.find("(clsact created earlier by poolgate)"), std::string::npos) << again;
  EXPECT_EQ(our_filters("pgv0"), 1u) << egress_filters("pgv0");
  EXPECT_EQ(xdp_name("pgv0"), PG_PROG_XDP_INGRESS);
  detach();
  expect_clean("pgv0");
  EXPECT_FALSE(has_clsact("pgv0"));  // the record survived the second attach
}

TEST_F(BpfAttach, SwitchingXdpModeMovesOurProgram) {
  attach();
  config_.kernel.xdp_mode = XdpMode::Native;  // veth supports native XDP
  const std::string out = attach();
  EXPECT_NE(out.find("xdp attached in native mode"), std::string::npos) << out;
  const XdpProgIds ids = xdp_prog_ids(index("pgv0"));
  EXPECT_NE(ids.native, 0u);
  EXPECT_EQ(ids.generic, 0u);
  config_.kernel.xdp_mode = XdpMode::Auto;
  EXPECT_NE(attach().find("native mode"), std::string::npos);
  detach();
  expect_clean("pgv0");
}

TEST_F(BpfAttach, MissingInterfaceFailsBeforeAttachingAnything) {
  config_.kernel.interfaces = {"pgv0", "pgnope0"};
  try {
    attach();
    FAIL() << "bpf_attach did not throw";
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find("pgnope0"), std::string::npos) << e.what();
  }
  expect_clean("pgv0");
  EXPECT_FALSE(has_clsact("pgv0"));
}

TEST_F(BpfAttach, DetachSkipsAnInterfaceThatIsGone) {
  attach();
  ASSERT_EQ(std::system("ip link del pgv0"), 0);
  const std::string out = detach();
  EXPECT_NE(out.find("no longer exists"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(pins_.path()));
}

TEST_F(BpfAttach, InterfaceDroppedFromConfigIsDetachedOnNextAttach) {
  config_.kernel.interfaces = {"pgv0", "pgv1"};
  attach();
  EXPECT_TRUE(tc_egress_attached(index("pgv1")));
  config_.kernel.interfaces = {"pgv0"};
  attach();
  expect_clean("pgv1");
  EXPECT_FALSE(has_clsact("pgv1"));
  EXPECT_TRUE(tc_egress_attached(index("pgv0")));
  detach();
  expect_clean("pgv0");
}

TEST_F(BpfAttach, ForeignXdpProgramIsNeitherReplacedNorDetached) {
  const bpf_insn pass[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  UniqueFd other(bpf_prog_load(BPF_PROG_TYPE_XDP, "other_xdp", "GPL", pass, 2, nullptr));
  ASSERT_TRUE(other.valid()) << strerror(errno);
  ASSERT_EQ(bpf_xdp_attach(index("pgv0"), other.get(), XDP_FLAGS_SKB_MODE, nullptr), 0);

  try {
    attach();
    FAIL() << "bpf_attach replaced another XDP program";
  } catch (const OperatorError& e) {
    EXPECT_NE(std::string(e.what()).find("other_xdp"), std::string::npos) << e.what();
  }
  EXPECT_EQ(xdp_name("pgv0"), "other_xdp");
  detach();
  EXPECT_EQ(xdp_name("pgv0"), "other_xdp");
  EXPECT_EQ(our_filters("pgv0"), 0u);
  EXPECT_FALSE(std::filesystem::exists(pins_.path()));
}

}  // namespace
