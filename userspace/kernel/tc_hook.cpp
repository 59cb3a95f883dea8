#include "kernel/tc_hook.h"

#include "common/operator_error.h"
#include "kernel/libbpf_opts.h"
#include "kernel/prog_info.h"
#include "poolgate_maps.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace poolgate {

namespace {

bpf_tc_hook egress_hook(int ifindex) {
  auto hook = libbpf_opts<bpf_tc_hook>();
  hook.ifindex = ifindex;
  hook.attach_point = BPF_TC_EGRESS;
  return hook;
}

bpf_tc_opts our_filter() {
  auto opts = libbpf_opts<bpf_tc_opts>();
  opts.handle = PG_TC_HANDLE;
  opts.priority = PG_TC_PRIORITY;
  return opts;
}

// libbpf prints the kernel's "Exclusivity flag on, cannot modify" as a warning
// when clsact exists, which is the normal case on every re-attach: mute libbpf
// for that one call and report real failures ourselves.
int quiet(enum libbpf_print_level, const char*, va_list) { return 0; }

int create_clsact(bpf_tc_hook* hook) {
  const libbpf_print_fn_t previous = libbpf_set_print(quiet);
  const int err = bpf_tc_hook_create(hook);
  libbpf_set_print(previous);
  return err;
}

}  // namespace

TcAttachResult tc_attach_egress(int ifindex, const std::string& ifname, int prog_fd) {
  TcAttachResult result;
  bpf_tc_hook hook = egress_hook(ifindex);
  int err = create_clsact(&hook);
  if (err != 0 && err != -EEXIST) {
    throw OperatorError("cannot create a clsact qdisc on " + ifname + ": " +
                        std::strerror(-err));
  }
  result.created_clsact = err == 0;  // -EEXIST: somebody's (or our earlier) clsact

  bpf_tc_opts opts = our_filter();
  opts.prog_fd = prog_fd;
  opts.flags = BPF_TC_F_REPLACE;
  err = bpf_tc_attach(&hook, &opts);
  if (err != 0) {
    throw OperatorError("cannot attach the tc egress program to " + ifname + ": " +
                        std::strerror(-err));
  }
  return result;
}

uint32_t tc_egress_prog_id(int ifindex) {
  bpf_tc_hook hook = egress_hook(ifindex);
  bpf_tc_opts opts = our_filter();
  if (bpf_tc_query(&hook, &opts) != 0) return 0;  // no clsact, or no filter there
  return opts.prog_id;
}

bool tc_egress_attached(int ifindex) {
  return prog_name_by_id(tc_egress_prog_id(ifindex)) == PG_PROG_TC_EGRESS;
}

bool tc_detach_egress(int ifindex) {
  if (!tc_egress_attached(ifindex)) return false;
  bpf_tc_hook hook = egress_hook(ifindex);
  bpf_tc_opts opts = our_filter();
  return bpf_tc_detach(&hook, &opts) == 0;
}

bool tc_destroy_clsact(int ifindex) {
  bpf_tc_hook hook = egress_hook(ifindex);
  // Both attach points together is how libbpf spells "the qdisc itself";
  // EGRESS alone would only flush the egress filters.
  hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
  return bpf_tc_hook_destroy(&hook) == 0;
}

}  // namespace poolgate
