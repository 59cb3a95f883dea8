// Names of attached programs. Detach only removes a program whose kernel name
// is poolgate's (PG_PROG_*), so it never takes down somebody else's filter or
// XDP program that happens to sit in the same place.
#pragma once

#include <cstdint>
#include <string>

namespace poolgate {

// The kernel's name for program `id`; empty when it no longer exists.
std::string prog_name_by_id(uint32_t id);

}  // namespace poolgate
