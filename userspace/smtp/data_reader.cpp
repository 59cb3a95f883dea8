#include "smtp/data_reader.h"

namespace poolgate {

namespace {

constexpr size_t kFlushAt = 64 * 1024;  // callback sink: hand over at least this often

bool special(char c) { return c == '\r' || c == '\n' || c == '\0'; }

}  // namespace

DataReader::DataReader(DataReaderOptions options, Sink sink)
    : options_(options), sink_(std::move(sink)), crlf_start_(options.after_crlf) {}

DataReader::DataReader(DataReaderOptions options, std::string& sink)
    : options_(options), direct_(&sink), crlf_start_(options.after_crlf) {}

DataError DataReader::error() const {
  for (uint8_t bit = 1; bit <= uint8_t(DataError::TooBig); bit <<= 1)
    if (errors_ & bit) return DataError(bit);
  return DataError::None;
}

// Counts content octets against both limits and stores them while the message
// is still clean. Of a run that crosses a limit, exactly the part within it is
// stored, so that what was stored never depends on how the input was chunked.
void DataReader::emit(std::string_view octets, bool line_text) {
  size_t keep = octets.size();
  bool line_over = false, size_over = false;
  if (line_text && options_.max_line) {
    const uint64_t max_text = options_.max_line > 2 ? options_.max_line - 2 : 0;
    const uint64_t room = line_len_ < max_text ? max_text - line_len_ : 0;
    line_over = keep > room;
    if (line_over) keep = size_t(room);
  }
  if (line_text) line_len_ += octets.size();
  if (options_.max_size) {
    const uint64_t room = size_ < options_.max_size ? options_.max_size - size_ : 0;
    size_over = octets.size() > room;
    if (keep > room) keep = size_t(room);
  }
  size_ += octets.size();
  if (!errors_ && keep) {
    std::string& out = direct_ ? *direct_ : pending_;
    out.append(octets.substr(0, keep));
    if (!direct_ && pending_.size() >= kFlushAt) flush();
  }
  if (line_over) flag(DataError::LineTooLong);
  if (size_over) flag(DataError::TooBig);
}

void DataReader::flush() {
  if (sink_ && !pending_.empty()) sink_(pending_);
  pending_.clear();
}

void DataReader::end_line(bool crlf) {
  emit("\r\n", false);
  line_len_ = 0;
  crlf_start_ = crlf;
  state_ = State::LineStart;
}

// A CR or LF that is not part of a CRLF. In Reject mode it is an error; either
// way it ends the line, so that the line structure (and with it the question
// "is this the terminator?") never depends on the policy.
void DataReader::bare_newline(DataError which) {
  if (options_.bare_newline == BareNewline::Reject) flag(which);
  else normalized_ = true;
  end_line(false);
}

// Ordinary text from input[i]: appends the run up to the next CR, LF or NUL in
// one go. Returns where the run ends.
size_t DataReader::text_run(std::string_view input, size_t i) {
  size_t end = i;
  while (end < input.size() && !special(input[end])) ++end;
  emit(input.substr(i, end - i), true);
  return end;
}

void DataReader::step(char c) {
  switch (state_) {
    case State::LineStart:
      if (c == '.') {
        state_ = State::Dot;  // stuffing dot, a lone "." line, or the terminator
        return;
      }
      state_ = State::Text;
      return step(c);
    case State::Dot:
      if (c == '\r') {
        state_ = State::DotCr;
      } else if (c == '\n') {  // ".<LF>": content, never the end of data
        emit(".", true);
        bare_newline(DataError::BareLf);
      } else {  // RFC 5321 4.5.2: the first of a leading dot is removed
        state_ = State::Text;
        step(c);
      }
      return;
    case State::DotCr:
      if (c == '\n' && crlf_start_) {
        state_ = State::Done;
        return;
      }
      emit(".", true);
      if (c == '\n') return end_line(true);  // "<LF>.<CR><LF>": content
      bare_newline(DataError::BareCr);       // ".<CR>" not followed by LF
      return step(c);
    case State::Text:
      if (c == '\r') state_ = State::Cr;
      else if (c == '\n') bare_newline(DataError::BareLf);
      else {
        if (c == '\0') flag(DataError::Nul);
        emit(std::string_view(&c, 1), true);
      }
      return;
    case State::Cr:
      if (c == '\n') return end_line(true);
      bare_newline(DataError::BareCr);
      return step(c);
    case State::Done:
      return;
  }
}

size_t DataReader::feed(std::string_view input) {
  size_t i = 0;
  while (i < input.size() && state_ != State::Done) {
    if (state_ == State::Text && !special(input[i])) {
      i = text_run(input, i);
    } else {
      step(input[i++]);
    }
  }
  flush();
  return i;
}

std::optional<Reply> data_error_reply(DataError error) {
  switch (error) {
    case DataError::None: return std::nullopt;
    case DataError::BareLf: return replies::bare_newline_in_data(false);
    case DataError::BareCr: return replies::bare_newline_in_data(true);
    case DataError::Nul: return replies::nul_in_data();
    case DataError::LineTooLong: return replies::data_line_too_long();
    case DataError::TooBig: return replies::size_exceeded();
  }
  return replies::transaction_failed();
}

}  // namespace poolgate
