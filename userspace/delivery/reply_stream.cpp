#include "delivery/reply_stream.h"

namespace poolgate {

void ReplyStream::clear() {
  in_.clear();
  lines_.reset();
  parser_.reset();
  line_count_ = 0;
}

ReplyStream::Status ReplyStream::next(Reply& out, bool extract_enhanced) {
  size_t used = 0;
  Status status = Status::NeedMore;
  while (used < in_.size()) {
    LineReader::Result result = lines_.feed(std::string_view(in_).substr(used));
    used += result.consumed;
    if (!result.line) continue;
    if (!result.line->ok() || ++line_count_ > kMaxLines) {
      status = Status::Error;
      break;
    }
    if (!parser_) parser_.emplace(extract_enhanced);
    ReplyParser::Status fed = parser_->feed(result.line->text);
    if (fed == ReplyParser::Status::Error) {
      status = Status::Error;
      break;
    }
    if (fed == ReplyParser::Status::Done) {
      out = parser_->reply();
      parser_.reset();
      line_count_ = 0;
      status = Status::Done;
      break;
    }
  }
  in_.erase(0, used);
  return status;
}

}  // namespace poolgate
