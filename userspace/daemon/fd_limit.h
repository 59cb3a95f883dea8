// The daemon's file-descriptor budget. Every relay session and every outbound
// connection is a socket, so the soft RLIMIT_NOFILE (1024 by default, under
// systemd too unless the unit sets LimitNOFILE) must cover relay.max_connections
// plus delivery.max_concurrent_connections plus what the daemon keeps open
// anyway; past it accept() and connect() fail with EMFILE and mail is refused
// or deferred for no visible reason.
#pragma once

#include "config/config.h"

#include <cstdint>
#include <optional>
#include <string>

namespace poolgate {

// Descriptors beyond the connections: the spool (RocksDB keeps every table
// file open, max_open_files = -1), its log and lock, c-ares sockets, the admin
// API and control socket with their clients, BPF maps and programs while they
// are loaded, scanner connections, the log and netlink sockets.
inline constexpr uint64_t kFdReserve = 512;

struct FdNeed {
  uint64_t relay_sessions = 0;  // relay.max_connections
  uint64_t outbound = 0;        // delivery.max_concurrent_connections
  uint64_t reserve = kFdReserve;
  uint64_t total() const { return relay_sessions + outbound + reserve; }
};

FdNeed fd_need(const Config& config);

// The warning to log when `need` does not fit under the soft limit `soft`
// (both numbers and the remedy), nothing when it fits. Pure, for the tests.
std::optional<std::string> fd_limit_warning(const FdNeed& need, uint64_t soft);

struct FdLimit {
  uint64_t soft_before = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
  std::string error;  // why the soft limit could not be raised; empty when it was
};

// Raises the soft RLIMIT_NOFILE to the hard one (needs no privilege); the
// hard limit is systemd's LimitNOFILE= or the shell's `ulimit -Hn`.
FdLimit raise_fd_limit();

// Logs the limit raise_fd_limit() reached and warns when `config` cannot fit
// under it. Called at start and after each reload (max_connections may change).
void log_fd_limit(const FdLimit& limit, const Config& config);

}  // namespace poolgate
