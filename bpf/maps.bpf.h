/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every poolgate map, defined once and included by both programs.
 *
 * All maps are LIBBPF_PIN_BY_NAME: the loader opens each object with
 * pin_root_path = kernel.pin_path, so the first object to load creates and pins
 * a map and the second one (and every later reload) reuses the pin. That is how
 * tc egress and XDP ingress share one set of maps, and why counters survive
 * `poolgate bpf attach` being run again.
 *
 * __type() (not __uint(key_size)) everywhere, so the maps carry BTF and
 * `bpftool map dump` prints named fields and pool names as strings.
 */
#ifndef POOLGATE_MAPS_BPF_H
#define POOLGATE_MAPS_BPF_H

#include "vmlinux.h"
#include "poolgate_maps.h"

#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_settings);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_settings SEC(".maps");

/* Key: skb->mark & fwmark_mask. One entry per pool address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_MAX_ADDRESSES);
	__type(key, __u32);
	__type(value, struct pg_mark_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_MAX_ADDRESSES);
	__type(key, struct pg_addr);
	__type(value, struct pg_addr_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_addrs SEC(".maps");

/* Only read by userspace (stats); lives here so its BTF is in the objects. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PG_MAX_POOLS);
	__type(key, __u32);
	__type(value, struct pg_pool_name);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_pool_names SEC(".maps");

/* Per CPU, so the hot path increments without atomics; stats sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PG_MAX_POOLS);
	__type(key, __u32);
	__type(value, struct pg_pool_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_pool_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_global_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_global SEC(".maps");

/* Per CPU like pg1_pool_stats. A hash keyed by the address itself, so XDP finds
 * it from the destination and tc from the mark's source with one lookup; the
 * loader owns the key set (map_sync), BPF never creates an entry. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PG_MAX_ADDRESSES);
	__type(key, struct pg_addr);
	__type(value, struct pg_addr_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_addr_stats SEC(".maps");

/* Only written by the loader (attach/detach bookkeeping). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct pg_attachment);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pg1_attach SEC(".maps");

static __always_inline struct pg_settings *pg_settings(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pg1_settings, &zero);
}

static __always_inline struct pg_global_counters *pg_global(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pg1_global, &zero);
}

static __always_inline struct pg_pool_counters *pg_pool_stats(__u32 pool_id)
{
	return bpf_map_lookup_elem(&pg1_pool_stats, &pool_id);
}

/* NULL for an address the loader has not (yet) given an entry. */
static __always_inline struct pg_addr_counters *pg_addr_stats(const struct pg_addr *addr)
{
	return bpf_map_lookup_elem(&pg1_addr_stats, addr);
}

#endif /* POOLGATE_MAPS_BPF_H */
