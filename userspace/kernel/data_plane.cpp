#include "kernel/data_plane.h"

#include "common/operator_error.h"
#include "kernel/libbpf_opts.h"

#include <bpf/libbpf.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "tc_egress.skel.h"
#include "xdp_ingress.skel.h"

namespace poolgate {

namespace {

// libbpf is chatty at info/debug level; an operator only needs its warnings
// (which include the verifier log when a program is rejected).
int print_warnings(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_WARN) return 0;
  return std::vfprintf(stderr, format, args);
}

[[noreturn]] void load_failed(const char* what, const std::string& pin_path, int err) {
  throw OperatorError(std::string("cannot load BPF program ") + what + ": " +
                      std::strerror(err < 0 ? -err : err) + " (maps pinned at " + pin_path +
                      "; if they are from an incompatible poolgate version, run "
                      "`poolgate bpf detach` first)");
}

// Opens and loads one skeleton (Skel is tc_egress or xdp_ingress).
template <class Skel, class Open, class Load, class Destroy>
Skel* open_and_load(const char* what, const std::string& pin_path, Open open, Load load,
                    Destroy destroy) {
  auto opts = libbpf_opts<bpf_object_open_opts>();
  opts.pin_root_path = pin_path.c_str();
  Skel* skel = open(&opts);
  if (!skel) load_failed(what, pin_path, errno);
  if (int err = load(skel); err != 0) {
    destroy(skel);
    load_failed(what, pin_path, err);
  }
  return skel;
}

}  // namespace

DataPlane::DataPlane(const std::string& pin_path) {
  libbpf_set_print(print_warnings);
  std::error_code ec;
  std::filesystem::create_directories(pin_path, ec);
  tc_ = open_and_load<tc_egress>(PG_PROG_TC_EGRESS, pin_path, tc_egress__open_opts,
                                 tc_egress__load, tc_egress__destroy);
  try {
    xdp_ = open_and_load<xdp_ingress>(PG_PROG_XDP_INGRESS, pin_path, xdp_ingress__open_opts,
                                      xdp_ingress__load, xdp_ingress__destroy);
  } catch (...) {
    tc_egress__destroy(tc_);
    throw;
  }
}

DataPlane::~DataPlane() {
  xdp_ingress__destroy(xdp_);
  tc_egress__destroy(tc_);
}

int DataPlane::tc_prog_fd() const { return bpf_program__fd(tc_->progs.pg_tc_egress); }
int DataPlane::xdp_prog_fd() const { return bpf_program__fd(xdp_->progs.pg_xdp_ingress); }

MapFds DataPlane::maps() const {
  const auto& m = tc_->maps;
  return MapFds{bpf_map__fd(m.pg1_settings),   bpf_map__fd(m.pg1_marks),
                bpf_map__fd(m.pg1_addrs),      bpf_map__fd(m.pg1_pool_names),
                bpf_map__fd(m.pg1_pool_stats), bpf_map__fd(m.pg1_global),
                bpf_map__fd(m.pg1_attach),     bpf_map__fd(m.pg1_addr_stats)};
}

}  // namespace poolgate
