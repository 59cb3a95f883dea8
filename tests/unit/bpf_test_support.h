// Shared by the bpf_*_test.cpp binaries: a unique bpffs pin root per test, the
// two-pool config the tests reason about, crafted Ethernet frames, and running
// the loaded programs on them with BPF_PROG_TEST_RUN.
#pragma once

#include "config/config.h"
#include "kernel/bpffs.h"
#include "kernel/data_plane.h"
#include "kernel/map_sync.h"
#include "kernel/pins.h"
#include "kernel/stats.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace poolgate::testing {

inline constexpr uint32_t kMask = 0x0fff;
inline constexpr uint32_t kForeignMark = 0x4000;  // outside the mask (kube-proxy's bit)
inline constexpr uint32_t kNormalMark = 0x100;  // 198.51.100.10; +1: 2001:db8:100::10
inline constexpr uint32_t kHighRiskMark = 0x200;  // 203.0.113.66
inline constexpr const char* kNormalV4 = "198.51.100.10";
inline constexpr const char* kNormalV6 = "2001:db8:100::10";
inline constexpr const char* kHighRiskV4 = "203.0.113.66";
inline constexpr const char* kPeerV4 = "198.51.100.254";
inline constexpr const char* kPeerV6 = "2001:db8:ffff::254";
inline constexpr uint8_t kSyn = 0x02, kAck = 0x10;
inline constexpr int kTcActOk = 0, kTcActShot = 2;

// A pin root no other test (or test process) uses, on bpffs; everything under
// it is removed on destruction, also when the test failed.
class PinRoot {
 public:
  PinRoot() {
    static std::atomic<int> counter{0};
    if (auto notice = ensure_bpffs(std::string(kBpffsMountPoint) + "/x"))
      std::cerr << *notice << "\n";
    path_ = std::string(kBpffsMountPoint) + "/pgtest-unit-" + std::to_string(getpid()) + "-" +
            std::to_string(counter++);
  }
  ~PinRoot() {
    unpin_all(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  PinRoot(const PinRoot&) = delete;
  PinRoot& operator=(const PinRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Config two_pool_config(const std::string& pin_path) {
  using boost::asio::ip::make_address;
  Config config;
  config.routing.fwmark_mask = kMask;
  config.kernel.pin_path = pin_path;
  config.kernel.strict_smtp = true;
  config.kernel.block_inbound_syn = true;
  config.pools.push_back({"normal", kNormalMark, 100, "mail.example.com",
                          {make_address(kNormalV4), make_address(kNormalV6)}});
  config.pools.push_back({"high-risk", kHighRiskMark, 200, "bulk.example.com",
                          {make_address(kHighRiskV4)}});
  return config;
}

struct FrameSpec {
  std::string src;
  std::string dst;
  bool tcp = true;  // else UDP
  uint16_t dport = 80;
  uint8_t tcp_flags = kAck;
  size_t payload = 0;
  bool vlan = false;  // one 802.1Q tag
  // Neither TCP nor UDP: this IP protocol with an 8-byte header whose first byte
  // is `other_type` (IGMP, ICMPv6).
  uint8_t other_proto = 0;
  uint8_t other_type = 0;
  bool hop_by_hop = false;  // IPv6: an 8-byte hop-by-hop header first (as MLD has)
};

// Ethernet [+ VLAN] + IPv4/IPv6 (by the address family) [+ hop-by-hop] +
// TCP/UDP/other + payload.
// Checksums are left zero: neither program looks at them.
inline std::vector<uint8_t> make_frame(const FrameSpec& spec) {
  const auto src = boost::asio::ip::make_address(spec.src);
  const auto dst = boost::asio::ip::make_address(spec.dst);
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  auto put16 = [&f](uint16_t v) { f.push_back(v >> 8); f.push_back(v & 0xff); };
  auto put_bytes = [&f](const auto& bytes) { f.insert(f.end(), bytes.begin(), bytes.end()); };
  if (spec.vlan) { put16(0x8100); put16(42); }

  const bool tcp = spec.tcp && spec.other_proto == 0;
  const uint16_t l4_len = static_cast<uint16_t>((tcp ? 20 : 8) + spec.payload);
  const uint8_t proto = spec.other_proto ? spec.other_proto : tcp ? 6 : 17;
  const uint16_t ext_len = spec.hop_by_hop ? 8 : 0;
  if (src.is_v4()) {
    put16(0x0800);
    put16(0x4500); put16(20 + l4_len); put16(0); put16(0x4000);  // DF
    f.push_back(64); f.push_back(proto); put16(0);
    put_bytes(src.to_v4().to_bytes()); put_bytes(dst.to_v4().to_bytes());
  } else {
    put16(0x86dd);
    put16(0x6000); put16(0); put16(l4_len + ext_len);
    f.push_back(spec.hop_by_hop ? 0 : proto); f.push_back(64);
    put_bytes(src.to_v6().to_bytes()); put_bytes(dst.to_v6().to_bytes());
    if (spec.hop_by_hop) {  // router alert option, as MLD carries it
      f.push_back(proto); f.push_back(0); put16(0x0502); put16(0); put16(0x0100);
    }
  }
  if (spec.other_proto) {
    f.push_back(spec.other_type);
    f.resize(f.size() + 7, 0);
  } else if (tcp) {
    put16(40000); put16(spec.dport);
    put16(0); put16(1); put16(0); put16(spec.tcp_flags & kAck ? 1 : 0);  // seq, ack
    f.push_back(5 << 4); f.push_back(spec.tcp_flags); put16(65535); put16(0); put16(0);
  } else {
    put16(40000); put16(spec.dport); put16(l4_len); put16(0);
  }
  f.resize(f.size() + spec.payload, 'x');
  return f;
}

// Runs the tc program on `frame` as an skb with this mark and GSO segment count.
inline int run_tc(int prog_fd, const std::vector<uint8_t>& frame, uint32_t mark,
                  uint32_t gso_segs = 0) {
  __sk_buff ctx{};
  ctx.mark = mark;
  ctx.gso_segs = gso_segs;
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  opts.data_in = frame.data();
  opts.data_size_in = static_cast<uint32_t>(frame.size());
  opts.ctx_in = &ctx;
  opts.ctx_size_in = sizeof(ctx);
  EXPECT_EQ(bpf_prog_test_run_opts(prog_fd, &opts), 0) << "test_run: " << strerror(errno);
  return static_cast<int>(opts.retval);
}

inline uint32_t run_xdp(int prog_fd, const std::vector<uint8_t>& frame) {
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  opts.data_in = frame.data();
  opts.data_size_in = static_cast<uint32_t>(frame.size());
  EXPECT_EQ(bpf_prog_test_run_opts(prog_fd, &opts), 0) << "test_run: " << strerror(errno);
  return opts.retval;
}

inline PoolStats pool_stats(const std::string& pin_path, const std::string& name) {
  for (const PoolStats& p : read_stats(pin_path).pools)
    if (p.name == name) return p;
  ADD_FAILURE() << "no pool " << name << " in stats at " << pin_path;
  return {};
}

// One pool address's counters (pg1_addr_stats), by the address as text.
inline AddressStats address_stats(const std::string& pin_path, const std::string& address) {
  for (const AddressStats& a : read_stats(pin_path).addresses)
    if (a.address == address) return a;
  ADD_FAILURE() << "no address " << address << " in stats at " << pin_path;
  return {};
}

// Fixture: both programs loaded with maps pinned under a fresh pin root and
// filled from two_pool_config().
class LoadedDataPlane : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = two_pool_config(pins_.path());
    plane_ = std::make_unique<DataPlane>(pins_.path());
    sync_maps(plane_->maps(), config_);
  }
  void TearDown() override { plane_.reset(); }

  void apply(const Config& config) { sync_maps(plane_->maps(), config); }
  int tc() const { return plane_->tc_prog_fd(); }
  int xdp() const { return plane_->xdp_prog_fd(); }
  Stats stats() const { return read_stats(pins_.path()); }
  PoolStats pool(const std::string& name) const { return pool_stats(pins_.path(), name); }
  AddressStats address(const std::string& text) const { return address_stats(pins_.path(), text); }

  PinRoot pins_;  // first member: destroyed last, after the programs
  Config config_;
  std::unique_ptr<DataPlane> plane_;
};

}  // namespace poolgate::testing
