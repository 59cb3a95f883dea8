#include "kernel/pins.h"

#include "common/operator_error.h"
#include "poolgate_maps.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace poolgate {

const std::array<const char*, 8> kPinnedMaps = {
    PG_MAP_SETTINGS, PG_MAP_MARKS,  PG_MAP_ADDRS,  PG_MAP_POOL_NAMES,
    PG_MAP_POOL_STATS, PG_MAP_GLOBAL, PG_MAP_ATTACH, PG_MAP_ADDR_STATS};

std::string pin_file(const std::string& pin_path, const char* map_name) {
  return (std::filesystem::path(pin_path) / map_name).string();
}

UniqueFd open_pinned_map(const std::string& pin_path, const char* map_name) {
  const std::string file = pin_file(pin_path, map_name);
  int fd = bpf_obj_get(file.c_str());
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ENOENT) return UniqueFd();
  throw OperatorError("cannot open pinned map " + file + ": " + std::strerror(errno) +
                      (errno == EPERM || errno == EACCES ? " (run as root)" : ""));
}

UniqueFd require_pinned_map(const std::string& pin_path, const char* map_name) {
  UniqueFd fd = open_pinned_map(pin_path, map_name);
  if (!fd.valid()) {
    throw OperatorError("no poolgate data plane pinned at " + pin_path +
                        "; run `poolgate bpf attach`");
  }
  return fd;
}

int unpin_all(const std::string& pin_path) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (const char* name : kPinnedMaps) {
    if (fs::remove(pin_file(pin_path, name), ec)) ++removed;
  }
  if (fs::is_directory(pin_path, ec) && fs::is_empty(pin_path, ec)) fs::remove(pin_path, ec);
  return removed;
}

}  // namespace poolgate
