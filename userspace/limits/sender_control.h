// What an operator can ask of the running daemon's sender limits, through the
// control socket (daemon/control_socket.h): the request line
//   "release ADDRESS\n" -> "ok\n" | "error: TEXT\n"
// is handled by SenderControl::release (`poolgate senders release ADDRESS`).
// The daemon holds the counters (and the spool: one writer), so a release
// while it runs must go through it; with no daemon the CLI changes the spool.
#pragma once

#include <string>

namespace poolgate {

class SenderLimits;

class SenderControl {
 public:
  virtual ~SenderControl() = default;
  // "" on success, else why not ("x@example.com is not blocked").
  virtual std::string release(const std::string& sender) = 0;
};

// The daemon's implementation over its SenderLimits.
class SenderLimitsControl : public SenderControl {
 public:
  explicit SenderLimitsControl(SenderLimits& limits) : limits_(limits) {}
  std::string release(const std::string& sender) override;

 private:
  SenderLimits& limits_;
};

}  // namespace poolgate
