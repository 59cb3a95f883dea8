// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP ingress: counts traffic to each pool address, per pool and per address, and
 * (block_inbound_syn) drops new inbound TCP connections to pool addresses, which
 * only ever originate connections. Everything else passes untouched; the host's
 * own addresses are not poolgate's business.
 */
#include "vmlinux.h"
#include "poolgate_maps.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

SEC("xdp")
int pg_xdp_ingress(struct xdp_md *ctx)
{
	struct pg_settings *settings = pg_settings();
	struct pg_global_counters *global;
	struct pg_pool_counters *pool;
	struct pg_addr_counters *addr;
	struct pg_addr_entry *entry;
	__u64 len;
	struct pg_packet pkt;

	if (!settings || pg_parse(ctx, true, &pkt) != PG_IP)
		return XDP_PASS;
	entry = bpf_map_lookup_elem(&pg1_addrs, &pkt.dst);
	if (!entry)
		return XDP_PASS;
	len = bpf_xdp_get_buff_len(ctx); /* all fragments */
	pool = pg_pool_stats(entry->pool_id);
	if (pool) {
		pool->rx_packets++;
		pool->rx_bytes += len;
	}
	addr = pg_addr_stats(&pkt.dst);
	if (addr) {
		addr->rx_packets++;
		addr->rx_bytes += len;
	}
	if (!(settings->flags & PG_SETTING_BLOCK_INBOUND_SYN) || !pg_is_new_connection(&pkt))
		return XDP_PASS;
	if (pool)
		pool->inbound_syn_drops++;
	if (addr)
		addr->inbound_syn_drops++;
	global = pg_global();
	if (global)
		global->inbound_syn_drops++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
