#include "smtp/line_reader.h"

#include <cstring>

namespace poolgate {

void LineReader::reset() {
  partial_.clear();
  discarding_ = false;
  last_cr_ = false;
}

LineReader::Result LineReader::feed(std::string_view input) {
  Result result;
  const void* lf_ptr = std::memchr(input.data(), '\n', input.size());
  size_t lf = lf_ptr ? size_t(static_cast<const char*>(lf_ptr) - input.data()) : input.size();
  std::string_view chunk = input.substr(0, lf);
  result.consumed = lf_ptr ? lf + 1 : input.size();
  if (!chunk.empty()) last_cr_ = chunk.back() == '\r';

  // The text may be max_line - 2 octets. One octet more is held while it is a CR
  // that may still turn out to be the CR of the CRLF.
  const size_t max_text = options_.max_line >= 2 ? options_.max_line - 2 : 0;
  if (!discarding_) {
    size_t held = partial_.size() + chunk.size();
    bool fits = held <= max_text || (held == max_text + 1 && last_cr_);
    if (fits) {
      partial_.append(chunk);
    } else {
      partial_.clear();
      discarding_ = true;
    }
  }
  if (!lf_ptr) return result;

  Line line;
  line.bare_lf = !last_cr_;
  if (discarding_) {
    line.status = Line::Status::TooLong;
  } else {
    if (last_cr_) partial_.pop_back();
    line.text = std::move(partial_);
    if (line.bare_lf && options_.bare_lf == BareLf::Reject) line.status = Line::Status::BareLf;
  }
  reset();
  result.line = std::move(line);
  return result;
}

std::optional<Reply> line_error_reply(const Line& line) {
  switch (line.status) {
    case Line::Status::Ok: return std::nullopt;
    case Line::Status::TooLong: return replies::line_too_long();
    case Line::Status::BareLf: return replies::bare_lf_in_command();
  }
  return replies::command_unrecognized();
}

}  // namespace poolgate
