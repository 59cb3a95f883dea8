// One rtnetlink socket (libnl) for reading and changing rules, routes and
// addresses. Reads are whole-table dumps parsed into libnl objects; changes are
// single requests whose failure becomes an OperatorError that names the entry
// (`adding rule `priority 10000 ...`: File exists`), carries the kernel's own
// explanation when it gives one, and names CAP_NET_ADMIN when that is missing.
#pragma once

#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/socket.h>

#include <functional>
#include <string>
#include <vector>

namespace poolgate {

class NetlinkSession {
 public:
  // Throws OperatorError when no rtnetlink socket can be opened.
  NetlinkSession();
  ~NetlinkSession();
  NetlinkSession(const NetlinkSession&) = delete;
  NetlinkSession& operator=(const NetlinkSession&) = delete;

  // Every object the kernel lists for `request` (RTM_GETRULE, RTM_GETROUTE,
  // RTM_GETADDR), all families. `collect` sees each parsed object and keeps
  // what it wants in `out`. A dump the kernel reports as interrupted by a
  // concurrent change is read again, so the result is one consistent snapshot.
  template <class Entry>
  std::vector<Entry> dump(int request,
                          const std::function<void(nl_object*, std::vector<Entry>&)>& collect) {
    for (int attempt = 1;; ++attempt) {
      std::vector<Entry> out;
      if (dump_once(request, [&](nl_object* object) { collect(object, out); }, attempt))
        return out;
    }
  }

  // Builds a request with `build` (an rtnl_*_build_*_request call), sends it and
  // waits for the kernel's answer. `what` says what the request does, in `ip`
  // syntax: "adding rule `priority 10000 fwmark 0x100/0xfff lookup 100`".
  void change(const std::function<int(nl_msg**)>& build, const std::string& what);

 private:
  // false: interrupted, try again (throws after a few attempts).
  bool dump_once(int request, const std::function<void(nl_object*)>& visit, int attempt);

  nl_sock* sock_ = nullptr;
};

}  // namespace poolgate
