#include "kernel/attach_report.h"

namespace poolgate {

std::string InterfaceAttached::text() const {
  const char* qdisc = clsact == Clsact::Created          ? "clsact created"
                      : clsact == Clsact::CreatedEarlier ? "clsact created earlier by poolgate"
                                                         : "existing clsact";
  return name + ": tc egress attached (" + qdisc + "), xdp attached in " +
         (xdp_native ? "native" : "generic") + " mode";
}

std::string InterfaceDetached::text() const {
  if (name.empty()) return "interface #" + std::to_string(ifindex) + ": no longer exists, skipped";
  return name + ": " + (tc ? "tc egress detached" : "no poolgate tc filter") +
         (clsact ? ", clsact removed" : "") + ", " +
         (xdp ? "xdp detached" : "no poolgate xdp program");
}

std::vector<std::string> BpfAttachReport::lines() const {
  std::vector<std::string> out;
  for (const InterfaceAttached& iface : attached) out.push_back(iface.text());
  for (const InterfaceDetached& iface : detached) out.push_back(iface.text());
  out.push_back("maps pinned at " + pin_path);
  return out;
}

std::vector<std::string> BpfDetachReport::lines() const {
  std::vector<std::string> out;
  for (const InterfaceDetached& iface : detached) out.push_back(iface.text());
  out.push_back("unpinned " + std::to_string(unpinned) + " maps from " + pin_path);
  return out;
}

}  // namespace poolgate
