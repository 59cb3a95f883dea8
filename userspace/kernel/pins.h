// The pinned maps under kernel.pin_path: their names, opening one, and removing
// them all. One place, so attach, detach and stats agree on what a pin set is.
#pragma once

#include "kernel/unique_fd.h"

#include <array>
#include <string>

namespace poolgate {

// Every map poolgate pins (poolgate_maps.h PG_MAP_*).
extern const std::array<const char*, 8> kPinnedMaps;

std::string pin_file(const std::string& pin_path, const char* map_name);

// Opens pin_path/map_name; an invalid UniqueFd when it does not exist. Other
// failures (permissions) throw OperatorError.
UniqueFd open_pinned_map(const std::string& pin_path, const char* map_name);

// Like open_pinned_map, but a missing pin throws the "run `poolgate bpf attach`"
// OperatorError.
UniqueFd require_pinned_map(const std::string& pin_path, const char* map_name);

// Unlinks every pg1_* pin and removes pin_path if it is then empty. Returns the
// number of pins removed.
int unpin_all(const std::string& pin_path);

}  // namespace poolgate
