// poolgate's tc clsact egress filter: always at PG_TC_HANDLE / PG_TC_PRIORITY,
// attached through netlink (not a bpf_link), so it stays after poolgate exits.
#pragma once

#include <cstdint>
#include <string>

namespace poolgate {

struct TcAttachResult {
  bool created_clsact = false;  // false: a clsact qdisc already existed
};

// Creates clsact if needed and attaches (or replaces) poolgate's egress filter.
// Throws OperatorError naming `ifname` on failure.
TcAttachResult tc_attach_egress(int ifindex, const std::string& ifname, int prog_fd);

// The program id at poolgate's handle/priority on egress; 0 when none.
uint32_t tc_egress_prog_id(int ifindex);

// Whether the program at poolgate's handle/priority is pg_tc_egress.
bool tc_egress_attached(int ifindex);

// Removes the filter at poolgate's handle/priority if the program there is
// pg_tc_egress. True when one was removed.
bool tc_detach_egress(int ifindex);

// Deletes the clsact qdisc (with every filter on it). Only for one poolgate
// created. True when it was deleted.
bool tc_destroy_clsact(int ifindex);

}  // namespace poolgate
