// Assembles a server's reply from the lines it sends (RFC 5321 4.2.1), for the
// outbound client: "250-first", "250-second", "250 last" -> one Reply. With
// enhanced status codes negotiated (RFC 2034), the "x.y.z" prefix is split off.
#pragma once

#include "smtp/reply.h"

#include <string_view>

namespace poolgate {

class ReplyParser {
 public:
  enum class Status { NeedMore, Done, Error };

  // extract_enhanced: split a leading "x.y.z " off each line into Reply::enhanced.
  // Leave it off for the greeting and the EHLO reply, which carry none.
  explicit ReplyParser(bool extract_enhanced = true) : extract_enhanced_(extract_enhanced) {}

  // Feeds one line without its CRLF. Done: reply() is complete (call reset()
  // before the next one). Error: the line is not a reply line, or its code differs
  // from the earlier lines' code; the connection is out of sync and must close.
  Status feed(std::string_view line);
  const Reply& reply() const { return reply_; }
  void reset() { reply_ = Reply{}; }

 private:
  bool extract_enhanced_;
  Reply reply_;
};

}  // namespace poolgate
