// The DATA phase (RFC 5321 4.1.1.4, 4.5.2) as an incremental state machine: feed
// it any chunks, it finds the end of data, undoes dot-stuffing and writes the
// content, with CRLF line endings, to a sink.
//
// Smuggling (CVE-2023-51764/51765/51766): the ONLY end of data is the literal
// <CR><LF>.<CR><LF>, where the first <CR><LF> may be the one that ended the DATA
// command. <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>, <CR><LF>.<LF> and the like are
// content. So whatever an upstream MTA that follows the RFC thinks the message
// is, this reader agrees, and nothing inside a message is ever read as commands.
// Conversely poolgate must never accept (and later relay to a more lenient next
// hop) content with a bare CR or LF in it, so by default such content is
// rejected; Normalize turns each bare CR or LF into CRLF instead, and DotStuffer
// then sends an unambiguous wire form on.
//
// Errors do not stop the reader: it keeps consuming up to the real terminator,
// so that the session answers the DATA command exactly once, after the end of
// data (RFC 5321 4.2, 4.3.2), and the next octets are read as the next command
// in the same place the client believes they are. Replies (data_error_reply):
//   bare LF/CR  550 5.5.2  Every reply at end of data must be one RFC 5321 4.3.2
//                          lists for DATA (250, 552, 554, 451, 452, 450, 550):
//                          521 (RFC 7504: the host accepts no mail at all) is not
//                          among them. 550 is the "policy" rejection there, and
//                          refusing bare newlines is a policy many MTAs relax;
//                          5.5.2 because a bare CR/LF breaks the protocol's line
//                          syntax (RFC 5321 2.3.8). Postfix's first smuggling fix
//                          answered "521 5.5.2" at once and hung up; answering at
//                          the terminator instead keeps both sides in step
//                          without dropping the connection.
//   NUL         554 5.6.0  NUL is not allowed in 7bit or 8bit data (RFC 2045
//                          2.7/2.8, whose "8bit" RFC 6152 BODY=8BITMIME means);
//                          only BINARYMIME (RFC 3030) admits it, and that needs
//                          CHUNKING, which is not offered.
//                          554 "transaction failed", 5.6.0 a content-media error.
//   long line   552 5.3.4  RFC 5321 4.5.3.1.6 limits text lines to 1000 octets
//                          with CRLF, the stuffing dot not counted. 4.5.3.1.9
//                          gives "500 Line too long" and "552 Too much mail
//                          data" as examples; 500 is what 4.3.2 lets *any
//                          command* return for "command line too long", but the
//                          reply after the data must come from the DATA list
//                          above, where 552 "exceeded storage allocation" is
//                          the limit-exceeded code. X.3.4 "too big for system"
//                          is the nearest RFC 3463 detail (none names lines).
//   too big     552 5.3.4  RFC 1870 6.3 / RFC 3463 X.3.4 "message too big".
// Content past the size limit is counted but never stored.
#pragma once

#include "smtp/reply.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

enum class BareNewline : uint8_t { Reject, Normalize };

struct DataReaderOptions {
  uint64_t max_size = 0;   // content octets (RFC 1870 message size); 0 = no limit
  size_t max_line = 1000;  // octets with CRLF, stuffing dot not counted; 0 = no limit
  BareNewline bare_newline = BareNewline::Reject;
  bool after_crlf = true;  // the DATA command ended in CRLF (false: in a bare LF,
                           // so an immediate ".<CR><LF>" is not the terminator)
};

// In order of precedence when a message has several: the reply names the first.
enum class DataError : uint8_t { None = 0, BareLf = 1, BareCr = 2, Nul = 4, LineTooLong = 8, TooBig = 16 };

class DataReader {
 public:
  using Sink = std::function<void(std::string_view)>;

  // Content goes to the callback (in chunks of any size) or is appended to the
  // string. After the first error nothing more is written: the message is
  // rejected and what was written must be thrown away.
  DataReader(DataReaderOptions options, Sink sink);
  DataReader(DataReaderOptions options, std::string& sink);

  // Consumes input up to and including the terminator; returns the octets used.
  // Once done(), consumes nothing: the rest is the next command (pipelining).
  size_t feed(std::string_view input);

  bool done() const { return state_ == State::Done; }
  DataError error() const;             // the one to report, None if clean
  uint8_t errors() const { return errors_; }  // every DataError seen, as bits
  bool normalized() const { return normalized_; }  // bare CR/LF turned into CRLF
  uint64_t size() const { return size_; }  // content octets, also past the limit

 private:
  enum class State : uint8_t { LineStart, Dot, DotCr, Text, Cr, Done };

  void step(char c);
  size_t text_run(std::string_view input, size_t i);
  void end_line(bool crlf);
  void bare_newline(DataError which);
  void emit(std::string_view octets, bool line_text);
  void flag(DataError e) { errors_ |= uint8_t(e); }
  void flush();

  DataReaderOptions options_;
  Sink sink_;
  std::string* direct_ = nullptr;  // string sink: appended to without buffering
  std::string pending_;            // callback sink: content of this feed() call
  State state_ = State::LineStart;
  bool crlf_start_ = true;  // this line began right after a real CRLF
  uint64_t line_len_ = 0;   // content octets on this line so far
  uint64_t size_ = 0;
  uint8_t errors_ = 0;
  bool normalized_ = false;
};

std::optional<Reply> data_error_reply(DataError error);

}  // namespace poolgate
