// Where the DATA phase gets a message's content: pulled one chunk at a time,
// so a 30 MB message is never copied whole. A pull interface rather than a
// callback that pushes chunks: the client must wait for each write to the
// network before it takes the next chunk, which a synchronous push cannot do.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace poolgate {

class ContentSource {
 public:
  virtual ~ContentSource() = default;
  // The next chunk of the stored content (CRLF line endings, not dot-stuffed;
  // the client stuffs it), valid until the next call; empty at the end. Throws
  // (any std::exception) when the content cannot be read: the client then
  // drops the connection without the final dot, so the next hop never takes a
  // truncated message.
  virtual std::string_view next() = 0;
};

// Content already in memory (tests, small messages); handed out as one view,
// which the client cuts into blocks itself.
class StringContentSource : public ContentSource {
 public:
  explicit StringContentSource(std::string_view content) : content_(content) {}
  std::string_view next() override {
    std::string_view out = content_;
    content_ = {};
    return out;
  }

 private:
  std::string_view content_;
};

}  // namespace poolgate
