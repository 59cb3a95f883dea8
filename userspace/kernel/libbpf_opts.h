// libbpf's *_opts structs start with `size_t sz`, which must hold sizeof the
// struct. LIBBPF_OPTS does that with C compound literals; this is the C++ way.
#pragma once

namespace poolgate {

template <class Opts>
Opts libbpf_opts() {
  Opts opts{};
  opts.sz = sizeof(Opts);
  return opts;
}

}  // namespace poolgate
