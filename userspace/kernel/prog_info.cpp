#include "kernel/prog_info.h"

#include "kernel/unique_fd.h"

#include <bpf/bpf.h>

namespace poolgate {

std::string prog_name_by_id(uint32_t id) {
  if (id == 0) return {};
  UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (!fd.valid()) return {};
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  // bpf_prog_get_info_by_fd is libbpf >= 1.2; Debian 12 ships 1.1.
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return {};
  return info.name;
}

}  // namespace poolgate
