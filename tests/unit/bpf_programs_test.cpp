// The tc egress and XDP ingress programs themselves: verdicts and counters for
// crafted frames run through BPF_PROG_TEST_RUN (needs root). Pool "normal" owns
// 198.51.100.10 (mark 0x100) and 2001:db8:100::10 (0x101), "high-risk" owns
// 203.0.113.66 (0x200); fwmark_mask is 0x0fff (bpf_test_support.h).
#include "bpf_test_support.h"

#include <linux/if_link.h>

using namespace poolgate;
using namespace poolgate::testing;

namespace {

class BpfTcEgress : public LoadedDataPlane {};
class BpfXdpIngress : public LoadedDataPlane {};

// --- tc egress: marked traffic ---

TEST_F(BpfTcEgress, MarkedRightSourcePassesAndCounts) {
  const auto syn = make_frame({kNormalV4, kPeerV4, true, 25, kSyn});
  const auto data = make_frame({kNormalV4, kPeerV4, true, 25, kAck, 100});
  EXPECT_EQ(run_tc(tc(), syn, kNormalMark), kTcActOk);
  EXPECT_EQ(run_tc(tc(), data, kNormalMark), kTcActOk);
  const PoolStats normal = pool("normal");
  EXPECT_EQ(normal.tx_packets, 2u);
  EXPECT_EQ(normal.tx_bytes, syn.size() + data.size());
  EXPECT_EQ(normal.connections, 1u);  // the SYN only
  EXPECT_EQ(normal.leak_drops, 0u);
  EXPECT_EQ(pool("high-risk").tx_packets, 0u);
}

TEST_F(BpfTcEgress, CountsPerSourceAddress) {
  // Two addresses of one pool: each mark's traffic is credited to its address.
  const auto syn = make_frame({kNormalV4, kPeerV4, true, 25, kSyn});
  const auto data = make_frame({kNormalV4, kPeerV4, true, 25, kAck, 1000});
  const auto syn6 = make_frame({kNormalV6, kPeerV6, true, 25, kSyn});
  EXPECT_EQ(run_tc(tc(), syn, kNormalMark), kTcActOk);
  EXPECT_EQ(run_tc(tc(), data, kNormalMark, 3), kTcActOk);
  EXPECT_EQ(run_tc(tc(), syn6, kNormalMark + 1), kTcActOk);
  const AddressStats v4 = address(kNormalV4);
  EXPECT_EQ(v4.pool, "normal");
  EXPECT_EQ(v4.tx_packets, 4u);  // the SYN, then 3 GSO segments
  EXPECT_EQ(v4.tx_bytes, syn.size() + data.size());
  EXPECT_EQ(v4.connections, 1u);
  const AddressStats v6 = address(kNormalV6);
  EXPECT_EQ(v6.pool, "normal");
  EXPECT_EQ(v6.tx_packets, 1u);
  EXPECT_EQ(v6.tx_bytes, syn6.size());
  EXPECT_EQ(v6.connections, 1u);
  EXPECT_EQ(address(kHighRiskV4).tx_packets, 0u);
  EXPECT_EQ(pool("normal").tx_packets, 5u);  // the pool still counts both
}

TEST_F(BpfTcEgress, LeakDropCountedOnTheMarksAddress) {
  // high-risk's mark leaving from normal's address: the address whose traffic
  // went astray is high-risk's, not the source the packet carries.
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kHighRiskMark), kTcActShot);
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark + 1), kTcActShot);
  EXPECT_EQ(address(kHighRiskV4).leak_drops, 1u);
  EXPECT_EQ(address(kHighRiskV4).tx_packets, 0u);
  EXPECT_EQ(address(kNormalV6).leak_drops, 1u);
  EXPECT_EQ(address(kNormalV4).leak_drops, 0u);
  EXPECT_EQ(address(kNormalV4).tx_packets, 0u);
}

TEST_F(BpfTcEgress, MarkBitsOutsideMaskDoNotMatter) {
  // Bits outside fwmark_mask belong to somebody else (kube-proxy, Calico, ...).
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kNormalMark | kForeignMark),
            kTcActOk);
  EXPECT_EQ(pool("normal").tx_packets, 1u);
}

TEST_F(BpfTcEgress, MarkedWrongSourceIsLeakDrop) {
  // high-risk mark, but routing picked normal's address: fail closed.
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), kHighRiskMark), kTcActShot);
  EXPECT_EQ(pool("high-risk").leak_drops, 1u);
  EXPECT_EQ(pool("high-risk").tx_packets, 0u);
  EXPECT_EQ(pool("normal").leak_drops, 0u);
}

TEST_F(BpfTcEgress, Ipv4MarkOnIpv6PacketIsLeakDrop) {
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV6, kPeerV6}), kNormalMark), kTcActShot);
  EXPECT_EQ(pool("normal").leak_drops, 1u);
}

TEST_F(BpfTcEgress, Ipv6RightAndWrongSource) {
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV6, kPeerV6, true, 25, kSyn}), kNormalMark + 1),
            kTcActOk);
  EXPECT_EQ(run_tc(tc(), make_frame({"2001:db8:100::11", kPeerV6}), kNormalMark + 1),
            kTcActShot);
  const PoolStats normal = pool("normal");
  EXPECT_EQ(normal.tx_packets, 1u);
  EXPECT_EQ(normal.connections, 1u);
  EXPECT_EQ(normal.leak_drops, 1u);
}

TEST_F(BpfTcEgress, UnknownMarkInsideMaskDropped) {
  EXPECT_EQ(run_tc(tc(), make_frame({kNormalV4, kPeerV4}), 0x300), kTcActShot);
  EXPECT_EQ(stats().unknown_mark_drops, 1u);
  EXPECT_EQ(pool("normal").leak_drops, 0u);
}

TEST_F(BpfTcEgress, GsoSegmentsCountedIndividually) {
  const auto frame = make_frame({kHighRiskV4, kPeerV4, true, 25, kAck, 1000});
  EXPECT_EQ(run_tc(tc(), frame, kHighRiskMark, 7), kTcActOk);
  EXPECT_EQ(pool("high-risk").tx_packets, 7u);
  EXPECT_EQ(pool("high-risk").tx_bytes, frame.size());
}

TEST_F(BpfTcEgress, NonIpPassesEvenWithUnknownMark) {
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
  arp.resize(42, 0);
  EXPECT_EQ(run_tc(tc(), arp, 0x300), kTcActOk);
  EXPECT_EQ(stats().unknown_mark_drops, 0u);
}

TEST_F(BpfTcEgress, LinkControlIsExemptFromMarkChecks) {
  // The kernel builds IGMP/MLD reports and ND with skb->mark holding
  // reserved_tailroom (a union): whatever "mark" they show must not drop them.
  FrameSpec mld{"fe80::1", "ff02::16"};
  mld.other_proto = 58;
  mld.other_type = 143;  // MLDv2 report, behind hop-by-hop like the real one
  mld.hop_by_hop = true;
  EXPECT_EQ(run_tc(tc(), make_frame(mld), 0x140), kTcActOk);
  FrameSpec ns{kNormalV6, "ff02::1:ff00:10"};
  ns.other_proto = 58;
  ns.other_type = 135;  // neighbour solicitation
  EXPECT_EQ(run_tc(tc(), make_frame(ns), kHighRiskMark), kTcActOk);
  FrameSpec igmp{"198.51.100.1", "224.0.0.22"};
  igmp.other_proto = 2;
  igmp.other_type = 0x22;  // IGMPv3 report
  EXPECT_EQ(run_tc(tc(), make_frame(igmp), 0x140), kTcActOk);
  EXPECT_EQ(stats().unknown_mark_drops, 0u);
  EXPECT_EQ(pool("high-risk").leak_drops, 0u);

  FrameSpec echo{kNormalV6, kPeerV6};  // other ICMPv6 is checked like anything else
  echo.other_proto = 58;
  echo.other_type = 128;
  EXPECT_EQ(run_tc(tc(), make_frame(echo), kHighRiskMark), kTcActShot);
  EXPECT_EQ(pool("high-risk").leak_drops, 1u);
}

TEST_F(BpfTcEgress, Ipv6ExtensionHeadersAreWalkedToTcp) {
  FrameSpec smtp{"2001:db8:1::1", kPeerV6, true, 25, kSyn};
  smtp.hop_by_hop = true;
  EXPECT_EQ(run_tc(tc(), make_frame(smtp), 0), kTcActShot);
  EXPECT_EQ(stats().unmarked_smtp_drops, 1u);
}

// --- tc egress: unmarked traffic ---

TEST_F(BpfTcEgress, UnmarkedSmtpDroppedWhenStrict) {
  EXPECT_EQ(run_tc(tc(), make_frame({"198.51.100.1", kPeerV4, true, 25, kSyn}), 0), kTcActShot);
  // Marks outside the mask only: still unmarked as far as poolgate goes.
  EXPECT_EQ(run_tc(tc(), make_frame({"2001:db8:1::1", kPeerV6, true, 25, kSyn}), kForeignMark),
            kTcActShot);
  EXPECT_EQ(stats().unmarked_smtp_drops, 2u);
  EXPECT_EQ(pool("normal").tx_packets, 0u);
}

TEST_F(BpfTcEgress, UnmarkedSmtpPassesWithoutStrict) {
  config_.kernel.strict_smtp = false;
  apply(config_);
  EXPECT_EQ(run_tc(tc(), make_frame({"198.51.100.1", kPeerV4, true, 25, kSyn}), 0), kTcActOk);
  EXPECT_EQ(stats().unmarked_smtp_drops, 0u);
}

TEST_F(BpfTcEgress, UnmarkedOtherTrafficPasses) {
  EXPECT_EQ(run_tc(tc(), make_frame({"198.51.100.1", kPeerV4, true, 80, kSyn}), 0), kTcActOk);
  EXPECT_EQ(run_tc(tc(), make_frame({"198.51.100.1", kPeerV4, false, 25}), 0), kTcActOk);  // UDP
  EXPECT_EQ(stats().unmarked_smtp_drops, 0u);
  EXPECT_EQ(pool("normal").tx_packets, 0u);
}

// --- XDP ingress ---

TEST_F(BpfXdpIngress, PacketToPoolAddressCountsRx) {
  const auto frame = make_frame({kPeerV4, kHighRiskV4, true, 40000, kAck, 500});
  const auto v6 = make_frame({kPeerV6, kNormalV6, true, 40000, kAck, 10});
  EXPECT_EQ(run_xdp(xdp(), frame), XDP_PASS);
  EXPECT_EQ(run_xdp(xdp(), v6), XDP_PASS);
  EXPECT_EQ(pool("high-risk").rx_packets, 1u);
  EXPECT_EQ(pool("high-risk").rx_bytes, frame.size());
  EXPECT_EQ(pool("normal").rx_packets, 1u);
  EXPECT_EQ(pool("normal").rx_bytes, v6.size());
}

TEST_F(BpfXdpIngress, CountsPerDestinationAddress) {
  const auto to_v4 = make_frame({kPeerV4, kNormalV4, true, 40000, kAck, 300});
  const auto to_v6 = make_frame({kPeerV6, kNormalV6, true, 40000, kAck, 10});
  EXPECT_EQ(run_xdp(xdp(), to_v4), XDP_PASS);
  EXPECT_EQ(run_xdp(xdp(), to_v4), XDP_PASS);
  EXPECT_EQ(run_xdp(xdp(), to_v6), XDP_PASS);
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV4, kHighRiskV4, true, 25, kSyn})), XDP_DROP);
  EXPECT_EQ(address(kNormalV4).rx_packets, 2u);
  EXPECT_EQ(address(kNormalV4).rx_bytes, 2 * to_v4.size());
  EXPECT_EQ(address(kNormalV6).rx_packets, 1u);
  EXPECT_EQ(address(kNormalV6).rx_bytes, to_v6.size());
  EXPECT_EQ(address(kNormalV4).inbound_syn_drops, 0u);
  EXPECT_EQ(address(kHighRiskV4).inbound_syn_drops, 1u);
  EXPECT_EQ(address(kHighRiskV4).rx_packets, 1u);  // counted before the verdict
  EXPECT_EQ(address(kHighRiskV4).tx_packets, 0u);
}

TEST_F(BpfXdpIngress, VlanTaggedFrameCounted) {
  const auto frame = make_frame({kPeerV4, kNormalV4, true, 40000, kAck, 0, true});
  EXPECT_EQ(run_xdp(xdp(), frame), XDP_PASS);
  EXPECT_EQ(pool("normal").rx_packets, 1u);
  EXPECT_EQ(pool("normal").rx_bytes, frame.size());
}

TEST_F(BpfXdpIngress, SynToPoolAddressDroppedAndCounted) {
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV4, kHighRiskV4, true, 25, kSyn})), XDP_DROP);
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV6, kNormalV6, true, 25, kSyn})), XDP_DROP);
  EXPECT_EQ(pool("high-risk").inbound_syn_drops, 1u);
  EXPECT_EQ(pool("normal").inbound_syn_drops, 1u);
  EXPECT_EQ(stats().inbound_syn_drops, 2u);
  EXPECT_EQ(pool("high-risk").rx_packets, 1u);  // counted before the verdict
}

TEST_F(BpfXdpIngress, SynAckToPoolAddressPasses) {
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV4, kNormalV4, true, 40000, kSyn | kAck})),
            XDP_PASS);
  EXPECT_EQ(pool("normal").inbound_syn_drops, 0u);
  EXPECT_EQ(stats().inbound_syn_drops, 0u);
}

TEST_F(BpfXdpIngress, SynPassesWhenBlockingIsOff) {
  config_.kernel.block_inbound_syn = false;
  apply(config_);
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV4, kNormalV4, true, 25, kSyn})), XDP_PASS);
  EXPECT_EQ(pool("normal").rx_packets, 1u);
  EXPECT_EQ(stats().inbound_syn_drops, 0u);
}

TEST_F(BpfXdpIngress, NonPoolAddressNotCounted) {
  EXPECT_EQ(run_xdp(xdp(), make_frame({kPeerV4, "198.51.100.1", true, 25, kSyn})), XDP_PASS);
  for (const PoolStats& p : stats().pools) {
    EXPECT_EQ(p.rx_packets, 0u) << p.name;
    EXPECT_EQ(p.inbound_syn_drops, 0u) << p.name;
  }
  EXPECT_EQ(stats().inbound_syn_drops, 0u);
}

}  // namespace
