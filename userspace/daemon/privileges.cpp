#include "daemon/privileges.h"

#include "common/operator_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace poolgate {

namespace {

namespace fs = std::filesystem;

// The one capability kept: SO_MARK on every delivery socket, and the route
// repair of routing/route_keeper.h (rtnetlink changes, net sysctls).
constexpr int kKept = CAP_NET_ADMIN;

[[noreturn]] void fail(const std::string& step, int err) {
  throw OperatorError(fmt::format("daemon.user: {}: {}; poolgate stops rather than run with more "
                                  "rights than configured",
                                  step, std::strerror(err)));
}

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, including gid
};

Account look_up(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const int err = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (err != 0) fail("looking up user " + name, err);
  if (!found)
    throw OperatorError("daemon.user: no user named \"" + name +
                        "\" on this host (create it, e.g. `useradd --system " + name +
                        "`, or change daemon.user)");
  Account account{name, entry.pw_uid, entry.pw_gid, {}};
  int count = 32;
  for (;;) {
    account.groups.resize(static_cast<size_t>(count));
    int n = count;
    if (::getgrouplist(name.c_str(), account.gid, account.groups.data(), &n) >= 0) {
      account.groups.resize(static_cast<size_t>(n));
      break;
    }
    if (n <= count) fail("listing the groups of user " + name, EINVAL);
    count = n;
  }
  return account;
}

bool in_groups(const Account& account, gid_t gid) {
  return std::find(account.groups.begin(), account.groups.end(), gid) != account.groups.end();
}

// Checked before anything changes, from the modes alone (ACLs are not read):
// RocksDB opens the spool by path, so every parent directory must let the
// user through, and a refusal after the switch could no longer be fixed by
// the process itself.
void check_spool_reachable(const std::string& spool, const Account& account) {
  for (fs::path dir = fs::absolute(spool).parent_path();; dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) fail("reading " + dir.string(), errno);
    const bool passes = (st.st_uid == account.uid && (st.st_mode & S_IXUSR)) ||
                        (st.st_uid != account.uid && in_groups(account, st.st_gid) &&
                         (st.st_mode & S_IXGRP)) ||
                        (st.st_uid != account.uid && !in_groups(account, st.st_gid) &&
                         (st.st_mode & S_IXOTH));
    if (!passes)
      throw OperatorError(fmt::format(
          "daemon.user: user {} could not reach the spool {}: directory {} (mode {:o}, owner "
          "uid {}) does not let it through; allow search (chmod o+x, or a group of the user) "
          "or move relay.spool",
          account.name, spool, dir.string(), st.st_mode & 07777, st.st_uid));
    if (dir == dir.root_path() || dir.empty()) break;
  }
}

// The spool tree is handed to the user: RocksDB creates new files (logs,
// tables, manifests) long after the switch. Returns how many entries changed.
int hand_over_spool(const std::string& spool, const Account& account) {
  int changed = 0;
  auto hand = [&](const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) fail("reading " + path.string(), errno);
    if (st.st_uid == account.uid && st.st_gid == account.gid) return;
    // lchown: a symlink in the spool is changed itself, never what it points at.
    if (::lchown(path.c_str(), account.uid, account.gid) != 0)
      fail("handing " + path.string() + " to user " + account.name, errno);
    ++changed;
  };
  hand(spool);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(spool, ec), end; !ec && it != end; it.increment(ec))
    hand(it->path());
  if (ec) fail("walking the spool " + spool, ec.value());
  return changed;
}

struct CapSets {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

  bool effective(int cap) const {
    return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
  }
};

CapSets get_caps() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  CapSets caps;
  if (::syscall(SYS_capget, &header, caps.data) != 0) fail("reading capabilities", errno);
  return caps;
}

int last_cap() {
  std::ifstream file("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  file >> last;
  return last;
}

// Every capability but the kept one out of the bounding set, so that nothing
// executed later (there is nothing, but a bug could) regains them. Needs
// CAP_SETPCAP; without it (a daemon started unprivileged with only
// CAP_NET_ADMIN) there is nothing more to take away there.
bool shrink_bounding_set() {
  if (!get_caps().effective(CAP_SETPCAP)) return false;
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if (cap == kKept) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      fail("dropping capability " + std::to_string(cap) + " from the bounding set", errno);
  }
  return true;
}

void keep_only_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  data[CAP_TO_INDEX(kKept)].effective = CAP_TO_MASK(kKept);
  data[CAP_TO_INDEX(kKept)].permitted = CAP_TO_MASK(kKept);
  if (::syscall(SYS_capset, &header, data) != 0)
    fail("keeping CAP_NET_ADMIN (capset)", errno);
}

// Trust, but verify: the ids all switched, exactly the kept capability is
// left, and root cannot be had back.
void verify(const Account& account) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid != account.uid || euid != account.uid || suid != account.uid ||
      rgid != account.gid || egid != account.gid || sgid != account.gid)
    fail("switching to user " + account.name + " left other ids in place", EPERM);
  const CapSets caps = get_caps();
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    const uint32_t want = i == CAP_TO_INDEX(kKept) ? CAP_TO_MASK(kKept) : 0;
    if (caps.data[i].effective != want || caps.data[i].permitted != want)
      fail("capabilities other than CAP_NET_ADMIN are still held", EPERM);
  }
  // The raw syscall, not glibc's setuid: that one would act on every thread
  // and, were the answers to differ, abort the process.
  if (account.uid != 0 && ::syscall(SYS_setuid, 0) == 0)
    fail("root could be regained after the switch", EPERM);
}

std::string list(const std::vector<gid_t>& groups) {
  std::string out;
  for (gid_t gid : groups) out += (out.empty() ? "" : ",") + std::to_string(gid);
  return out;
}

}  // namespace

void drop_privileges(const Config& config) {
  if (config.daemon.user.empty()) return;
  const Account account = look_up(config.daemon.user);
  const std::string& spool = config.relay.spool;
  check_spool_reachable(spool, account);
  const int handed = hand_over_spool(spool, account);
  const bool bounded = shrink_bounding_set();

  // Keep the permitted set across the uid change (which would clear it), then
  // cut it down to one capability. glibc's setgroups/setresgid/setresuid
  // switch every thread (RocksDB's workers too); those threads do not keep
  // capabilities, which suits them: only this thread marks sockets.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS", errno);
  if (::setgroups(account.groups.size(), account.groups.data()) != 0)
    fail("setting the groups of user " + account.name, errno);
  if (::setresgid(account.gid, account.gid, account.gid) != 0)
    fail("switching to group " + std::to_string(account.gid), errno);
  if (::setresuid(account.uid, account.uid, account.uid) != 0)
    fail("switching to user " + account.name, errno);
  keep_only_net_admin();
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail("clearing PR_SET_KEEPCAPS", errno);
  // Ambient capabilities would be handed to anything executed; EINVAL: a
  // kernel without them (before 4.3) has none to clear.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    fail("clearing ambient capabilities", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS", errno);
  verify(account);
  if (::access(spool.c_str(), R_OK | W_OK | X_OK) != 0)
    fail("the spool " + spool + " after switching to user " + account.name, errno);

  spdlog::info("privileges: running as user {} (uid {}, gid {}, groups {}) with only "
               "CAP_NET_ADMIN{}; no_new_privs set; spool {} belongs to it ({} entries handed "
               "over)",
               account.name, account.uid, account.gid, list(account.groups),
               bounded ? " (bounding set too)" : " (bounding set left: no CAP_SETPCAP)", spool,
               handed);
}

}  // namespace poolgate
