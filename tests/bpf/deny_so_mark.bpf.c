// Test-only: a cgroup/setsockopt program that makes setsockopt(SOL_SOCKET,
// SO_MARK) fail with EPERM for every process in the cgroup it is attached to.
// It lets an integration test take the right to mark sockets away from a
// running poolgate (the kernel offers no other way to drop a capability of
// another process) and show that delivery then defers instead of sending
// unmarked.
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define PG_SOL_SOCKET 1
#define PG_SO_MARK 36

SEC("cgroup/setsockopt")
int deny_so_mark(struct bpf_sockopt *ctx) {
  if (ctx->level == PG_SOL_SOCKET && ctx->optname == PG_SO_MARK) return 0;  // EPERM
  return 1;  // everything else goes through untouched
}

char LICENSE[] SEC("license") = "GPL";
