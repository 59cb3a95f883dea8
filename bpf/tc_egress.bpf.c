// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tc clsact egress: enforces that a packet carrying a poolgate fwmark leaves
 * from exactly the pool address that mark belongs to, and (strict_smtp) that
 * nothing unmarked speaks SMTP to the outside.
 *
 * Fail closed: a mark inside fwmark_mask that no pool address owns, or a marked
 * packet whose family/source differs from its address (routing drifted, a rule
 * was removed, the address moved), is dropped and counted. Policy routing picks
 * the source; this program is the check that it actually did.
 *
 * IGMP and ICMPv6 MLD/neighbour discovery are exempt from mark checks: the
 * kernel generates them with skb->mark holding reserved_tailroom (a union), not
 * a mark, and dropping them would break multicast and neighbour discovery.
 */
#include "vmlinux.h"
#include "poolgate_maps.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2
#define PG_SMTP_PORT 25

/* The unmarked path: only strict_smtp has anything to say about it. */
static __always_inline int pg_unmarked(const struct pg_settings *settings,
				       const struct pg_packet *pkt)
{
	struct pg_global_counters *global;

	if (!(settings->flags & PG_SETTING_STRICT_SMTP) || !pkt->is_tcp ||
	    pkt->dport != PG_SMTP_PORT)
		return TC_ACT_OK;
	global = pg_global();
	if (global)
		global->unmarked_smtp_drops++;
	return TC_ACT_SHOT;
}

static __always_inline int pg_marked(struct __sk_buff *skb, __u32 masked,
				     const struct pg_packet *pkt)
{
	struct pg_mark_entry *entry = bpf_map_lookup_elem(&pg1_marks, &masked);
	struct pg_pool_counters *pool;
	struct pg_addr_counters *addr;
	__u64 segs, conn;

	if (!entry) {
		struct pg_global_counters *global = pg_global();

		if (global)
			global->unknown_mark_drops++;
		return TC_ACT_SHOT;
	}
	pool = pg_pool_stats(entry->pool_id);
	/* The mark's address, also for a leak: that is the address whose
	 * traffic went astray, whatever source the packet carries. */
	addr = pg_addr_stats(&entry->source);
	if (!pg_addr_equal(&pkt->src, &entry->source)) {
		if (pool)
			pool->leak_drops++;
		if (addr)
			addr->leak_drops++;
		return TC_ACT_SHOT;
	}
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	conn = pg_is_new_connection(pkt) ? 1 : 0;
	if (pool) {
		pool->tx_packets += segs;
		pool->tx_bytes += skb->len;
		pool->connections += conn;
	}
	if (addr) {
		addr->tx_packets += segs;
		addr->tx_bytes += skb->len;
		addr->connections += conn;
	}
	return TC_ACT_OK;
}

SEC("tc")
int pg_tc_egress(struct __sk_buff *skb)
{
	struct pg_settings *settings = pg_settings();
	struct pg_packet pkt;
	__u32 masked;

	if (!settings || pg_parse(skb, false, &pkt) == PG_NOT_IP)
		return TC_ACT_OK;
	/* PG_BAD_IP carries on with an empty source: marked -> leak drop. */
	masked = skb->mark & settings->fwmark_mask;
	if (masked && !pkt.link_control)
		return pg_marked(skb, masked, &pkt);
	return pg_unmarked(settings, &pkt);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
