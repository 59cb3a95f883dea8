/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one definition of every struct and constant shared by the BPF programs
 * (bpf/NAME.bpf.c) and the userspace loader/reader (userspace/kernel/).
 *
 * Plain C on purpose: BPF side includes it after vmlinux.h, C++ side after
 * <linux/types.h>. Field names here are what `bpftool map dump` prints, so they
 * are written for an operator reading that output.
 *
 * Layout versioning: every map name carries PG_MAP_VERSION ("pg1_"). A change to
 * any struct below MUST bump the prefix (pg2_...), so that a new loader never
 * silently reuses an old pin with a different layout; libbpf would refuse an
 * incompatible pin anyway, but a versioned name lets old and new coexist during an
 * upgrade and makes the mismatch obvious in `ls <pin_path>`. Adding a new map
 * with a new struct changes no existing pin, so it keeps the prefix: the first
 * load after an upgrade creates the new pin next to the old ones (pg1_addr_stats
 * came that way), and readers treat that one pin as optional.
 */
#ifndef POOLGATE_MAPS_H
#define POOLGATE_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PG_MAP_VERSION "pg1"

/* Map names (<= 15 characters, the kernel's BPF_OBJ_NAME_LEN - 1). */
#define PG_MAP_SETTINGS   "pg1_settings"
#define PG_MAP_MARKS      "pg1_marks"
#define PG_MAP_ADDRS      "pg1_addrs"
#define PG_MAP_POOL_NAMES "pg1_pool_names"
#define PG_MAP_POOL_STATS "pg1_pool_stats"
#define PG_MAP_GLOBAL     "pg1_global"
#define PG_MAP_ATTACH     "pg1_attach"
#define PG_MAP_ADDR_STATS "pg1_addr_stats"

/* Program names as the kernel reports them (bpftool prog, tc filter show). Used
 * by detach to recognise its own programs before removing anything. */
#define PG_PROG_TC_EGRESS   "pg_tc_egress"
#define PG_PROG_XDP_INGRESS "pg_xdp_ingress"

#define PG_MAX_POOLS     16
#define PG_MAX_ADDRESSES 256
#define PG_MAX_IFACES    64
#define PG_POOL_NAME_LEN 32

/* tc filter identity: poolgate's filter is always this handle at this priority on
 * clsact egress, so detach can find exactly its own filter. */
#define PG_TC_HANDLE   0x9067
#define PG_TC_PRIORITY 0x9067

#define PG_FAMILY_IPV4 4
#define PG_FAMILY_IPV6 6

/* A pool address as a map key/value: IPv4 in addr[0..3], rest zero. */
struct pg_addr {
	__u32 family;      /* PG_FAMILY_IPV4 or PG_FAMILY_IPV6 */
	__u8  addr[16];    /* network byte order */
};

/* pg1_settings[0]: global knobs written by the loader. */
#define PG_SETTING_STRICT_SMTP       (1u << 0)
#define PG_SETTING_BLOCK_INBOUND_SYN (1u << 1)
struct pg_settings {
	__u32 fwmark_mask; /* the mark bits poolgate owns */
	__u32 flags;       /* PG_SETTING_* */
};

/* pg1_marks[masked fwmark]: which pool the mark belongs to and the one source
 * address a packet with that mark may leave from. */
struct pg_mark_entry {
	__u32 pool_id;
	struct pg_addr source;
};

/* pg1_addrs[pool address]: pool id, for ingress accounting. */
struct pg_addr_entry {
	__u32 pool_id;
};

/* pg1_pool_names[pool id]: the pool's configured name; empty = unused slot. */
struct pg_pool_name {
	char name[PG_POOL_NAME_LEN];
};

/* pg1_pool_stats[pool id], per CPU. */
struct pg_pool_counters {
	__u64 tx_packets;        /* egress, GSO segments counted individually */
	__u64 tx_bytes;
	__u64 connections;       /* egress SYN without ACK */
	__u64 leak_drops;        /* marked packet with a source outside its address */
	__u64 rx_packets;        /* XDP ingress to a pool address */
	__u64 rx_bytes;
	__u64 inbound_syn_drops; /* XDP: new inbound TCP connection to this pool */
};

/* pg1_addr_stats[pool address], per CPU: the same counters for one source
 * address (a receiver judges an IP, not a pool). The loader creates a zeroed
 * entry for every configured address and deletes the others; BPF only looks
 * up and increments, so an address without an entry is counted per pool only. */
struct pg_addr_counters {
	__u64 tx_packets;        /* egress from this address, GSO segments counted */
	__u64 tx_bytes;
	__u64 connections;       /* egress SYN without ACK */
	__u64 leak_drops;        /* packet with this address's mark, another source */
	__u64 rx_packets;        /* XDP ingress to this address */
	__u64 rx_bytes;
	__u64 inbound_syn_drops; /* XDP: new inbound TCP connection to this address */
};

/* pg1_global[0], per CPU: drops that belong to no pool. */
struct pg_global_counters {
	__u64 unmarked_smtp_drops; /* strict_smtp: unmarked TCP to port 25 */
	__u64 inbound_syn_drops;   /* block_inbound_syn: all pools together */
	__u64 unknown_mark_drops;  /* mark inside fwmark_mask that no pool address owns */
};

/* pg1_attach[ifindex]: what poolgate attached on an interface, so detach
 * removes exactly that and never a clsact qdisc somebody else created. */
#define PG_ATTACH_TC              (1u << 0)
#define PG_ATTACH_CREATED_CLSACT  (1u << 1)
#define PG_ATTACH_XDP             (1u << 2)
#define PG_ATTACH_XDP_NATIVE      (1u << 3) /* else generic (skb) mode */
struct pg_attachment {
	__u32 flags; /* PG_ATTACH_* */
};

#endif /* POOLGATE_MAPS_H */
