// Loads poolgate's two BPF objects (tc egress, XDP ingress) from their embedded
// skeletons, with every map pinned by name under the pin path: the first load
// creates the pins, every later one (the other object, a re-attach, a new
// poolgate version with the same pg1_ layout) reuses them, so both programs share
// one set of maps and counters survive a reload. Attaching is attach.h's job.
#pragma once

#include "kernel/map_sync.h"

#include <string>

struct tc_egress;
struct xdp_ingress;

namespace poolgate {

class DataPlane {
 public:
  // pin_path must be on bpffs (kernel/bpffs.h); it is created if missing.
  // Throws OperatorError when an object does not load (the verifier's or
  // libbpf's reason has been printed to stderr) or a pin has another layout.
  explicit DataPlane(const std::string& pin_path);
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  int tc_prog_fd() const;
  int xdp_prog_fd() const;
  // The shared (pinned) maps.
  MapFds maps() const;

 private:
  tc_egress* tc_ = nullptr;
  xdp_ingress* xdp_ = nullptr;
};

}  // namespace poolgate
