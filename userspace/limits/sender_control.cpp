#include "limits/sender_control.h"

#include "limits/sender_limits.h"

namespace poolgate {

std::string SenderLimitsControl::release(const std::string& sender) {
  if (sender.empty()) return "usage: release ADDRESS";
  if (!limits_.release(sender)) return sender_key("", sender) + " is not blocked";
  return "";
}

}  // namespace poolgate
