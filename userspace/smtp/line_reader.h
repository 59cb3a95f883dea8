// Splits the command-phase byte stream into lines (RFC 5321 2.3.8, 4.5.3.1.4).
// It never holds more than one partial line, of at most max_line - 1 octets: a
// longer line is discarded up to its LF and reported once as too long, so that
// the session answers it with exactly one reply and stays in step with a
// pipelining client (RFC 2920).
#pragma once

#include "smtp/reply.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

// A line ending in LF without CR: Postfix's smtpd_forbid_bare_newline=normal
// accepts such command lines (many old clients send them); Reject reports them
// as an error. Either way the LF ends the line and Line::bare_lf says so.
enum class BareLf : uint8_t { Accept, Reject };

struct LineReaderOptions {
  size_t max_line = 512;  // octets including CRLF; see command_line_limit()
  BareLf bare_lf = BareLf::Accept;
};

struct Line {
  enum class Status : uint8_t {
    Ok,
    TooLong,  // over max_line; text is empty, the octets were dropped
    BareLf,   // ended in a bare LF under BareLf::Reject; text is kept for logs
  };
  Status status = Status::Ok;
  std::string text;      // without the line ending
  bool bare_lf = false;  // ended in LF alone (reported whatever the policy)

  bool ok() const { return status == Status::Ok; }
};

class LineReader {
 public:
  explicit LineReader(LineReaderOptions options = {}) : options_(options) {}

  struct Result {
    size_t consumed = 0;       // octets of the input used
    std::optional<Line> line;  // set when a line was completed
  };

  // Consumes input up to and including the end of the next line, or all of it
  // when no line ends in it. The caller keeps the rest, so that after DATA it can
  // hand the following octets to a DataReader (or treat them as a pipelining
  // violation: RFC 2920 3.1 makes DATA the last command of a group).
  Result feed(std::string_view input);

  // True while a partial line is held (or being discarded).
  bool mid_line() const { return !partial_.empty() || discarding_; }
  void reset();

 private:
  LineReaderOptions options_;
  std::string partial_;     // text so far; a trailing CR may still be the CR of CRLF
  bool discarding_ = false; // the current line went over the limit
  bool last_cr_ = false;     // the last octet of the current line so far was CR
};

// The reply for a line the reader flagged, nullopt for an Ok line: 500 5.5.2 for
// both, the code RFC 5321 4.3.2 gives any command for "command line too long"
// and for what cannot be read as a command.
std::optional<Reply> line_error_reply(const Line& line);

}  // namespace poolgate
