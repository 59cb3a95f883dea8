// Turns the bytes a next hop sends into replies, for the client. With
// PIPELINING several replies arrive in one read and are taken one at a time, in
// order (RFC 2920 3.1); a reply may also arrive split over many reads.
#pragma once

#include "smtp/line_reader.h"
#include "smtp/reply.h"
#include "smtp/reply_parser.h"

#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

class ReplyStream {
 public:
  // RFC 5321 4.5.3.1.5 says 512 octets a reply line; real servers go past it
  // with long texts, so accept 8 times that before calling the peer broken.
  static constexpr size_t kMaxLine = 4096;
  // More lines than any EHLO reply has: a peer that never ends its reply is
  // out of step, and memory must stay bounded.
  static constexpr size_t kMaxLines = 1000;

  enum class Status { NeedMore, Done, Error };

  void append(std::string_view bytes) { in_.append(bytes); }

  // Takes the next complete reply out of what was received into `out`.
  // `extract_enhanced`: split a leading RFC 3463 code of the reply's own class
  // off each line (ReplyParser). Error: a line that is not a reply line, a
  // code changing inside a reply, a line or a reply over the limits; the
  // connection cannot be trusted after that.
  Status next(Reply& out, bool extract_enhanced);

  // Octets received but not yet part of a returned reply. After the 220 to
  // STARTTLS there must be none: plain text sent before the handshake must not
  // be read as if it came over TLS (the reply-injection counterpart of
  // CVE-2011-0411).
  bool buffered() const { return !in_.empty() || lines_.mid_line() || parser_.has_value(); }
  void clear();

 private:
  std::string in_;
  LineReader lines_{{kMaxLine, BareLf::Accept}};
  std::optional<ReplyParser> parser_;  // set while a reply is incomplete
  size_t line_count_ = 0;
};

}  // namespace poolgate
