/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing shared by tc egress and XDP ingress: Ethernet (plus at most one
 * VLAN tag) -> IPv4/IPv6 addresses -> TCP destination port and flags.
 *
 * Bytes are copied out with bpf_skb_load_bytes / bpf_xdp_load_bytes rather than
 * read through data/data_end: headers of a locally generated skb can sit in a
 * non-linear part (and XDP frames can be multi-buffer), where direct packet
 * access would see nothing and a marked packet would slip through unverified.
 * `xdp` is a constant at every call site, so the unused helper call is compiled
 * out and each program only references the helper its type may use.
 */
#ifndef POOLGATE_PARSE_BPF_H
#define POOLGATE_PARSE_BPF_H

#include "vmlinux.h"
#include "poolgate_maps.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* vmlinux.h carries types, not macros. */
#define PG_ETH_HLEN       14
#define PG_ETH_P_IP       0x0800
#define PG_ETH_P_IPV6     0x86DD
#define PG_ETH_P_8021Q    0x8100
#define PG_ETH_P_8021AD   0x88A8
#define PG_IPPROTO_IGMP   2
#define PG_IPPROTO_TCP    6
#define PG_IPPROTO_ICMPV6 58
/* ICMPv6 MLD (130-132, 143) and neighbour discovery (133-137) */
#define PG_ICMPV6_LINK_CONTROL_FIRST 130
#define PG_ICMPV6_LINK_CONTROL_LAST  143
#define PG_IP_OFFSET_MASK 0x1FFF
#define PG_TCP_FLAG_SYN   0x02
#define PG_TCP_FLAG_ACK   0x10
/* IPv6 extension headers skipped on the way to TCP. */
#define PG_NEXTHDR_HOP      0
#define PG_NEXTHDR_ROUTING  43
#define PG_NEXTHDR_FRAGMENT 44
#define PG_NEXTHDR_DEST     60
#define PG_MAX_EXT_HEADERS  4

enum pg_parse_result {
	PG_NOT_IP = 0, /* ARP, LLDP, ...: poolgate has no opinion */
	PG_IP,         /* addresses (and TCP fields, if TCP) filled in */
	PG_BAD_IP,     /* IP ethertype but the header could not be read */
};

struct pg_packet {
	struct pg_addr src;
	struct pg_addr dst;
	__u16 dport;     /* host byte order, valid when is_tcp */
	__u8 tcp_flags;  /* valid when is_tcp */
	__u8 is_tcp;     /* a TCP header was read (first fragment only) */
	/* IGMP, MLD or neighbour discovery: link control the kernel generates
	 * itself. For these skb->mark is not a mark: it shares storage with
	 * skb->reserved_tailroom, which skb_tailroom_reserve() (IGMPv3/MLD
	 * reports) and ndisc_alloc_skb() set. */
	__u8 link_control;
};

static __always_inline int pg_load(void *ctx, bool xdp, __u32 off, void *to, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline bool pg_is_new_connection(const struct pg_packet *pkt)
{
	return pkt->is_tcp && (pkt->tcp_flags & PG_TCP_FLAG_SYN) &&
	       !(pkt->tcp_flags & PG_TCP_FLAG_ACK);
}

static __always_inline bool pg_addr_equal(const struct pg_addr *a, const struct pg_addr *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	return a->family == b->family && x[0] == y[0] && x[1] == y[1] && x[2] == y[2] &&
	       x[3] == y[3];
}

static __always_inline void pg_parse_tcp(void *ctx, bool xdp, __u32 off, struct pg_packet *pkt)
{
	__u8 th[14]; /* ports, seq, ack, data offset, flags */

	if (pg_load(ctx, xdp, off, th, sizeof(th)))
		return;
	pkt->dport = ((__u16)th[2] << 8) | th[3];
	pkt->tcp_flags = th[13];
	pkt->is_tcp = 1;
}

static __always_inline int pg_parse_ipv4(void *ctx, bool xdp, __u32 off, struct pg_packet *pkt)
{
	struct iphdr ip;

	if (pg_load(ctx, xdp, off, &ip, sizeof(ip)) || ip.version != 4 || ip.ihl < 5)
		return PG_BAD_IP;
	pkt->src.family = PG_FAMILY_IPV4;
	pkt->dst.family = PG_FAMILY_IPV4;
	__builtin_memcpy(pkt->src.addr, &ip.saddr, 4);
	__builtin_memcpy(pkt->dst.addr, &ip.daddr, 4);
	pkt->link_control = ip.protocol == PG_IPPROTO_IGMP;
	if (ip.protocol == PG_IPPROTO_TCP && !(ip.frag_off & bpf_htons(PG_IP_OFFSET_MASK)))
		pg_parse_tcp(ctx, xdp, off + ip.ihl * 4, pkt);
	return PG_IP;
}

static __always_inline int pg_parse_ipv6(void *ctx, bool xdp, __u32 off, struct pg_packet *pkt)
{
	struct ipv6hdr ip6;
	__u8 nexthdr;

	if (pg_load(ctx, xdp, off, &ip6, sizeof(ip6)) || ip6.version != 6)
		return PG_BAD_IP;
	pkt->src.family = PG_FAMILY_IPV6;
	pkt->dst.family = PG_FAMILY_IPV6;
	__builtin_memcpy(pkt->src.addr, &ip6.saddr, 16);
	__builtin_memcpy(pkt->dst.addr, &ip6.daddr, 16);

	nexthdr = ip6.nexthdr;
	off += sizeof(ip6);
	for (int i = 0; i < PG_MAX_EXT_HEADERS; i++) {
		__u8 ext[8]; /* next header, length, and for a fragment header its offset */

		if (nexthdr != PG_NEXTHDR_HOP && nexthdr != PG_NEXTHDR_ROUTING &&
		    nexthdr != PG_NEXTHDR_DEST && nexthdr != PG_NEXTHDR_FRAGMENT)
			break;
		if (pg_load(ctx, xdp, off, ext, sizeof(ext)))
			return PG_IP;
		if (nexthdr == PG_NEXTHDR_FRAGMENT) {
			if (((ext[2] << 8) | ext[3]) & ~7) /* not the first fragment */
				return PG_IP;
			off += 8;
		} else {
			off += (ext[1] + 1) * 8;
		}
		nexthdr = ext[0];
	}
	if (nexthdr == PG_IPPROTO_TCP)
		pg_parse_tcp(ctx, xdp, off, pkt);
	if (nexthdr == PG_IPPROTO_ICMPV6) {
		__u8 type;

		if (pg_load(ctx, xdp, off, &type, sizeof(type)) == 0)
			pkt->link_control = type >= PG_ICMPV6_LINK_CONTROL_FIRST &&
					    type <= PG_ICMPV6_LINK_CONTROL_LAST;
	}
	return PG_IP;
}

/* Fills *pkt from the frame starting at its Ethernet header. */
static __always_inline int pg_parse(void *ctx, bool xdp, struct pg_packet *pkt)
{
	__u32 off = PG_ETH_HLEN;
	__be16 proto;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	if (pg_load(ctx, xdp, 12, &proto, sizeof(proto)))
		return PG_NOT_IP;
	if (proto == bpf_htons(PG_ETH_P_8021Q) || proto == bpf_htons(PG_ETH_P_8021AD)) {
		if (pg_load(ctx, xdp, off + 2, &proto, sizeof(proto)))
			return PG_NOT_IP;
		off += 4;
	}
	if (proto == bpf_htons(PG_ETH_P_IP))
		return pg_parse_ipv4(ctx, xdp, off, pkt);
	if (proto == bpf_htons(PG_ETH_P_IPV6))
		return pg_parse_ipv6(ctx, xdp, off, pkt);
	return PG_NOT_IP;
}

#endif /* POOLGATE_PARSE_BPF_H */
